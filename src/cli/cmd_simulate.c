/* `recsys-tui simulate`: replays the real orders after a date, in time
 * order, against running regions over HTTP (one keep-alive libcurl handle
 * per region, orders spread round-robin over them). For each order: ask for
 * the customer's recommendations (count = k), then post, in one batch, a
 * click for every bought product that was in the list and a purchase for
 * every bought product, naming the list's request_id (when the response has
 * one) only for products in it: a purchase of anything else is not that
 * list's conversion. --no-feedback posts nothing (the comparison with `eval`).
 *
 * Definitions (README "Replay"):
 *  - a purchase is one distinct (order, product) pair of the interactions
 *    view (order items of orders not canceled or unavailable, price outliers
 *    excluded, products of the catalogue);
 *  - conversion = purchases whose product was in the list shown at their
 *    order / purchases, with a 95% Wilson interval, per variant;
 *  - user hit rate = customers with at least one converted purchase /
 *    customers who ordered in the period. With --no-feedback every list of a
 *    customer is the same, so this is exactly eval's hit-rate@k ("all" test
 *    users, repurchases excluded) of the served model when it was trained
 *    with cutoff = --from and --to is not given.
 * Exit 0 ok, 1 a region failed or answered an error, 2 usage. */
#include "cli/cmd_simulate.h"

#include <curl/curl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/conffile.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "engine/dataset_load.h"
#include "engine/engine.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/sbuf.h"

#define SIM_MAX_VARIANTS 16
#define SIM_RETRIES      5 /* a 429 or 503 is retried after Retry-After */
#define SIM_BODY_MAX     (1 << 20)
#define SIM_MAX_ROWS     50000000

struct sim_row { /* one purchase, in time order */
    char order[REC_ID_LEN], user[REC_ID_LEN], product[REC_ID_LEN];
    int64_t ts;   /* unix seconds */
    int32_t uidx; /* index into the sorted distinct users */
};

struct sim_region {
    char name[32];
    char url[300];
    CURL *easy;
};

struct sim_variant {
    char experiment[64], name[64]; /* "" when the responses carry none */
    int64_t lists, converted, purchases, hits, users, user_hits; /* converted: lists with a hit */
};

struct sim {
    const char *db, *from, *to;
    int k, feedback, json, quiet;
    double speed; /* 0: as fast as possible */
    char api_key[256];
    struct sim_region reg[REGIONS_MAX + 8];
    int n_reg;
    struct sim_row *rows;
    size_t n_rows;
    int32_t n_users;
    int8_t *user_variant; /* per user: index into var, -1 before the first list */
    uint8_t *user_hit;
    struct sim_variant var[SIM_MAX_VARIANTS];
    int n_var;
    int64_t orders, events_posted, retries;
    struct sbuf body;
    char err[512];
};

static const char help[] =
    "usage: recsys-tui simulate --from YYYY-MM-DD [--to YYYY-MM-DD] [--speed X|max]\n"
    "                           [--regions all|NAME,...] [--url URL]... [--count K]\n"
    "                           [--no-feedback] [--json] [--quiet] [--config FILE]\n"
    "                           [--db PATH] [--api-key KEY]\n\n"
    "Replays the real orders from --from (inclusive) to --to (exclusive; default:\n"
    "the end of the data), in time order, against running regions over HTTP. For\n"
    "each order it asks for the customer's top K recommendations (default 10),\n"
    "then posts a click event for every bought product that was in the list and a\n"
    "purchase event for every bought product (POST /api/v1/events), with the list's\n"
    "request_id for the products in it. --no-feedback posts no events: the regions keep\n"
    "serving the model as trained, for a comparison with `recsys-tui eval`.\n\n"
    "  --speed X       X times real time (the gaps between orders shrunk X-fold);\n"
    "                  max or 0: as fast as possible (default)\n"
    "  --regions LIST  regions of regions.conf to spread the orders over,\n"
    "                  round-robin (default all); --url URL targets a server\n"
    "                  directly instead (repeatable)\n"
    "  --api-key KEY   X-API-Key (default: $RECSYS_API_KEY, else the first key\n"
    "                  of regions.conf's api_keys_file)\n\n"
    "Progress goes to stderr. The final table has per variant (when responses\n"
    "carry \"experiment\" and \"variant\"): lists served, purchases, hits\n"
    "(purchases whose product was in the list shown at their order), conversion\n"
    "= hits / purchases with a 95%% Wilson interval, and the user hit rate =\n"
    "customers with a hit / customers. Without feedback the user hit rate equals\n"
    "eval's hit-rate@K for the served model trained with --cutoff = --from.\n\n"
    "Exit status: 0 done, 1 a region unreachable or answering an error, 2 usage.\n";

