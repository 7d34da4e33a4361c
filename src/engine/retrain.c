/* One retraining cycle (see retrain.h). */
#include "engine/retrain.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset_load.h"
#include "engine/eval.h"
#include "engine/model.h"
#include "engine/modelstore.h"
#include "engine/train.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/sbuf.h"

int retrain_decide(double candidate, double active, int has_active,
                   const struct retrain_tolerance *t, char *reason, size_t len)
{
    char dummy[8];
    if (!reason)
        reason = dummy, len = sizeof dummy;
    if (!has_active) {
        snprintf(reason, len, "no active model to compare with: candidate hit-rate %.4f",
                 candidate);
        return 1;
    }
    double floor_ = t->relative ? active * (1 - t->value) : active - t->value;
    /* a hair of slack: both figures are ratios of the same integers */
    int ok = candidate >= floor_ - 1e-12;
    snprintf(reason, len,
             "candidate hit-rate %.4f %s active %.4f %s tolerance %g%s (needs >= %.4f)", candidate,
             candidate > active   ? ">"
             : candidate < active ? "<"
                                  : "=",
             active, ok ? "within" : "worse than", t->relative ? t->value * 100 : t->value,
             t->relative ? "%" : "", floor_);
    return ok;
}

/* ---- purchase events from the events table ----------------------------- */

static int ev_cmp(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

/* 1 when ds (sorted by day, user, item) already holds e's day, user, item. */
static int ds_has(const struct dataset *ds, int64_t n, const struct event *e)
{
    int64_t lo = 0, hi = n - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = ev_cmp(&ds->events[mid], e);
        if (!c)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

/* The day of an events.ts value: unix seconds (integer or real) or text. */
static int32_t event_day(sqlite3_stmt *st, int col)
{
    int t = sqlite3_column_type(st, col);
    if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) {
        double v = sqlite3_column_double(st, col);
        return v >= 0 && v < 7.3e9 ? (int32_t)(v / 86400) : -1;
    }
    return t == SQLITE_TEXT ? dataset_parse_day((const char *)sqlite3_column_text(st, col)) : -1;
}

/* Adds the purchase events of db_path's `events` table (if any) to ds, keeping
 * it sorted. Known users and products only: a new customer's id is not in
 * the dataset's id maps (counted in *skipped). */
static int add_event_purchases(const char *db_path, struct dataset *ds, int64_t *added,
                               int64_t *skipped, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct event *nev = NULL;
    size_t n = 0, cap = 0;
    int rc;
    *added = *skipped = 0;
    if ((rc = dataset_open_ro(db_path, &db, err, errlen)) < 0)
        return rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT user_id, product_id, ts FROM events"
                           " WHERE type = 'purchase' OR type = 3",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = 0; /* no events table (yet): only the orders */
        goto out;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *u = (const char *)sqlite3_column_text(st, 0);
        const char *p = (const char *)sqlite3_column_text(st, 1);
        struct event e = {u ? dataset_idmap_find(&ds->users, u) : -1,
                          p ? dataset_idmap_find(&ds->items, p) : -1, event_day(st, 2), 0};
        if (e.user < 0 || e.item < 0 || e.day < 0) {
            ++*skipped;
            continue;
        }
        if (ds_has(ds, ds->n_events, &e))
            continue; /* the same purchase as an order on record (a replay) */
        e.price = ds->item_price[e.item] > 0 ? ds->item_price[e.item] : 0;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            struct event *g = realloc(nev, nc * sizeof *g);
            if (!g) {
                rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory reading events");
                goto out;
            }
            nev = g, cap = nc;
        }
        nev[n++] = e;
    }
    if (s != SQLITE_DONE) {
        rc = err_set(err, errlen, "cannot read the events table of %s: %s", db_path,
                     sqlite3_errmsg(db));
        goto out;
    }
    if (n) {
        struct event *all = realloc(ds->events, ((size_t)ds->n_events + n) * sizeof *all);
        if (!all) {
            rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory adding events");
            goto out;
        }
        memcpy(all + ds->n_events, nev, n * sizeof *nev);
        ds->events = all;
        ds->n_events += (int64_t)n;
        qsort(ds->events, (size_t)ds->n_events, sizeof *ds->events, ev_cmp);
        *added = (int64_t)n;
    }
    rc = 0;
out:
    free(nev);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* ---- holdout and comparison --------------------------------------------- */

