/* Experiments over HTTP for the dashboard (see expfetch.h). */
#include "tui/expfetch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/jsonfetch.h"

#define XF_BODY_MAX (4u << 20)

struct expfetch {
    CURLM *multi;
    char key[160];
    struct jsonfetch get, post;
    char what[96]; /* of the POST: "stop pop-vs-hybrid", for the message */
    struct xf_data d;
};

struct expfetch *expfetch_create(const char *key)
{
    struct expfetch *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    if (!(f->multi = curl_multi_init())) {
        free(f);
        return NULL;
    }
    snprintf(f->key, sizeof f->key, "%s", key ? key : "");
    return f;
}

void expfetch_destroy(struct expfetch *f)
{
    if (!f)
        return;
    jsonfetch_end(&f->get, f->multi);
    jsonfetch_end(&f->post, f->multi);
    curl_multi_cleanup(f->multi);
    free(f);
}

const struct xf_data *expfetch_data(const struct expfetch *f)
{
    return &f->d;
}

void expfetch_post_seen(struct expfetch *f)
{
    f->d.post_msg[0] = '\0';
}

/* Starts r on url (post: the body of a POST, NULL: a GET). 0 or -1. */
static int req_start(struct expfetch *f, struct jsonfetch *r, const char *url, const char *post)
{
    struct jsonfetch_opts o = {.key = f->key,
                               .post = post,
                               .timeout_ms = post ? 30000L : 3000L,
                               .connect_ms = 2000L,
                               .max = XF_BODY_MAX};
    return jsonfetch_start(r, f->multi, url, &o);
}

int expfetch_refresh(struct expfetch *f, const char *base_url)
{
    char url[512];
    if (f->get.easy)
        return 0; /* one in flight already */
    snprintf(url, sizeof url, "%s/api/v1/experiments", base_url);
    if (req_start(f, &f->get, url, NULL) < 0)
        return -1;
    if (f->d.state != XF_OK)
        f->d.state = XF_PENDING;
    return 0;
}

int expfetch_post(struct expfetch *f, const char *base_url, const char *name, const char *action,
                  const char *variant)
{
    char url[512], body[128] = "{}";
    if (f->post.easy)
        return -1;
    snprintf(url, sizeof url, "%s/api/v1/experiments/%s/%s", base_url, name, action);
    if (variant)
        snprintf(body, sizeof body, "{\"variant\":\"%s\"}", variant);
    if (req_start(f, &f->post, url, body) < 0)
        return -1;
    snprintf(f->what, sizeof f->what, "%s %s", action, name);
    return 0;
}

static void rate(const cJSON *o, const char *k, struct xf_rate *r)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
    r->value = jsonfetch_num(j, "value");
    r->low = jsonfetch_num(j, "low");
    r->high = jsonfetch_num(j, "high");
}

static void parse_experiment(const cJSON *o, struct xf_experiment *e)
{
    memset(e, 0, sizeof *e);
    jsonfetch_str(o, "name", e->name, sizeof e->name);
    jsonfetch_str(o, "status", e->status, sizeof e->status);
    jsonfetch_str(o, "created_at", e->created_at, sizeof e->created_at);
    jsonfetch_str(o, "promoted", e->promoted, sizeof e->promoted);
    jsonfetch_str(o, "leader", e->leader, sizeof e->leader);
    e->traffic = (int)jsonfetch_long(cJSON_GetObjectItemCaseSensitive(o, "traffic"), "share");
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(o, "p_value");
    e->p_ctr = jsonfetch_num(pv, "ctr");
    e->p_conv = jsonfetch_num(pv, "conversion");
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(o, "variants"))
    {
        if (e->n >= XF_VARIANTS)
            break;
        struct xf_variant *x = &e->v[e->n++];
        jsonfetch_str(v, "name", x->name, sizeof x->name);
        x->version = jsonfetch_long(v, "model_version");
        x->share = (int)jsonfetch_long(v, "share");
        x->impressions = jsonfetch_long(v, "impressions");
        x->users = jsonfetch_long(v, "users");
        x->clicks = jsonfetch_long(v, "clicks");
        x->purchases = jsonfetch_long(v, "purchases");
        rate(v, "ctr", &x->ctr);
        rate(v, "conversion", &x->conv);
    }
}

int expfetch_parse(const char *json, size_t len, struct xf_data *out)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "experiments");
    if (!cJSON_IsArray(list)) {
        out->state = XF_ERROR;
        jsonfetch_error_text(root, "not an experiments list", out->msg, sizeof out->msg);
        cJSON_Delete(root);
        return -1;
    }
    /* newest first: the running one is the one people look at */
    int total = cJSON_GetArraySize(list), n = 0;
    for (int i = total - 1; i >= 0 && n < XF_MAX; i--)
        parse_experiment(cJSON_GetArrayItem(list, i), &out->e[n++]);
    out->n = n;
    out->total = total;
    out->state = XF_OK;
    out->msg[0] = '\0';
    cJSON_Delete(root);
    return 0;
}

/* A finished POST: its outcome as a sentence. */
static void post_done(struct expfetch *f, CURLcode rc)
{
    struct jsonfetch *r = &f->post;
    int code = (int)jsonfetch_status(r); /* int: the sentence provably fits post_msg */
    if (rc != CURLE_OK) {
        snprintf(f->d.post_msg, sizeof f->d.post_msg, "%.80s failed: %.100s", f->what,
                 curl_easy_strerror(rc));
    } else if (code >= 400) {
        cJSON *j = cJSON_ParseWithLength(r->body ? r->body : "", r->len);
        char m[150];
        jsonfetch_str(cJSON_GetObjectItemCaseSensitive(j, "error"), "message", m, sizeof m);
        snprintf(f->d.post_msg, sizeof f->d.post_msg, "%.80s: HTTP %d %.100s", f->what, code, m);
        cJSON_Delete(j);
    } else {
        snprintf(f->d.post_msg, sizeof f->d.post_msg, "%.80s: done (HTTP %d)", f->what, code);
    }
}

int expfetch_step(struct expfetch *f)
{
    int running = 0, changed = 0;
    struct jsonfetch *r;
    CURLcode rc;
    curl_multi_perform(f->multi, &running);
    while ((r = jsonfetch_done(f->multi, &rc))) {
        if (r == &f->get) {
            if (rc != CURLE_OK) {
                f->d.state = XF_ERROR;
                snprintf(f->d.msg, sizeof f->d.msg, "%s", curl_easy_strerror(rc));
            } else {
                expfetch_parse(r->body ? r->body : "", r->len, &f->d);
            }
        } else {
            post_done(f, rc);
        }
        jsonfetch_end(r, f->multi);
        changed = 1;
    }
    return changed;
}