/* ---- the orders ------------------------------------------------------------ */

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int64_t ts_parse(const char *s)
{
    int32_t day = dataset_parse_day(s);
    int h = 0, m = 0, sec = 0;
    if (day < 0)
        return -1;
    if (strlen(s) >= 19)
        sscanf(s + 11, "%d:%d:%d", &h, &m, &sec);
    return (int64_t)day * 86400 + h * 3600 + m * 60 + sec;
}

/* Reads the purchases of [from, to) in time order, one row per distinct
 * (order, product), and numbers the distinct users. */
static int load_rows(struct sim *s)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = -1, q;
    if (dataset_open_ro(s->db, &db, s->err, sizeof s->err) < 0)
        return -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT order_id, user_id, product_id, ts FROM interactions"
                           " WHERE ts >= ?1 AND (?2 IS NULL OR ts < ?2)"
                           " AND product_id IN (SELECT product_id FROM products)"
                           " ORDER BY ts, order_id, product_id",
                           -1, &st, NULL) != SQLITE_OK) {
        err_set(s->err, sizeof s->err, "cannot read the orders of %s: %s", s->db,
                sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_text(st, 1, s->from, -1, SQLITE_STATIC);
    if (s->to)
        sqlite3_bind_text(st, 2, s->to, -1, SQLITE_STATIC);
    while ((q = sqlite3_step(st)) == SQLITE_ROW) {
        const char *o = (const char *)sqlite3_column_text(st, 0),
                   *u = (const char *)sqlite3_column_text(st, 1),
                   *p = (const char *)sqlite3_column_text(st, 2);
        int64_t ts = ts_parse((const char *)sqlite3_column_text(st, 3));
        if (!o || !u || !p || ts < 0 || strlen(u) != 32 || strlen(p) != 32)
            continue;
        if (mem_grow((void **)&s->rows, sizeof *s->rows, s->n_rows + 1, &cap, SIM_MAX_ROWS) < 0) {
            err_set(s->err, sizeof s->err, "too many orders or out of memory");
            goto out;
        }
        struct sim_row *r = &s->rows[s->n_rows++];
        snprintf(r->order, sizeof r->order, "%s", o);
        snprintf(r->user, sizeof r->user, "%s", u);
        snprintf(r->product, sizeof r->product, "%s", p);
        r->ts = ts;
    }
    if (q != SQLITE_DONE) {
        err_set(s->err, sizeof s->err, "cannot read the orders of %s: %s", s->db,
                sqlite3_errmsg(db));
        goto out;
    }
    char(*ids)[REC_ID_LEN] = malloc((s->n_rows + 1) * REC_ID_LEN);
    if (!ids) {
        err_set(s->err, sizeof s->err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s->n_rows; i++)
        memcpy(ids[i], s->rows[i].user, REC_ID_LEN);
    qsort(ids, s->n_rows, REC_ID_LEN, cmp_id);
    size_t n = 0;
    for (size_t i = 0; i < s->n_rows; i++)
        if (!n || strcmp(ids[n - 1], ids[i]))
            memcpy(ids[n++], ids[i], REC_ID_LEN);
    for (size_t i = 0; i < s->n_rows; i++) {
        char(*f)[REC_ID_LEN] = bsearch(s->rows[i].user, ids, n, REC_ID_LEN, cmp_id);
        s->rows[i].uidx = (int32_t)(f - ids);
    }
    free(ids);
    s->n_users = (int32_t)n;
    s->user_variant = malloc(n + 1);
    s->user_hit = calloc(n + 1, 1);
    if (!s->user_variant || !s->user_hit) {
        err_set(s->err, sizeof s->err, "out of memory");
        goto out;
    }
    memset(s->user_variant, -1, n + 1);
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* ---- HTTP ------------------------------------------------------------------ */

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
    struct sbuf *b = arg;
    sbuf_append(b, p, sz * n);
    return b->overflow ? 0 : sz * n;
}

/* One request on region r's handle: GET when body is NULL, else POST of JSON.
 * Retries 429 and 503 after Retry-After. The status, or -1 with s->err. */
static long http(struct sim *s, struct sim_region *r, const char *path, const char *body)
{
    char url[600];
    snprintf(url, sizeof url, "%s%s", r->url, path);
    for (int attempt = 0;; attempt++) {
        struct curl_slist *h = NULL;
        char key[300];
        sbuf_reset(&s->body);
        curl_easy_setopt(r->easy, CURLOPT_URL, url);
        if (body) {
            h = curl_slist_append(h, "Content-Type: application/json");
            curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, body);
        } else
            curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
        if (s->api_key[0]) {
            snprintf(key, sizeof key, "X-API-Key: %s", s->api_key);
            h = curl_slist_append(h, key);
        }
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, h);
        CURLcode c = curl_easy_perform(r->easy);
        curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, NULL);
        curl_slist_free_all(h);
        if (c != CURLE_OK) {
            err_set(s->err, sizeof s->err, "region %s unreachable at %s: %s", r->name, url,
                    curl_easy_strerror(c));
            return -1;
        }
        long st = 0;
        curl_off_t wait = 0;
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &st);
        if ((st != 429 && st != 503) || attempt >= SIM_RETRIES)
            return st;
        curl_easy_getinfo(r->easy, CURLINFO_RETRY_AFTER, &wait);
        s->retries++;
        usleep((useconds_t)((wait > 0 && wait < 30 ? wait : 1) * 1000000));
    }
}