/* Distinct users with an event on or after day `from` (events sorted by day). */
static int64_t users_since(const struct dataset *ds, int32_t from, uint8_t *mark)
{
    int64_t c = 0;
    memset(mark, 0, (size_t)ds->users.n + 1);
    for (int64_t k = ds->n_events - 1; k >= 0 && ds->events[k].day >= from; k--)
        if (!mark[ds->events[k].user]) {
            mark[ds->events[k].user] = 1;
            c++;
        }
    return c;
}

/* The holdout's first day (see retrain.h), or -1 when there is no data
 * before it to train on. */
static int32_t pick_holdout(const struct dataset *ds, int64_t *users, char *err, size_t errlen)
{
    if (ds->n_events < 2) {
        err_code_set(err, errlen, ERR_INVALID, "too few purchases to retrain (%lld)",
                     (long long)ds->n_events);
        return -1;
    }
    uint8_t *mark = malloc((size_t)ds->users.n + 1);
    if (!mark) {
        err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        return -1;
    }
    int32_t first = ds->events[0].day, end = ds->events[ds->n_events - 1].day + 1, from = end;
    for (int step = 1; step <= RETRAIN_HOLDOUT_STEPS; step++) {
        int32_t f = end - step * RETRAIN_HOLDOUT_DAYS;
        if (f <= first)
            break;
        from = f;
        if ((*users = users_since(ds, from, mark)) >= RETRAIN_HOLDOUT_USERS)
            break;
    }
    free(mark);
    if (from == end) {
        err_code_set(err, errlen, ERR_INVALID,
                     "the purchases span less than %d days: no holdout month to compare on",
                     RETRAIN_HOLDOUT_DAYS);
        return -1;
    }
    return from;
}

/* Trains algo/p before cutoff and stores its hit-rate@k on the rest in *hr. */
static int score(const struct dataset *ds, const char *algo, const struct algo_params *p,
                 int32_t cutoff, int k, double *hr, int64_t *users, char **eval_json, char *err,
                 size_t errlen)
{
    struct model m = {0};
    struct eval_result r;
    int rc = model_train(ds, algo, p, cutoff, &m, err, errlen);
    if (rc == 0 && (rc = eval_model(&m, ds, cutoff, k, 0, &r, err, errlen)) == 0) {
        *hr = r.all.hit_rate;
        *users = r.all.users;
        if (eval_json) {
            char day[11];
            dataset_format_day(cutoff, day);
            *eval_json = eval_result_json(&r, day);
        }
    }
    model_free(&m);
    return rc;
}

/* The active version's algorithm and parameters; 0 with *has = 0 when no
 * model is active or it cannot be read (the candidate then wins). */
static void active_config(const char *db_path, struct retrain_report *rep, struct algo_params *p)
{
    sqlite3 *db = NULL;
    struct model m = {0};
    struct model_meta meta = {0};
    char err[256];
    rep->has_active = 0;
    if (dataset_open_ro(db_path, &db, err, sizeof err) < 0)
        return;
    if (modelstore_load_active(db, &m, &meta, err, sizeof err) == 0) {
        rep->has_active = 1;
        rep->active_version = meta.version;
        snprintf(rep->active_algo, sizeof rep->active_algo, "%s", m.algorithm);
        *p = m.params;
    }
    modelstore_meta_free(&meta);
    model_free(&m);
    sqlite3_close(db);
}

/* 1 when a and b are the same parameters (as stored: padding never compared). */
static int same_params(const struct algo_params *a, const struct algo_params *b)
{
    char *x = modelstore_params_json(a), *y = modelstore_params_json(b);
    int same = x && y && !strcmp(x, y);
    free(x), free(y);
    return same;
}

/* Trains the candidate on everything and stores it (activated when asked). */
static int store_candidate(const struct retrain_options *o, const struct dataset *ds,
                           const struct algo_params *p, struct retrain_report *rep,
                           const char *eval_json, char *err, size_t errlen)
{
    struct model m = {0};
    struct model_meta meta = {0};
    struct sbuf js;
    double t0 = clock_monotonic();
    int rc = model_train(ds, rep->candidate_algo, p, train_all_data_cutoff(ds), &m, err, errlen);
    if (rc < 0)
        return rc;
    meta.train_seconds = clock_monotonic() - t0;
    meta.params_json = modelstore_params_json(p);
    sbuf_init(&js, 1 << 16);
    sbuf_puts(&js, "{\"model\":");
    sbuf_puts(&js, eval_json ? eval_json : "{}");
    sbuf_puts(&js, ",\"retrain\":");
    retrain_report_json(rep, &js);
    sbuf_puts(&js, "}");
    meta.metrics_json = js.overflow || !js.p ? NULL : js.p;
    rc = modelstore_save(o->db_path, &m, &meta, o->activate && rep->activate, err, errlen);
    if (rc == 0)
        rep->version = meta.version;
    meta.metrics_json = NULL; /* js owns it */
    sbuf_free(&js);
    modelstore_meta_free(&meta);
    model_free(&m);
    return rc;
}

