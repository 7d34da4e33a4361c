/* Insights over HTTP for the dashboard (see insfetch.h). */
#include "tui/insfetch.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define INS_BODY_MAX (8u << 20)

struct insfetch {
    CURLM *multi;
    CURL *easy; /* the GET in flight, or NULL */
    struct curl_slist *hdrs;
    char *body;
    size_t len, cap;
    char key[160];
    struct ins_data d;
};

struct insfetch *insfetch_create(const char *key)
{
    struct insfetch *f = calloc(1, sizeof *f);
    if (!f || !(f->multi = curl_multi_init())) {
        free(f);
        return NULL;
    }
    snprintf(f->key, sizeof f->key, "%s", key ? key : "");
    return f;
}

static void get_end(struct insfetch *f)
{
    if (f->easy) {
        curl_multi_remove_handle(f->multi, f->easy);
        curl_easy_cleanup(f->easy);
    }
    curl_slist_free_all(f->hdrs);
    free(f->body);
    f->easy = NULL;
    f->hdrs = NULL;
    f->body = NULL;
    f->len = f->cap = 0;
}

void insfetch_destroy(struct insfetch *f)
{
    if (!f)
        return;
    get_end(f);
    curl_multi_cleanup(f->multi);
    free(f);
}

const struct ins_data *insfetch_data(const struct insfetch *f)
{
    return &f->d;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct insfetch *f = ud;
    size_t n = size * nmemb;
    void *b = f->body;
    if (mem_grow(&b, 1, f->len + n + 1, &f->cap, INS_BODY_MAX) < 0)
        return 0;
    f->body = b;
    memcpy(f->body + f->len, ptr, n);
    f->len += n;
    f->body[f->len] = '\0';
    return n;
}

int insfetch_refresh(struct insfetch *f, const char *base_url)
{
    char url[512], h[200];
    if (f->easy)
        return 0; /* one in flight already */
    snprintf(url, sizeof url, "%s/api/v1/insights", base_url);
    if (!(f->easy = curl_easy_init()))
        return -1;
    f->hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (f->key[0]) {
        snprintf(h, sizeof h, "X-API-Key: %s", f->key);
        f->hdrs = curl_slist_append(f->hdrs, h);
    }
    curl_easy_setopt(f->easy, CURLOPT_URL, url);
    curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(f->easy, CURLOPT_USERAGENT, "recsys-tui-dashboard");
    curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->hdrs);
    curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
    if (curl_multi_add_handle(f->multi, f->easy) != CURLM_OK) {
        get_end(f);
        return -1;
    }
    if (f->d.state != INS_OK)
        f->d.state = INS_PENDING;
    return 0;
}

static const cJSON *item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *j = item(o, k);
    return cJSON_IsNumber(j) ? j->valuedouble : NAN;
}

static void str(const cJSON *o, const char *k, char *out, size_t n)
{
    const cJSON *j = item(o, k);
    snprintf(out, n, "%s", cJSON_IsString(j) ? j->valuestring : "");
}

static void parse_data(const cJSON *root, struct ins_data *d)
{
    const cJSON *ds = item(root, "dataset"), *o;
    str(ds, "dataset", d->dataset, sizeof d->dataset);
    str(ds, "ingested_at", d->ingested_at, sizeof d->ingested_at);
    d->orders = num(ds, "orders");
    d->customers = num(ds, "customers");
    d->products = num(ds, "products");
    d->order_items = num(ds, "order_items");
    d->sellers = num(ds, "sellers");
    d->interactions = num(ds, "interactions");
    cJSON_ArrayForEach(o, item(root, "orders_per_month")) if (d->n_months < INS_MONTHS)
    {
        str(o, "month", d->month[d->n_months], sizeof d->month[0]);
        d->month_orders[d->n_months++] = num(o, "orders");
    }
    cJSON_ArrayForEach(o, item(root, "top_categories")) if (d->n_cats < INS_CATS)
    {
        str(o, "category", d->cat[d->n_cats], sizeof d->cat[0]);
        d->cat_items[d->n_cats++] = num(o, "items");
    }
    cJSON_ArrayForEach(o, item(root, "states")) if (d->n_states < INS_STATES)
    {
        str(o, "state", d->st[d->n_states], sizeof d->st[0]);
        d->st_customers[d->n_states] = num(o, "customers");
        d->st_orders[d->n_states++] = num(o, "orders");
    }
    cJSON_ArrayForEach(o, item(root, "cleaning")) if (d->n_clean < INS_CLEAN)
    {
        char rule[40];
        str(o, "rule", rule, sizeof rule);
        if (!strcmp(rule, "rows_loaded"))
            continue; /* the counts of rows read, not a cleaning step */
        snprintf(d->clean_rule[d->n_clean], sizeof d->clean_rule[0], "%s", rule);
        d->clean_count[d->n_clean++] = num(o, "count");
    }
}