/* Why a response was not the expected one, in s->err. */
static int http_failed(struct sim *s, struct sim_region *r, const char *what, long st)
{
    if (st < 0)
        return -1;
    const char *b = s->body.p ? s->body.p : "";
    err_set(s->err, sizeof s->err, "%sregion %s (%s) answered %ld%s: %.200s", what, r->name, r->url,
            st,
            st == 404 && strstr(what, "events")
                ? " (this server has no events route: use --no-feedback)"
                : "",
            b);
    return -1;
}

/* The variant slot of (experiment, variant), created on first sight. */
static int variant_slot(struct sim *s, const char *exp, const char *var)
{
    for (int i = 0; i < s->n_var; i++)
        if (!strcmp(s->var[i].experiment, exp) && !strcmp(s->var[i].name, var))
            return i;
    if (s->n_var == SIM_MAX_VARIANTS)
        return SIM_MAX_VARIANTS - 1; /* the rest share the last slot */
    struct sim_variant *v = &s->var[s->n_var];
    snprintf(v->experiment, sizeof v->experiment, "%s", exp);
    snprintf(v->name, sizeof v->name, "%s", var);
    return s->n_var++;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Appends one event object to ev. */
static void add_event(struct sbuf *ev, const struct sim_row *row, const char *type,
                      const char *request_id)
{
    char ts[20];
    time_t t = (time_t)row->ts;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    sbuf_printf(ev, "%s{\"user_id\":\"%s\",\"product_id\":\"%s\",\"type\":\"%s\",\"ts\":\"%sZ\"",
                ev->len > 11 ? "," : "", row->user, row->product, type, ts);
    if (request_id && *request_id) {
        sbuf_puts(ev, ",\"request_id\":");
        sbuf_json_str(ev, request_id);
    }
    sbuf_puts(ev, "}");
}

/* One order: rows[a, b) share order id. 0, or -1 with s->err. */
static int run_order(struct sim *s, size_t a, size_t b, struct sbuf *ev)
{
    struct sim_region *r = &s->reg[s->orders % s->n_reg];
    const struct sim_row *first = &s->rows[a];
    char path[160];
    snprintf(path, sizeof path, "/api/v1/recommendations/user/%s?count=%d", first->user, s->k);
    long st = http(s, r, path, NULL);
    if (st != 200)
        return http_failed(s, r, "GET recommendations: ", st);
    cJSON *root = cJSON_Parse(s->body.p ? s->body.p : "");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "recommendations");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(root);
        return err_set(s->err, sizeof s->err,
                       "region %s (%s) answered recommendations without a "
                       "\"recommendations\" array",
                       r->name, r->url);
    }
    char request_id[64];
    snprintf(request_id, sizeof request_id, "%s", jstr(root, "request_id"));
    int vi = variant_slot(s, jstr(root, "experiment"), jstr(root, "variant"));
    struct sim_variant *v = &s->var[vi];
    v->lists++;
    if (s->user_variant[first->uidx] < 0) {
        s->user_variant[first->uidx] = (int8_t)vi;
        v->users++;
    }
    sbuf_reset(ev);
    sbuf_puts(ev, "{\"events\":[");
    int64_t hits0 = v->hits;
    for (size_t i = a; i < b; i++) {
        const struct sim_row *row = &s->rows[i];
        int hit = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, list) if (!strcmp(jstr(it, "product_id"), row->product)) hit = 1;
        v->purchases++;
        v->hits += hit;
        if (hit && !s->user_hit[row->uidx]) {
            s->user_hit[row->uidx] = 1;
            s->var[s->user_variant[row->uidx]].user_hits++;
        }
        /* the list is named only for a product in it: a purchase of anything else is
           not that list's conversion */
        if (hit)
            add_event(ev, row, "click", request_id);
        add_event(ev, row, "purchase", hit ? request_id : NULL);
    }
    v->converted += v->hits > hits0;
    cJSON_Delete(root);
    sbuf_puts(ev, "]}");
    if (!s->feedback)
        return 0;
    if (ev->overflow)
        return err_set(s->err, sizeof s->err, "an order's events do not fit in a request");
    st = http(s, r, "/api/v1/events", ev->p);
    if (st != 202 && st != 200 && st != 201)
        return http_failed(s, r, "POST /api/v1/events: ", st);
    s->events_posted += (int64_t)(b - a);
    return 0;
}