int retrain_run(const struct retrain_options *o, struct retrain_report *rep, char *err,
                size_t errlen)
{
    struct dataset ds = {0};
    struct algo_params cand_p, act_p;
    char *eval_json = NULL;
    double t0 = clock_monotonic();
    int rc;
    memset(rep, 0, sizeof *rep);
    rep->k = o->k > 0 ? o->k : RETRAIN_K;
    snprintf(rep->candidate_algo, sizeof rep->candidate_algo, "%s", o->algo ? o->algo : "hybrid");
    if (!algo_find(rep->candidate_algo))
        return err_code_set(err, errlen, ERR_INVALID, "unknown algorithm \"%s\"",
                            rep->candidate_algo);
    if (o->params)
        cand_p = *o->params;
    else
        algo_params_default(&cand_p);
    if ((rc = dataset_load(o->db_path, &ds, err, errlen)) < 0)
        goto out;
    if ((rc = add_event_purchases(o->db_path, &ds, &rep->event_purchases, &rep->events_skipped, err,
                                  errlen)) < 0)
        goto out;
    rep->purchases = ds.n_events;
    int64_t users = 0;
    int32_t from = pick_holdout(&ds, &users, err, errlen);
    if (from < 0) {
        rc = ERR_INVALID;
        goto out;
    }
    dataset_format_day(from, rep->holdout_from);
    dataset_format_day(ds.events[ds.n_events - 1].day, rep->holdout_to);
    if ((rc = score(&ds, rep->candidate_algo, &cand_p, from, rep->k, &rep->candidate_hit_rate,
                    &rep->holdout_users, &eval_json, err, errlen)) < 0)
        goto out;
    active_config(o->db_path, rep, &act_p);
    if (rep->has_active) {
        if (!strcmp(rep->active_algo, rep->candidate_algo) && same_params(&act_p, &cand_p))
            rep->active_hit_rate = rep->candidate_hit_rate; /* the same configuration */
        else if ((rc = score(&ds, rep->active_algo, &act_p, from, rep->k, &rep->active_hit_rate,
                             &users, NULL, err, errlen)) < 0)
            goto out;
    }
    rep->activate = retrain_decide(rep->candidate_hit_rate, rep->active_hit_rate, rep->has_active,
                                   &o->tol, rep->reason, sizeof rep->reason);
    rc = store_candidate(o, &ds, &cand_p, rep, eval_json, err, errlen);
out:
    rep->seconds = clock_monotonic() - t0;
    free(eval_json);
    dataset_free(&ds);
    return rc;
}

void retrain_report_json(const struct retrain_report *r, struct sbuf *b)
{
    sbuf_printf(b,
                "{\"purchases\":%lld,\"event_purchases\":%lld,\"events_skipped\":%lld,"
                "\"holdout\":{\"from\":\"%s\",\"to\":\"%s\",\"users\":%lld},\"k\":%d,"
                "\"candidate\":{\"algorithm\":",
                (long long)r->purchases, (long long)r->event_purchases,
                (long long)r->events_skipped, r->holdout_from, r->holdout_to,
                (long long)r->holdout_users, r->k);
    sbuf_json_str(b, r->candidate_algo);
    sbuf_printf(b, ",\"hit_rate\":%.6f},\"active\":", r->candidate_hit_rate);
    if (r->has_active) {
        sbuf_printf(b, "{\"version\":%lld,\"algorithm\":", (long long)r->active_version);
        sbuf_json_str(b, r->active_algo);
        sbuf_printf(b, ",\"hit_rate\":%.6f}", r->active_hit_rate);
    } else
        sbuf_puts(b, "null");
    sbuf_printf(b, ",\"decision\":\"%s\",\"reason\":", r->activate ? "activate" : "keep");
    sbuf_json_str(b, r->reason);
    sbuf_printf(b, ",\"version\":%lld,\"seconds\":%.3f}", (long long)r->version, r->seconds);
}
