/* Experiments in SQLite (see expstore.h). */
#include "net/expstore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset_load.h"
#include "net/exp.h"
#include "util/error.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS experiments("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, running INTEGER NOT NULL,"
    " traffic_from INTEGER NOT NULL, traffic INTEGER NOT NULL, created_at TEXT NOT NULL,"
    " stopped_at TEXT, promoted TEXT);"
    "CREATE TABLE IF NOT EXISTS experiment_variants("
    " experiment_id INTEGER NOT NULL REFERENCES experiments(id), idx INTEGER NOT NULL,"
    " name TEXT NOT NULL, model_version INTEGER NOT NULL, share INTEGER NOT NULL,"
    " impressions INTEGER NOT NULL DEFAULT 0, clicks INTEGER NOT NULL DEFAULT 0,"
    " purchases INTEGER NOT NULL DEFAULT 0, lists_clicked INTEGER NOT NULL DEFAULT 0,"
    " lists_bought INTEGER NOT NULL DEFAULT 0, users BLOB,"
    " PRIMARY KEY(experiment_id, idx));";

static int sql_code(sqlite3 *db)
{
    int e = db ? sqlite3_errcode(db) : SQLITE_NOMEM;
    return e == SQLITE_BUSY || e == SQLITE_LOCKED ? ERR_BUSY
           : e == SQLITE_CONSTRAINT               ? ERR_CONFLICT
                                                  : ERR_FAIL;
}