/* ---- output ---------------------------------------------------------------- */

/* 95% Wilson score interval of h successes in n trials. */
static void wilson(int64_t h, int64_t n, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = *hi = 0;
        return;
    }
    const double z = 1.959963984540054;
    double p = (double)h / (double)n, z2n = z * z / (double)n;
    double c = (p + z2n / 2) / (1 + z2n),
           w = z * sqrt(p * (1 - p) / (double)n + z2n / (4 * (double)n)) / (1 + z2n);
    *lo = c - w < 0 ? 0 : c - w;
    *hi = c + w > 1 ? 1 : c + w;
}

static struct sim_variant total(const struct sim *s)
{
    struct sim_variant t = {0};
    for (int i = 0; i < s->n_var; i++) {
        t.lists += s->var[i].lists;
        t.converted += s->var[i].converted;
        t.purchases += s->var[i].purchases;
        t.hits += s->var[i].hits;
        t.users += s->var[i].users;
        t.user_hits += s->var[i].user_hits;
    }
    return t;
}

static void progress(const struct sim *s, size_t done, double t0, int last)
{
    if (s->quiet)
        return;
    struct sim_variant t = total(s);
    double el = clock_monotonic() - t0;
    fprintf(stderr, "\rsimulate: %zu/%zu purchases, %lld orders, %.0f orders/s, conversion %.4f",
            done, s->n_rows, (long long)s->orders, el > 0 ? (double)s->orders / el : 0.0,
            t.purchases ? (double)t.hits / (double)t.purchases : 0.0);
    for (int i = 0; i < s->n_var && s->var[i].name[0]; i++)
        fprintf(stderr, " %s %.4f", s->var[i].name,
                s->var[i].purchases ? (double)s->var[i].hits / (double)s->var[i].purchases : 0.0);
    fprintf(stderr, last ? "\n" : "   ");
}

