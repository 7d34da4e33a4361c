/* Insights over HTTP for the dashboard (see insfetch.h). */
#include "tui/insfetch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/jsonfetch.h"

#define INS_BODY_MAX (8u << 20)

struct insfetch {
    CURLM *multi;
    struct jsonfetch get;
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

void insfetch_destroy(struct insfetch *f)
{
    if (!f)
        return;
    jsonfetch_end(&f->get, f->multi);
    curl_multi_cleanup(f->multi);
    free(f);
}

const struct ins_data *insfetch_data(const struct insfetch *f)
{
    return &f->d;
}

int insfetch_refresh(struct insfetch *f, const char *base_url)
{
    char url[512];
    struct jsonfetch_opts o = {
        .key = f->key, .timeout_ms = 5000L, .connect_ms = 2000L, .max = INS_BODY_MAX};
    if (f->get.easy)
        return 0; /* one in flight already */
    snprintf(url, sizeof url, "%s/api/v1/insights", base_url);
    if (jsonfetch_start(&f->get, f->multi, url, &o) < 0)
        return -1;
    if (f->d.state != INS_OK)
        f->d.state = INS_PENDING;
    return 0;
}

static const cJSON *item(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void parse_data(const cJSON *root, struct ins_data *d)
{
    const cJSON *ds = item(root, "dataset"), *o;
    jsonfetch_str(ds, "dataset", d->dataset, sizeof d->dataset);
    jsonfetch_str(ds, "ingested_at", d->ingested_at, sizeof d->ingested_at);
    d->orders = jsonfetch_num(ds, "orders");
    d->customers = jsonfetch_num(ds, "customers");
    d->products = jsonfetch_num(ds, "products");
    d->order_items = jsonfetch_num(ds, "order_items");
    d->sellers = jsonfetch_num(ds, "sellers");
    d->interactions = jsonfetch_num(ds, "interactions");
    cJSON_ArrayForEach(o, item(root, "orders_per_month")) if (d->n_months < INS_MONTHS)
    {
        jsonfetch_str(o, "month", d->month[d->n_months], sizeof d->month[0]);
        d->month_orders[d->n_months++] = jsonfetch_num(o, "orders");
    }
    cJSON_ArrayForEach(o, item(root, "top_categories")) if (d->n_cats < INS_CATS)
    {
        jsonfetch_str(o, "category", d->cat[d->n_cats], sizeof d->cat[0]);
        d->cat_items[d->n_cats++] = jsonfetch_num(o, "items");
    }
    cJSON_ArrayForEach(o, item(root, "states")) if (d->n_states < INS_STATES)
    {
        jsonfetch_str(o, "state", d->st[d->n_states], sizeof d->st[0]);
        d->st_customers[d->n_states] = jsonfetch_num(o, "customers");
        d->st_orders[d->n_states++] = jsonfetch_num(o, "orders");
    }
    cJSON_ArrayForEach(o, item(root, "cleaning")) if (d->n_clean < INS_CLEAN)
    {
        char rule[40];
        jsonfetch_str(o, "rule", rule, sizeof rule);
        if (!strcmp(rule, "rows_loaded"))
            continue; /* the counts of rows read, not a cleaning step */
        snprintf(d->clean_rule[d->n_clean], sizeof d->clean_rule[0], "%s", rule);
        d->clean_count[d->n_clean++] = jsonfetch_num(o, "count");
    }
}

static void parse_model(const cJSON *m, struct ins_data *d)
{
    static const char *const parts[3][2] = {
        {"model", ""}, {"repurchase", "+repurchase"}, {"baseline", "popularity (baseline)"}};
    if (!cJSON_IsObject(m))
        return;
    d->model_version = jsonfetch_long(m, "version");
    jsonfetch_str(m, "algorithm", d->model_algo, sizeof d->model_algo);
    jsonfetch_str(m, "cutoff", d->model_cutoff, sizeof d->model_cutoff);
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
        r->hr_all = jsonfetch_num(item(p, "all"), "hit_rate");
        r->hr_warm = jsonfetch_num(item(p, "warm"), "hit_rate");
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
    d->run_id = jsonfetch_long(r, "run_id");
    d->k = (int)jsonfetch_long(r, "k");
    for (int a = 0; a < INS_ALGOS; a++)
        for (int m = 0; m < INS_RMONTHS; m++)
            d->hr_all[a][m] = d->hr_warm[a][m] = NAN;
    cJSON_ArrayForEach(o, item(r, "rows"))
    {
        char month[8], algo[16], seg[8];
        jsonfetch_str(o, "month", month, sizeof month);
        jsonfetch_str(o, "algorithm", algo, sizeof algo);
        jsonfetch_str(o, "segment", seg, sizeof seg);
        int m = find_or_add(d->rmonth, &d->n_rmonths, INS_RMONTHS, month, sizeof d->rmonth[0]);
        int a = find_or_add(d->algo, &d->n_algos, INS_ALGOS, algo, sizeof d->algo[0]);
        if (m < 0 || a < 0)
            continue;
        int warm = !strcmp(seg, "warm");
        (warm ? d->hr_warm : d->hr_all)[a][m] = jsonfetch_num(o, "hit_rate");
        double u = jsonfetch_num(o, "users"), h = jsonfetch_num(o, "hits");
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
        out->state = INS_ERROR;
        jsonfetch_error_text(root, "not an insights document", out->msg, sizeof out->msg);
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
    int running = 0, changed = 0;
    struct jsonfetch *r;
    CURLcode rc;
    curl_multi_perform(f->multi, &running);
    while ((r = jsonfetch_done(f->multi, &rc))) {
        if (rc != CURLE_OK) {
            f->d.state = INS_ERROR;
            snprintf(f->d.msg, sizeof f->d.msg, "%s", curl_easy_strerror(rc));
        } else if (insfetch_parse(r->body ? r->body : "", r->len, &f->d) < 0 && f->d.n_months) {
            f->d.state = INS_OK; /* keep showing the last good data; msg says why not newer */
        }
        jsonfetch_end(r, f->multi);
        changed = 1;
    }
    return changed;
}
