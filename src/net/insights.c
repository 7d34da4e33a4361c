/* The insights snapshot and its SQL (see insights.h). */
#include "net/insights.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "net/api.h"
#include "net/bio.h"
#include "net/render.h"
#include "util/clock.h"
#include "util/error.h"

/* One database per process, so one snapshot: guarded by mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char *snap; /* the JSON body, or NULL before the first build */
static size_t snap_len;
static double snap_at;     /* clock_monotonic() of the build; 0 when invalidated */
static int building;       /* a job is queued or running */
static char snap_err[512]; /* why the last build failed; "" after a success */

struct query {
    sqlite3 *db;
    const char *path;
    char *err;
    size_t errlen;
};

/* Runs sql; for every row calls row(st, ctx). 0, or ERR_FAIL with err. A
 * missing table is not an error when optional is set (no rows then). */
static int each_row(struct query *q, const char *sql, int optional,
                    void (*row)(sqlite3_stmt *, void *), void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
        if (optional && strstr(sqlite3_errmsg(q->db), "no such table"))
            return 0;
        return err_set(q->err, q->errlen, "insights: %s: %s (%.60s...)", q->path,
                       sqlite3_errmsg(q->db), sql);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        row(st, ctx);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return err_set(q->err, q->errlen, "insights: %s: %s", q->path, sqlite3_errmsg(q->db));
    return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* Row callbacks: each adds one object to the array ctx, with the columns
 * named as in its query's result (the column names are the JSON keys). */
static void row_object(sqlite3_stmt *st, void *ctx)
{
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < sqlite3_column_count(st); i++) {
        const char *name = sqlite3_column_name(st, i);
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
        case SQLITE_FLOAT:
            cJSON_AddNumberToObject(o, name, sqlite3_column_double(st, i));
            break;
        case SQLITE_NULL:
            cJSON_AddNullToObject(o, name);
            break;
        default:
            cJSON_AddStringToObject(o, name, col_text(st, i));
        }
    }
    cJSON_AddItemToArray(ctx, o);
}

static void row_meta(sqlite3_stmt *st, void *ctx)
{
    cJSON_AddStringToObject(ctx, col_text(st, 0), col_text(st, 1));
}

/* The active model: version, algorithm, cutoff and its stored metrics
 * (parsed, so they are served as JSON, not as a string). */
static void row_model(sqlite3_stmt *st, void *ctx)
{
    cJSON *o = ctx;
    cJSON_AddNumberToObject(o, "version", sqlite3_column_double(st, 0));
    cJSON_AddStringToObject(o, "algorithm", col_text(st, 1));
    cJSON_AddStringToObject(o, "cutoff", col_text(st, 2));
    cJSON_AddStringToObject(o, "created_at", col_text(st, 3));
    cJSON *m = cJSON_Parse(col_text(st, 4));
    cJSON_AddItemToObject(o, "metrics", m ? m : cJSON_CreateNull());
}

static const char Q_TOTALS[] =
    "SELECT (SELECT COUNT(*) FROM orders) AS orders,"
    " (SELECT COUNT(DISTINCT customer_unique_id) FROM customers) AS customers,"
    " (SELECT COUNT(*) FROM products) AS products,"
    " (SELECT COUNT(*) FROM order_items) AS order_items,"
    " (SELECT COUNT(*) FROM sellers) AS sellers,"
    " (SELECT COUNT(*) FROM interactions) AS interactions";
static const char Q_MONTHS[] =
    "SELECT substr(order_purchase_timestamp, 1, 7) AS month, COUNT(*) AS orders FROM orders"
    " WHERE order_purchase_timestamp IS NOT NULL GROUP BY month ORDER BY month";
static const char Q_CATS[] =
    "SELECT c.category AS category, COUNT(*) AS items, COUNT(DISTINCT i.order_id) AS orders,"
    " ROUND(SUM(i.price), 2) AS revenue FROM order_items i"
    " JOIN product_catalog c ON c.product_id = i.product_id"
    " GROUP BY c.category ORDER BY items DESC, category LIMIT 10";