static cJSON *variant_json(const struct sim_variant *v)
{
    cJSON *o = cJSON_CreateObject();
    double lo, hi;
    wilson(v->hits, v->purchases, &lo, &hi);
    if (v->experiment[0])
        cJSON_AddStringToObject(o, "experiment", v->experiment);
    if (v->name[0])
        cJSON_AddStringToObject(o, "variant", v->name);
    cJSON_AddNumberToObject(o, "lists", (double)v->lists);
    cJSON_AddNumberToObject(o, "converted_lists", (double)v->converted);
    cJSON_AddNumberToObject(o, "purchases", (double)v->purchases);
    cJSON_AddNumberToObject(o, "hits", (double)v->hits);
    cJSON_AddNumberToObject(o, "conversion", v->purchases ? (double)v->hits / v->purchases : 0);
    cJSON *ci = cJSON_AddArrayToObject(o, "conversion_ci95");
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(lo));
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(hi));
    cJSON_AddNumberToObject(o, "users", (double)v->users);
    cJSON_AddNumberToObject(o, "user_hits", (double)v->user_hits);
    cJSON_AddNumberToObject(o, "user_hit_rate", v->users ? (double)v->user_hits / v->users : 0);
    return o;
}

static void print_row(int width, const char *name, const struct sim_variant *v)
{
    double lo, hi;
    wilson(v->hits, v->purchases, &lo, &hi);
    printf("  %-*s %8lld %9lld %7lld %10.4f  [%.4f, %.4f] %7lld %9.4f\n", width, name,
           (long long)v->lists, (long long)v->purchases, (long long)v->hits,
           v->purchases ? (double)v->hits / (double)v->purchases : 0.0, lo, hi, (long long)v->users,
           v->users ? (double)v->user_hits / (double)v->users : 0.0);
}

static void report(const struct sim *s, double secs)
{
    struct sim_variant t = total(s);
    if (s->json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "from", s->from);
        if (s->to)
            cJSON_AddStringToObject(root, "to", s->to);
        cJSON_AddNumberToObject(root, "k", s->k);
        cJSON_AddBoolToObject(root, "feedback", s->feedback);
        cJSON_AddNumberToObject(root, "orders", (double)s->orders);
        cJSON_AddNumberToObject(root, "events_posted", (double)s->events_posted);
        cJSON_AddNumberToObject(root, "retries", (double)s->retries);
        cJSON_AddNumberToObject(root, "seconds", secs);
        cJSON *arr = cJSON_AddArrayToObject(root, "variants");
        for (int i = 0; i < s->n_var; i++)
            cJSON_AddItemToArray(arr, variant_json(&s->var[i]));
        cJSON_AddItemToObject(root, "total", variant_json(&t));
        char *txt = cJSON_Print(root);
        if (txt)
            puts(txt);
        free(txt);
        cJSON_Delete(root);
        return;
    }
    printf("Replayed %lld orders (%lld purchases, %d customers) from %s%s%s in %.1f s, k = %d, "
           "%s\n",
           (long long)s->orders, (long long)t.purchases, s->n_users, s->from, s->to ? " to " : "",
           s->to ? s->to : "", secs, s->k,
           s->feedback ? "click and purchase events posted" : "no events posted");
    char names[SIM_MAX_VARIANTS][140];
    int width = 16; /* the name column fits the longest "experiment/variant" */
    for (int i = 0; i < s->n_var; i++) {
        int n =
            snprintf(names[i], sizeof names[i], "%s%s%s", s->var[i].experiment,
                     s->var[i].experiment[0] ? "/" : "", s->var[i].name[0] ? s->var[i].name : "-");
        width = n > width ? n : width;
    }
    printf("  %-*s %8s %9s %7s %10s  %-16s %7s %9s\n", width, "variant", "lists", "purchases",
           "hits", "conversion", "95% interval", "users", "user_hit");
    for (int i = 0; i < s->n_var; i++)
        print_row(width, names[i], &s->var[i]);
    if (s->n_var != 1)
        print_row(width, "total", &t);
}

/* ---- options ---------------------------------------------------------------- */