static int open_rw(const char *db_path, sqlite3 **db, char *err, size_t errlen)
{
    *db = NULL;
    if (sqlite3_open_v2(db_path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        int rc = err_set(err, errlen, "cannot open database %s: %s", db_path,
                         *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(*db, DS_BUSY_MS);
    if (sqlite3_exec(*db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        int rc = err_code_set(err, errlen, sql_code(*db),
                              "cannot create the experiments tables in %s: %s", db_path,
                              sqlite3_errmsg(*db));
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    return 0;
}

static void text_col(sqlite3_stmt *st, int col, char *out, size_t size)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    snprintf(out, size, "%s", s ? s : "");
}

/* Reads the variants of rec (its id set) from the table. */
static int load_variants(sqlite3 *db, struct exp_record *rec)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, model_version, share, impressions, clicks, purchases,"
                           " lists_clicked, lists_bought, users FROM experiment_variants"
                           " WHERE experiment_id = ?1 ORDER BY idx",
                           -1, &st, NULL) != SQLITE_OK)
        return ERR_FAIL;
    sqlite3_bind_int64(st, 1, rec->id);
    while (sqlite3_step(st) == SQLITE_ROW && rec->n_variants < EXP_VARIANTS_MAX) {
        struct exp_variant *v = &rec->v[rec->n_variants++];
        text_col(st, 0, v->name, sizeof v->name);
        v->version = sqlite3_column_int64(st, 1);
        v->share = sqlite3_column_int(st, 2);
        atomic_store(&v->c.impressions, (uint64_t)sqlite3_column_int64(st, 3));
        atomic_store(&v->c.clicks, (uint64_t)sqlite3_column_int64(st, 4));
        atomic_store(&v->c.purchases, (uint64_t)sqlite3_column_int64(st, 5));
        atomic_store(&v->c.lists_clicked, (uint64_t)sqlite3_column_int64(st, 6));
        atomic_store(&v->c.lists_bought, (uint64_t)sqlite3_column_int64(st, 7));
        if (sqlite3_column_bytes(st, 8) == (int)sizeof v->c.users)
            memcpy(v->c.users, sqlite3_column_blob(st, 8), sizeof v->c.users);
    }
    sqlite3_finalize(st);
    return 0;
}

int expstore_load(const char *db_path,
                  int (*fn)(void *arg, struct exp_record *rec, struct engine *base), void *arg,
                  struct engine *base, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = open_rw(db_path, &db, err, errlen);
    if (rc < 0)
        return rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, name, running, traffic_from, traffic, created_at,"
                           " stopped_at, promoted FROM experiments ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = err_code_set(err, errlen, sql_code(db), "cannot read experiments from %s: %s", db_path,
                          sqlite3_errmsg(db));
        goto out;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct exp_record *rec = calloc(1, sizeof *rec);
        if (!rec) {
            rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
            goto out;
        }
        rec->id = sqlite3_column_int64(st, 0);
        text_col(st, 1, rec->name, sizeof rec->name);
        rec->running = sqlite3_column_int(st, 2) != 0;
        rec->traffic_from = sqlite3_column_int(st, 3);
        rec->traffic = sqlite3_column_int(st, 4);
        text_col(st, 5, rec->created_at, sizeof rec->created_at);
        text_col(st, 6, rec->stopped_at, sizeof rec->stopped_at);
        text_col(st, 7, rec->promoted, sizeof rec->promoted);
        if (load_variants(db, rec) < 0 || rec->n_variants == 0) {
            free(rec);
            continue;
        }
        fn(arg, rec, base);
    }
    if (s != SQLITE_DONE)
        rc = err_code_set(err, errlen, sql_code(db), "cannot read experiments from %s: %s", db_path,
                          sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* One write of an experiment: its row, then one row per variant, in one
 * transaction. */
struct exp_write {
    const char *verb;    /* for the message: "cannot <verb> experiment ..." */
    const char *row_sql; /* the experiments row */
    void (*bind_row)(sqlite3_stmt *st, const struct exp_record *rec);
    const char *var_sql; /* one experiment_variants row, run once per variant; it
                            must change exactly one row, else why_none says why */
    const char *why_none;
    void (*bind_var)(sqlite3_stmt *st, const struct exp_record *rec, int64_t id, int v);
};

/* Runs w for each of recs[0..n) under one BEGIN IMMEDIATE: COMMIT when
 * every statement is done, else ROLLBACK and the negative code, err saying
 * "cannot <verb> experiment <name> in <db_path>: <sqlite message>". With
 * new_id (n is 1), the experiments row is a new one: its rowid goes to
 * *new_id and to the variant rows; without, they take rec->id. A NULL
 * row_sql writes the variant rows only. */
static int exp_write(const char *db_path, const struct exp_write *w,
                     const struct exp_record *const *recs, int n, int64_t *new_id, char *err,
                     size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const struct exp_record *rec = recs[0];
    int rc = open_rw(db_path, &db, err, errlen);
    if (rc < 0)
        return rc;
    /* without the lock the statements would run one by one in autocommit
     * mode, and a failure halfway could not be rolled back */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    for (int r = 0; r < n; r++) {
        int64_t id = (rec = recs[r])->id;
        if (w->row_sql) {
            if (sqlite3_prepare_v2(db, w->row_sql, -1, &st, NULL) != SQLITE_OK)
                goto fail;
            w->bind_row(st, rec);
            if (sqlite3_step(st) != SQLITE_DONE)
                goto fail;
            if (new_id)
                *new_id = id = sqlite3_last_insert_rowid(db);
            sqlite3_finalize(st);
        }
        if (sqlite3_prepare_v2(db, w->var_sql, -1, &st, NULL) != SQLITE_OK)
            goto fail;
        for (int v = 0; v < rec->n_variants; v++) {
            sqlite3_reset(st);
            w->bind_var(st, rec, id, v);
            if (sqlite3_step(st) != SQLITE_DONE)
                goto fail;
            if (sqlite3_changes(db) != 1) {
                rc = err_code_set(err, errlen, ERR_CONFLICT,
                                  "cannot %s experiment %s in %s: variant %s: %s", w->verb,
                                  rec->name, db_path, rec->v[v].name, w->why_none);
                goto undo;
            }
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        goto out;
fail:
    /* the message before finalize, which may reset what sqlite3_errmsg says */
    rc = err_code_set(err, errlen, sql_code(db), "cannot %s experiment %s in %s: %s", w->verb,
                      rec->name, db_path, sqlite3_errmsg(db));
undo:
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
    sqlite3_close(db);
    return rc;
}

static void bind_new_row(sqlite3_stmt *st, const struct exp_record *rec)
{
    sqlite3_bind_text(st, 1, rec->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, rec->traffic_from);
    sqlite3_bind_int(st, 3, rec->traffic);
    sqlite3_bind_text(st, 4, rec->created_at, -1, SQLITE_STATIC);
}

static void bind_new_variant(sqlite3_stmt *st, const struct exp_record *rec, int64_t id, int v)
{
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, v);
    sqlite3_bind_text(st, 3, rec->v[v].name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, rec->v[v].version);
    sqlite3_bind_int(st, 5, rec->v[v].share);
}

int expstore_insert(const char *db_path, struct exp_record *rec, char *err, size_t errlen)
{
    static const struct exp_write w = {
        .verb = "store",
        .row_sql = "INSERT INTO experiments(name, running, traffic_from, traffic, created_at)"
                   " VALUES(?1, 1, ?2, ?3, ?4)",
        .bind_row = bind_new_row,
        /* only while its model version is stored: a prune (net/modelprune.c)
         * reads these rows as pins in its own transaction, so a version is
         * either pinned here or gone before this row is written */
        .var_sql = "INSERT INTO experiment_variants(experiment_id, idx, name, model_version,"
                   " share) SELECT ?1, ?2, ?3, ?4, ?5 FROM models WHERE version = ?4",
        .why_none = "its model version is no longer stored (deleted meanwhile)",
        .bind_var = bind_new_variant,
    };
    const struct exp_record *one = rec;
    return exp_write(db_path, &w, &one, 1, &rec->id, err, errlen);
}

static void bind_status(sqlite3_stmt *st, const struct exp_record *rec)
{
    sqlite3_bind_int64(st, 1, rec->id);
    sqlite3_bind_int(st, 2, rec->running || rec->held);
    sqlite3_bind_text(st, 3, rec->stopped_at, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rec->promoted, -1, SQLITE_STATIC);
}

/* The counters are live (regions count while the bio thread saves): each
 * is read once, atomically. */
static void bind_counters(sqlite3_stmt *st, const struct exp_record *rec, int64_t id, int v)
{
    const struct exp_counts *c = &rec->v[v].c;
    uint8_t users[sizeof c->users];
    for (size_t k = 0; k < sizeof users; k++)
        users[k] = __atomic_load_n(&c->users[k], __ATOMIC_RELAXED);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, v);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)atomic_load(&c->impressions));
    sqlite3_bind_int64(st, 4, (sqlite3_int64)atomic_load(&c->clicks));
    sqlite3_bind_int64(st, 5, (sqlite3_int64)atomic_load(&c->purchases));
    sqlite3_bind_int64(st, 6, (sqlite3_int64)atomic_load(&c->lists_clicked));
    sqlite3_bind_int64(st, 7, (sqlite3_int64)atomic_load(&c->lists_bought));
    sqlite3_bind_blob(st, 8, users, (int)sizeof users, SQLITE_TRANSIENT);
}