/* customers (distinct people) and orders per state, aggregated apart: one
 * join of 99k customers with their orders was four times slower */
static const char Q_STATES[] =
    "SELECT s.state AS state, s.customers AS customers, COALESCE(o.orders, 0) AS orders"
    " FROM (SELECT customer_state AS state, COUNT(DISTINCT customer_unique_id) AS customers"
    "       FROM customers WHERE customer_state IS NOT NULL GROUP BY 1) s"
    " LEFT JOIN (SELECT c.customer_state AS state, COUNT(*) AS orders FROM orders o"
    "       JOIN customers c ON c.customer_id = o.customer_id GROUP BY 1) o ON o.state = s.state"
    " ORDER BY s.customers DESC, s.state";
static const char Q_CLEANING[] =
    "SELECT file, rule, count, detail FROM ingest_report ORDER BY rowid";
static const char Q_MODEL[] =
    "SELECT version, algorithm, cutoff, created_at, metrics FROM models WHERE active = 1";
static const char Q_ROLLING[] =
    "SELECT month, algorithm, segment, users, hits, hit_rate, hr_low AS low, hr_high AS high,"
    " precision, recall, ndcg FROM eval_rolling"
    " WHERE run_id = (SELECT MAX(run_id) FROM eval_rolling) ORDER BY month, rowid";
static const char Q_RUN[] = "SELECT run_id, created_at, k, COUNT(DISTINCT month) AS months"
                            " FROM eval_rolling WHERE run_id = (SELECT MAX(run_id) FROM "
                            "eval_rolling) GROUP BY run_id";