static int add_region(struct sim *s, const char *name, const char *url)
{
    if (s->n_reg == (int)(sizeof s->reg / sizeof s->reg[0]))
        return -1;
    struct sim_region *r = &s->reg[s->n_reg++];
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->url, sizeof r->url, "%s", url);
    size_t n = strlen(r->url);
    while (n && r->url[n - 1] == '/')
        r->url[--n] = 0;
    return 0;
}

/* Regions named in list ("all" or NAME,...) of conf. */
static int pick_regions(struct sim *s, const struct regions_conf *conf, const char *list)
{
    for (int i = 0; i < conf->n_regions; i++) {
        const struct region_conf *rc = &conf->regions[i];
        const char *p = list;
        int want = !strcmp(list, "all");
        size_t n = strlen(rc->name);
        while (!want && (p = strstr(p, rc->name)))
            want = (p == list || p[-1] == ',') && (p[n] == ',' || !p[n]), p += n;
        if (!want)
            continue;
        if (rc->port == 0)
            return err_set(s->err, sizeof s->err,
                           "region %s has port 0 in the configuration: "
                           "name its URL with --url",
                           rc->name);
        char url[300];
        snprintf(url, sizeof url, "http://%s:%d", rc->host, rc->port);
        add_region(s, rc->name, url);
    }
    if (!s->n_reg)
        return err_set(s->err, sizeof s->err, "no region of the configuration matches \"%s\"",
                       list);
    return 0;
}

static void first_key(const char *path, char *out, size_t n)
{
    FILE *f = path[0] ? fopen(path, "r") : NULL;
    char line[300];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *p = line + strspn(line, " \t");
        if (*p && *p != '#') {
            snprintf(out, n, "%s", p);
            break;
        }
    }
    if (f)
        fclose(f);
}

static int parse_args(struct sim *s, int argc, char **argv, const char **regions,
                      const char **config, int *n_urls)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        else if (!strcmp(a, "--from") && v)
            s->from = argv[++i];
        else if (!strcmp(a, "--to") && v)
            s->to = argv[++i];
        else if (!strcmp(a, "--speed") && v) {
            i++;
            if (strcmp(v, "max") && opts_parse_double(v, 0, 1e12, &s->speed) < 0)
                return opts_usage_error("simulate", "--speed must be max or a number >= 0", v);
        } else if (!strcmp(a, "--regions") && v)
            *regions = argv[++i];
        else if (!strcmp(a, "--url") && v) {
            char name[32];
            snprintf(name, sizeof name, "url%d", ++*n_urls);
            if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
                return opts_usage_error("simulate", "--url must start with http:// or https://", v);
            if (add_region(s, name, argv[++i]) < 0)
                return opts_usage_error("simulate", "too many --url", v);
        } else if ((!strcmp(a, "--count") || !strcmp(a, "-k") || !strcmp(a, "--k")) && v) {
            if (opts_parse_int(argv[++i], 1, REC_MAX_ITEMS, &s->k) < 0)
                return opts_usage_error("simulate", "--count must be 1..100", v);
        } else if (!strcmp(a, "--no-feedback"))
            s->feedback = 0;
        else if (!strcmp(a, "--json"))
            s->json = 1;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
            s->quiet = 1;
        else if (!strcmp(a, "--config") && v)
            *config = argv[++i];
        else if (!strcmp(a, "--db") && v)
            s->db = argv[++i];
        else if (!strcmp(a, "--api-key") && v)
            snprintf(s->api_key, sizeof s->api_key, "%s", argv[++i]);
        else
            return opts_usage_error("simulate", "unknown option or missing value", a);
    }
    if (!s->from)
        return opts_usage_error("simulate", "--from YYYY-MM-DD is required", NULL);
    if (dataset_parse_day(s->from) < 0)
        return opts_usage_error("simulate", "--from must be YYYY-MM-DD", s->from);
    if (s->to && dataset_parse_day(s->to) < 0)
        return opts_usage_error("simulate", "--to must be YYYY-MM-DD", s->to);
    return 0;
}

