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
#include "engine/tunestore.h"
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

/* A purchase event as read, before its customer has an index. */
struct ev_row {
    char user[DS_ID_LEN];
    int32_t item, day;
};

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Adds the customers of rows that ds does not know (new customers who bought
 * through POST /api/v1/events) to ds->users, which stays sorted: the
 * existing indices move, so the events and user_state are renumbered (the
 * order of the events is unchanged, as the renumbering is monotone). */
static int add_new_users(struct dataset *ds, const struct ev_row *rows, size_t n, int64_t *added)
{
    char(*nu)[DS_ID_LEN] = malloc((n + 1) * DS_ID_LEN);
    size_t k = 0;
    int rc = -1;
    if (!nu)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (dataset_idmap_find(&ds->users, rows[i].user) < 0)
            memcpy(nu[k++], rows[i].user, DS_ID_LEN);
    qsort(nu, k, DS_ID_LEN, id_cmp);
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (!m || strcmp(nu[m - 1], nu[i]))
            memcpy(nu[m++], nu[i], DS_ID_LEN);
    *added = (int64_t)m;
    if (!m) {
        free(nu);
        return 0;
    }
    int32_t old_n = ds->users.n, total = old_n + (int32_t)m;
    char(*ids)[DS_ID_LEN] = malloc((size_t)total * DS_ID_LEN);
    int16_t *state = malloc((size_t)total * sizeof *state);
    int32_t *moved = malloc(((size_t)old_n + 1) * sizeof *moved);
    if (!ids || !state || !moved)
        goto out;
    for (int32_t i = 0, j = 0, o = 0; o < total; o++) { /* merge two sorted lists */
        if (j == (int32_t)m || (i < old_n && strcmp(ds->users.ids[i], nu[j]) < 0)) {
            memcpy(ids[o], ds->users.ids[i], DS_ID_LEN);
            state[o] = ds->user_state[i];
            moved[i++] = o;
        } else {
            memcpy(ids[o], nu[j++], DS_ID_LEN);
            state[o] = -1; /* not in customers: no state */
        }
    }
    for (int64_t e = 0; e < ds->n_events; e++)
        ds->events[e].user = moved[ds->events[e].user];
    free(ds->users.ids);
    free(ds->user_state);
    ds->users.ids = ids, ds->user_state = state, ds->users.n = total;
    ids = NULL, state = NULL;
    rc = 0;
out:
    free(nu), free(ids), free(state), free(moved);
    return rc;
}

/* Reads the purchase events of db's `events` table with a valid customer id
 * and a known product into *rows; *skipped counts the others. 1 when there
 * is no events table, 0, or -1 (SQL error or no memory). */
static int read_event_rows(sqlite3 *db, const struct dataset *ds, struct ev_row **rows, size_t *n,
                           int64_t *skipped)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int s;
    if (sqlite3_prepare_v2(db,
                           "SELECT user_id, product_id, ts FROM events"
                           " WHERE type = 'purchase' OR type = 3",
                           -1, &st, NULL) != SQLITE_OK)
        return 1;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *u = (const char *)sqlite3_column_text(st, 0);
        const char *p = (const char *)sqlite3_column_text(st, 1);
        struct ds_key key;
        struct ev_row r = {.item = p ? dataset_idmap_find(&ds->items, p) : -1,
                           .day = event_day(st, 2)};
        if (!u || dataset_id_key(u, &key) < 0 || r.item < 0 || r.day < 0) {
            ++*skipped;
            continue;
        }
        memcpy(r.user, u, DS_ID_LEN);
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            struct ev_row *g = realloc(*rows, nc * sizeof *g);
            if (!g) {
                sqlite3_finalize(st);
                return -1;
            }
            *rows = g, cap = nc;
        }
        (*rows)[(*n)++] = r;
    }
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? 0 : -1;
}

/* Adds the purchase events of db_path's `events` table (if any) to ds, keeping
 * it sorted; customers the database does not know yet are added to it. An
 * event repeating a purchase on record (same customer, product and day: a
 * replayed order) is not counted twice. */