int insights_build(const char *db_path, struct sbuf *out, char *err, size_t errlen)
{
    struct query q = {.path = db_path, .err = err, .errlen = errlen};
    cJSON *root = cJSON_CreateObject(), *ds = cJSON_CreateObject(), *tot = cJSON_CreateArray();
    cJSON *model = cJSON_CreateObject(), *run = cJSON_CreateArray(), *rows = cJSON_CreateArray();
    int rc = -1;
    double t0 = clock_monotonic();
    if (!root || !ds || !tot || !model || !run || !rows) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        goto out;
    }
    if (sqlite3_open_v2(db_path, &q.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = err_set(err, errlen, "insights: cannot open %s: %s", db_path,
                     q.db ? sqlite3_errmsg(q.db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(q.db, 5000);
    cJSON *months = cJSON_AddArrayToObject(root, "orders_per_month");
    cJSON *cats = cJSON_AddArrayToObject(root, "top_categories");
    cJSON *states = cJSON_AddArrayToObject(root, "states");
    cJSON *cleaning = cJSON_AddArrayToObject(root, "cleaning");
    if ((rc = each_row(&q, "SELECT key, value FROM meta WHERE key IN ('dataset', 'ingested_at')", 1,
                       row_meta, ds)) < 0 ||
        (rc = each_row(&q, Q_TOTALS, 0, row_object, tot)) < 0 ||
        (rc = each_row(&q, Q_MONTHS, 0, row_object, months)) < 0 ||
        (rc = each_row(&q, Q_CATS, 0, row_object, cats)) < 0 ||
        (rc = each_row(&q, Q_STATES, 0, row_object, states)) < 0 ||
        (rc = each_row(&q, Q_CLEANING, 1, row_object, cleaning)) < 0 ||
        (rc = each_row(&q, Q_MODEL, 1, row_model, model)) < 0 ||
        (rc = each_row(&q, Q_RUN, 1, row_object, run)) < 0 ||
        (rc = each_row(&q, Q_ROLLING, 1, row_object, rows)) < 0)
        goto out;
    cJSON *t = cJSON_GetArrayItem(tot, 0);
    for (cJSON *c = t ? t->child : NULL; c; c = c->next)
        cJSON_AddNumberToObject(ds, c->string, c->valuedouble);
    cJSON_AddItemToObject(root, "dataset", ds);
    ds = NULL;
    if (model->child) {
        cJSON_AddItemToObject(root, "model", model);
        model = NULL;
    } else {
        cJSON_AddNullToObject(root, "model");
    }
    cJSON *r = cJSON_DetachItemFromArray(run, 0);
    if (r) {
        cJSON_AddStringToObject(r, "interval", "wilson95");
        cJSON_AddItemToObject(r, "rows", rows);
        rows = NULL;
        cJSON_AddItemToObject(root, "rolling", r);
    } else {
        cJSON_AddNullToObject(root, "rolling");
    }
    cJSON_AddNumberToObject(root, "build_ms", (clock_monotonic() - t0) * 1e3);
    char *s = cJSON_PrintUnformatted(root);
    if (!s) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        goto out;
    }
    sbuf_puts(out, s);
    free(s);
    rc = out->overflow ? err_code_set(err, errlen, ERR_NOMEM, "insights too large") : 0;
out:
    sqlite3_close(q.db);
    cJSON_Delete(root), cJSON_Delete(ds), cJSON_Delete(tot), cJSON_Delete(model);
    cJSON_Delete(run), cJSON_Delete(rows);
    return rc;
}

void insights_job(struct api_shared *sh, void *arg, struct bio_result *res)
{
    struct sbuf b;
    char err[512] = "";
    (void)arg;
    sbuf_init(&b, 4u << 20);
    int rc = insights_build(sh->db_path, &b, err, sizeof err);
    char *body = rc == 0 ? malloc(b.len + 1) : NULL;
    if (body)
        memcpy(body, b.p, b.len + 1);
    pthread_mutex_lock(&mu);
    if (body) {
        free(snap);
        snap = body;
        snap_len = b.len;
        snap_at = clock_monotonic();
        snap_err[0] = 0;
    } else {
        snprintf(snap_err, sizeof snap_err, "%s", rc < 0 ? err : "out of memory");
        snap_at = clock_monotonic(); /* retried after INSIGHTS_MAX_AGE_S, not every request */
    }
    building = 0;
    pthread_mutex_unlock(&mu);
    if (res)
        res->rc = body ? 0 : ERR_FAIL;
    sbuf_free(&b);
}

int insights_schedule(struct bio *b)
{
    pthread_mutex_lock(&mu);
    int queued = building;
    building = 1;
    pthread_mutex_unlock(&mu);
    if (queued)
        return 0;
    int rc = bio_call(b, insights_job, NULL, NULL, NULL, NULL);
    if (rc < 0) {
        pthread_mutex_lock(&mu);
        building = 0;
        pthread_mutex_unlock(&mu);
    }
    return rc;
}

void insights_invalidate(void)
{
    pthread_mutex_lock(&mu);
    snap_at = 0;
    pthread_mutex_unlock(&mu);
}

int insights_serve(struct api_shared *sh, struct sbuf *body, int *retry_after)
{
    char why[sizeof snap_err + 64];
    int status = 200;
    pthread_mutex_lock(&mu);
    int kick = !building && (snap_at == 0 || clock_monotonic() - snap_at > INSIGHTS_MAX_AGE_S);
    sbuf_reset(body); /* it holds the region's previous response */
    if (snap)
        sbuf_append(body, snap, snap_len);
    else if (snap_err[0] && !kick)
        snprintf(why, sizeof why, "%s", snap_err), status = 503;
    else
        snprintf(why, sizeof why, "insights are being computed; retry in %d s",
                 INSIGHTS_RETRY_AFTER),
            status = 503;
    pthread_mutex_unlock(&mu);
    if (kick)
        insights_schedule(sh->bio);
    if (status != 200) {
        render_error(body, status, why);
        *retry_after = INSIGHTS_RETRY_AFTER;
    }
    return status;
}