/* Replays every order; 0, or -1 with s->err. */
static int replay(struct sim *s)
{
    struct sbuf ev;
    double t0 = clock_monotonic(), shown = t0;
    size_t done = 0; /* purchases of the orders replayed */
    int rc = 0;
    sbuf_init(&ev, SIM_BODY_MAX);
    for (size_t a = 0, b; a < s->n_rows && rc == 0; a = b) {
        for (b = a + 1; b < s->n_rows && !strcmp(s->rows[b].order, s->rows[a].order); b++)
            ;
        if (s->speed > 0 && a > 0) { /* real time, shrunk: the order's offset from the first */
            double due = t0 + (double)(s->rows[a].ts - s->rows[0].ts) / s->speed,
                   now = clock_monotonic();
            if (due > now)
                usleep((useconds_t)((due - now > 3600 ? 3600 : due - now) * 1e6));
        }
        if ((rc = run_order(s, a, b, &ev)) < 0)
            break;
        s->orders++;
        done = b;
        double now = clock_monotonic();
        if (now - shown >= 0.5) {
            progress(s, done, t0, 0);
            shown = now;
        }
    }
    progress(s, done, t0, 1);
    sbuf_free(&ev);
    return rc;
}

int cmd_simulate(int argc, char **argv)
{
    struct sim s = {.k = 10, .feedback = 1};
    const char *regions = "all", *config = NULL;
    int n_urls = 0, rc = EXIT_FAIL;
    int pr = parse_args(&s, argc, argv, &regions, &config, &n_urls);
    if (pr == 1) {
        fputs(help, stdout);
        return EXIT_OK;
    }
    if (pr)
        return pr;
    struct regions_conf conf;
    char path[512];
    regions_defaults(&conf);
    if ((!n_urls || !s.db || !s.api_key[0] || config) &&
        conffile_load(config, &conf, path, sizeof path, s.err, sizeof s.err) < 0 &&
        (config || !n_urls)) {
        fprintf(stderr, "recsys-tui simulate: %s\n", s.err);
        return EXIT_USAGE;
    }
    if (!s.db)
        s.db = conf.database;
    if (!s.api_key[0] && getenv("RECSYS_API_KEY"))
        snprintf(s.api_key, sizeof s.api_key, "%s", getenv("RECSYS_API_KEY"));
    if (!s.api_key[0])
        first_key(conf.api_keys_file, s.api_key, sizeof s.api_key);
    sbuf_init(&s.body, SIM_BODY_MAX);
    if (!n_urls && pick_regions(&s, &conf, regions) < 0) {
        fprintf(stderr, "recsys-tui simulate: %s\n", s.err);
        rc = EXIT_USAGE;
        goto out;
    }
    for (int i = 0; i < s.n_reg; i++) {
        if (!(s.reg[i].easy = curl_easy_init()))
            goto out;
        curl_easy_setopt(s.reg[i].easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s.reg[i].easy, CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(s.reg[i].easy, CURLOPT_CONNECTTIMEOUT, 5L);
        curl_easy_setopt(s.reg[i].easy, CURLOPT_USERAGENT, "recsys-tui-simulate");
        curl_easy_setopt(s.reg[i].easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(s.reg[i].easy, CURLOPT_WRITEDATA, &s.body);
    }
    if (load_rows(&s) < 0) {
        fprintf(stderr, "recsys-tui simulate: %s\n", s.err);
        goto out;
    }
    if (!s.n_rows) {
        fprintf(stderr, "recsys-tui simulate: no purchases in %s from %s%s%s\n", s.db, s.from,
                s.to ? " to " : "", s.to ? s.to : "");
        goto out;
    }
    double t0 = clock_monotonic();
    if (replay(&s) < 0) {
        fprintf(stderr, "recsys-tui simulate: %s\n", s.err);
        goto out;
    }
    report(&s, clock_monotonic() - t0);
    rc = EXIT_OK;
out:
    for (int i = 0; i < s.n_reg; i++)
        if (s.reg[i].easy)
            curl_easy_cleanup(s.reg[i].easy);
    sbuf_free(&s.body);
    free(s.rows);
    free(s.user_variant);
    free(s.user_hit);
    return rc;
}