/* One variant's counters: absolute values, so writing them twice is harmless. */
#define COUNTERS_SQL                                                                               \
    "UPDATE experiment_variants SET impressions = ?3, clicks = ?4, purchases = ?5,"                \
    " lists_clicked = ?6, lists_bought = ?7, users = ?8 WHERE experiment_id = ?1 AND idx = ?2"

int expstore_update(const char *db_path, const struct exp_record *rec, char *err, size_t errlen)
{
    static const struct exp_write w = {
        .verb = "save",
        .row_sql = "UPDATE experiments SET running = ?2, stopped_at = NULLIF(?3, ''),"
                   " promoted = NULLIF(?4, '') WHERE id = ?1",
        .bind_row = bind_status,
        .var_sql = COUNTERS_SQL,
        .why_none = "its row is missing",
        .bind_var = bind_counters,
    };
    return exp_write(db_path, &w, &rec, 1, NULL, err, errlen);
}

int expstore_save_counters(const char *db_path, const struct exp_record *const *recs, int n,
                           char *err, size_t errlen)
{
    static const struct exp_write w = {
        .verb = "save the counters of",
        .var_sql = COUNTERS_SQL,
        .why_none = "its row is missing",
        .bind_var = bind_counters,
    };
    return n > 0 ? exp_write(db_path, &w, recs, n, NULL, err, errlen) : 0;
}