static int add_event_purchases(const char *db_path, struct dataset *ds, struct retrain_report *rep,
                               char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    struct ev_row *rows = NULL;
    struct event *nev = NULL;
    size_t n = 0, k = 0;
    int rc;
    if ((rc = dataset_open_ro(db_path, &db, err, errlen)) < 0)
        return rc;
    if (read_event_rows(db, ds, &rows, &n, &rep->events_skipped) < 0) {
        rc = err_set(err, errlen, "cannot read the events table of %s: %s", db_path,
                     sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
    if (!n)
        goto out;
    if (add_new_users(ds, rows, n, &rep->new_users) < 0 || !(nev = malloc(n * sizeof *nev))) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory adding events");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        float price = ds->item_price[rows[i].item];
        struct event e = {dataset_idmap_find(&ds->users, rows[i].user), rows[i].item, rows[i].day,
                          price > 0 ? price : 0, -1};
        if (!ds_has(ds, ds->n_events, &e))
            nev[k++] = e;
    }
    if (k) {
        struct event *all = realloc(ds->events, ((size_t)ds->n_events + k) * sizeof *all);
        if (!all) {
            rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory adding events");
            goto out;
        }
        memcpy(all + ds->n_events, nev, k * sizeof *nev);
        ds->events = all;
        ds->n_events += (int64_t)k;
        qsort(ds->events, (size_t)ds->n_events, sizeof *ds->events, ev_cmp);
        rep->event_purchases = (int64_t)k;
    }
out:
    free(rows);
    free(nev);
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
                           const struct algo_params *p, const struct tune_run *tuned,
                           struct retrain_report *rep, const char *eval_json, char *err,
                           size_t errlen)
{
    struct model m = {0};
    struct model_meta meta = {0};
    struct sbuf js;
    double t0 = clock_monotonic();
    int rc = model_train(ds, rep->candidate_algo, p, train_all_data_cutoff(ds), &m, err, errlen);
    if (rc < 0)
        return rc;
    meta.train_seconds = clock_monotonic() - t0;
    meta.params_json = tunestore_params_json(p, tuned);
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
    struct tune_run tuned = {0};
    int has_tuned = 0;
    if (o->params)
        cand_p = *o->params;
    else {
        algo_params_default(&cand_p); /* then the latest `tune` choice, as train does */
        if ((rc = tunestore_latest(o->db_path, rep->candidate_algo, &tuned, err, errlen)) < 0)
            return rc; /* not the defaults in silence: the active model may be tuned */
        if (rc == 0 && tunestore_apply(tuned.report, &cand_p) < 0) {
            rc = err_code_set(err, errlen, ERR_CORRUPT, "tune run %lld in %s has no params",
                              (long long)tuned.id, o->db_path);
            tunestore_run_free(&tuned);
            return rc;
        }
        has_tuned = rc == 0;
    }
    if ((rc = dataset_load(o->db_path, &ds, err, errlen)) < 0)
        goto out;
    if ((rc = add_event_purchases(o->db_path, &ds, rep, err, errlen)) < 0)
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
    rc = store_candidate(o, &ds, &cand_p, has_tuned ? &tuned : NULL, rep, eval_json, err, errlen);
out:
    rep->seconds = clock_monotonic() - t0;
    tunestore_run_free(&tuned);
    free(eval_json);
    dataset_free(&ds);
    return rc;
}

void retrain_report_json(const struct retrain_report *r, struct sbuf *b)
{
    sbuf_printf(b,
                "{\"purchases\":%lld,\"event_purchases\":%lld,\"new_users\":%lld,"
                "\"events_skipped\":%lld,"
                "\"holdout\":{\"from\":\"%s\",\"to\":\"%s\",\"users\":%lld},\"k\":%d,"
                "\"candidate\":{\"algorithm\":",
                (long long)r->purchases, (long long)r->event_purchases, (long long)r->new_users,
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
