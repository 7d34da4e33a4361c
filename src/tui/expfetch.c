/* Experiments over HTTP for the dashboard (see expfetch.h). */
#include "tui/expfetch.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define XF_BODY_MAX (4u << 20)

struct xf_req {
    CURL *easy;
    struct curl_slist *hdrs;
    char *body;
    size_t len, cap;
    char what[96]; /* POST: "stop pop-vs-hybrid", for the message */
};

struct expfetch {
    CURLM *multi;
    char key[160];
    struct xf_req get, post;
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

static void req_end(struct expfetch *f, struct xf_req *r)
{
    if (r->easy) {
        curl_multi_remove_handle(f->multi, r->easy);
        curl_easy_cleanup(r->easy);
    }
    curl_slist_free_all(r->hdrs);
    free(r->body);
    memset(r, 0, sizeof *r);
}

void expfetch_destroy(struct expfetch *f)
{
    if (!f)
        return;
    req_end(f, &f->get);
    req_end(f, &f->post);
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

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xf_req *r = ud;
    size_t n = size * nmemb;
    void *b = r->body;
    if (mem_grow(&b, 1, r->len + n + 1, &r->cap, XF_BODY_MAX) < 0)
        return 0;
    r->body = b;
    memcpy(r->body + r->len, ptr, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* Starts r on url (post: the body of a POST, NULL: a GET). 0 or -1. */
static int req_start(struct expfetch *f, struct xf_req *r, const char *url, const char *post)
{
    if (!(r->easy = curl_easy_init()))
        return -1;
    r->hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (post)
        r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/json");
    if (f->key[0]) {
        char h[200];
        snprintf(h, sizeof h, "X-API-Key: %s", f->key);
        r->hdrs = curl_slist_append(r->hdrs, h);
    }
    curl_easy_setopt(r->easy, CURLOPT_URL, url);
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, post ? 30000L : 3000L);
    curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "recsys-tui-dashboard");
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
    if (post)
        curl_easy_setopt(r->easy, CURLOPT_COPYPOSTFIELDS, post);
    if (curl_multi_add_handle(f->multi, r->easy) != CURLM_OK) {
        req_end(f, r);
        return -1;
    }
    return 0;
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
    snprintf(f->post.what, sizeof f->post.what, "%s %s", action, name);
    return 0;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

static void str(const cJSON *o, const char *k, char *out, size_t n)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
    snprintf(out, n, "%s", cJSON_IsString(j) ? j->valuestring : "");
}

static void rate(const cJSON *o, const char *k, struct xf_rate *r)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
    r->value = num(j, "value");
    r->low = num(j, "low");
    r->high = num(j, "high");
}

static long whole(double v)
{
    return isfinite(v) ? (long)v : 0;
}

static void parse_experiment(const cJSON *o, struct xf_experiment *e)
{
    memset(e, 0, sizeof *e);
    str(o, "name", e->name, sizeof e->name);
    str(o, "status", e->status, sizeof e->status);
    str(o, "created_at", e->created_at, sizeof e->created_at);
    str(o, "promoted", e->promoted, sizeof e->promoted);
    str(o, "leader", e->leader, sizeof e->leader);
    e->traffic = (int)whole(num(cJSON_GetObjectItemCaseSensitive(o, "traffic"), "share"));
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(o, "p_value");
    e->p_ctr = num(pv, "ctr");
    e->p_conv = num(pv, "conversion");
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(o, "variants"))
    {
        if (e->n >= XF_VARIANTS)
            break;
        struct xf_variant *x = &e->v[e->n++];
        str(v, "name", x->name, sizeof x->name);
        x->version = whole(num(v, "model_version"));
        x->share = (int)whole(num(v, "share"));
        x->impressions = whole(num(v, "impressions"));
        x->users = whole(num(v, "users"));
        x->clicks = whole(num(v, "clicks"));
        x->purchases = whole(num(v, "purchases"));
        rate(v, "ctr", &x->ctr);
        rate(v, "conversion", &x->conv);
    }
}

int expfetch_parse(const char *json, size_t len, struct xf_data *out)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "experiments");
    if (!cJSON_IsArray(list)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        char m[120];
        str(e, "message", m, sizeof m);
        out->state = XF_ERROR;
        snprintf(out->msg, sizeof out->msg, "%s", m[0] ? m : "not an experiments list");
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
    struct xf_req *r = &f->post;
    long code = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK) {
        snprintf(f->d.post_msg, sizeof f->d.post_msg, "%.80s failed: %.100s", r->what,
                 curl_easy_strerror(rc));
    } else if (code >= 400) {
        cJSON *j = cJSON_ParseWithLength(r->body ? r->body : "", r->len);
        char m[150];
        str(cJSON_GetObjectItemCaseSensitive(j, "error"), "message", m, sizeof m);
        snprintf(f->d.post_msg, sizeof f->d.post_msg, "%.80s: HTTP %ld %.100s", r->what, code, m);
        cJSON_Delete(j);
    } else {
        snprintf(f->d.post_msg, sizeof f->d.post_msg, "%.80s: done (HTTP %ld)", r->what, code);
    }
}

int expfetch_step(struct expfetch *f)
{
    int running = 0, changed = 0, left;
    curl_multi_perform(f->multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read(f->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        if (m->easy_handle == f->get.easy) {
            long code = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (m->data.result != CURLE_OK) {
                f->d.state = XF_ERROR;
                snprintf(f->d.msg, sizeof f->d.msg, "%s", curl_easy_strerror(m->data.result));
            } else {
                expfetch_parse(f->get.body ? f->get.body : "", f->get.len, &f->d);
            }
            req_end(f, &f->get);
        } else if (m->easy_handle == f->post.easy) {
            post_done(f, m->data.result);
            req_end(f, &f->post);
        }
        changed = 1;
    }
    return changed;
}