static void parse_model(const cJSON *m, struct ins_data *d)
{
    static const char *const parts[3][2] = {
        {"model", ""}, {"repurchase", "+repurchase"}, {"baseline", "popularity (baseline)"}};
    if (!cJSON_IsObject(m))
        return;
    d->model_version = (long)num(m, "version");
    str(m, "algorithm", d->model_algo, sizeof d->model_algo);
    str(m, "cutoff", d->model_cutoff, sizeof d->model_cutoff);
    const cJSON *met = item(m, "metrics");
    for (int i = 0; i < 3 && cJSON_IsObject(met); i++) {
        const cJSON *p = item(met, parts[i][0]);
        if (!p)
            continue;
        struct ins_model_row *r = &d->model[d->n_model++];
        if (i < 2)
            snprintf(r->name, sizeof r->name, "%s%s", d->model_algo, parts[i][1]);
        else
            snprintf(r->name, sizeof r->name, "%s", parts[i][1]);
        r->hr_all = num(item(p, "all"), "hit_rate");
        r->hr_warm = num(item(p, "warm"), "hit_rate");
    }
}

/* Index of name in list[0..*n), added when missing and there is room; -1. */
static int find_or_add(char (*list)[16], int *n, int max, const char *name, size_t size)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(list[i], name))
            return i;
    if (*n >= max)
        return -1;
    snprintf(list[*n], size, "%s", name);
    return (*n)++;
}

static void parse_rolling(const cJSON *r, struct ins_data *d)
{
    const cJSON *o;
    if (!cJSON_IsObject(r))
        return;
    d->run_id = (long)num(r, "run_id");
    d->k = (int)num(r, "k");
    for (int a = 0; a < INS_ALGOS; a++)
        for (int m = 0; m < INS_RMONTHS; m++)
            d->hr_all[a][m] = d->hr_warm[a][m] = NAN;
    cJSON_ArrayForEach(o, item(r, "rows"))
    {
        char month[8], algo[16], seg[8];
        str(o, "month", month, sizeof month);
        str(o, "algorithm", algo, sizeof algo);
        str(o, "segment", seg, sizeof seg);
        int m = find_or_add(d->rmonth, &d->n_rmonths, INS_RMONTHS, month, sizeof d->rmonth[0]);
        int a = find_or_add(d->algo, &d->n_algos, INS_ALGOS, algo, sizeof d->algo[0]);
        if (m < 0 || a < 0)
            continue;
        int warm = !strcmp(seg, "warm");
        (warm ? d->hr_warm : d->hr_all)[a][m] = num(o, "hit_rate");
        double u = num(o, "users"), h = num(o, "hits");
        if (isfinite(u) && isfinite(h)) {
            (warm ? d->users_warm : d->users_all)[a] += u;
            (warm ? d->hits_warm : d->hits_all)[a] += h;
        }
    }
}

int insfetch_parse(const char *json, size_t len, struct ins_data *out)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsArray(item(root, "orders_per_month"))) {
        char m[120];
        str(item(root, "error"), "message", m, sizeof m);
        out->state = INS_ERROR;
        snprintf(out->msg, sizeof out->msg, "%s", m[0] ? m : "not an insights document");
        cJSON_Delete(root);
        return -1;
    }
    memset(out, 0, sizeof *out);
    parse_data(root, out);
    parse_model(item(root, "model"), out);
    parse_rolling(item(root, "rolling"), out);
    out->state = INS_OK;
    cJSON_Delete(root);
    return 0;
}

int insfetch_step(struct insfetch *f)
{
    int running = 0, changed = 0, left;
    curl_multi_perform(f->multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read(f->multi, &left))) {
        if (m->msg != CURLMSG_DONE || m->easy_handle != f->easy)
            continue;
        if (m->data.result != CURLE_OK) {
            f->d.state = INS_ERROR;
            snprintf(f->d.msg, sizeof f->d.msg, "%s", curl_easy_strerror(m->data.result));
        } else if (insfetch_parse(f->body ? f->body : "", f->len, &f->d) < 0 && f->d.n_months) {
            f->d.state = INS_OK; /* keep showing the last good data; msg says why not newer */
        }
        get_end(f);
        changed = 1;
        break; /* f->easy is gone: nothing else of ours can be in the queue */
    }
    return changed;
}
