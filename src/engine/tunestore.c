/* Tuning runs in the database (see tunestore.h). */
#include "engine/tunestore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset_load.h"
#include "engine/modelstore.h"
#include "util/error.h"

static int ts_code(sqlite3 *db)
{
    int c = db ? sqlite3_errcode(db) : SQLITE_NOMEM;
    return c == SQLITE_BUSY || c == SQLITE_LOCKED ? ERR_BUSY
           : c == SQLITE_NOMEM                    ? ERR_NOMEM
                                                  : ERR_FAIL;
}

int tunestore_save(const char *db_path, const struct tune_result *r, int64_t *id, char *err,
                   size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *report = tune_result_json(r);
    int rc = 0;
    if (!report)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory writing the tuning report");
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(db, DS_BUSY_MS);
    if (sqlite3_exec(db, TUNESTORE_SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO tune_runs(created_at, algorithm, cutoff, report) VALUES "
                           "(strftime('%Y-%m-%d %H:%M:%S', 'now'), ?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, r->algo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->cutoff, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, report, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto fail;
    *id = sqlite3_last_insert_rowid(db);
    goto out;
fail:
    rc = err_code_set(err, errlen, ts_code(db), "cannot store the tuning run in %s: %s", db_path,
                      db ? sqlite3_errmsg(db) : "out of memory");
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(report);
    return rc;
}

static void col_copy(sqlite3_stmt *st, int i, char *out, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, len, "%s", t ? (const char *)t : "");
}

int tunestore_latest(const char *db_path, const char *algorithm, struct tune_run *out, char *err,
                     size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 1;
    memset(out, 0, sizeof *out);
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 1; /* no database: no tuning either */
    }
    sqlite3_busy_timeout(db, DS_BUSY_MS);
    if (sqlite3_prepare_v2(db,
                           "SELECT id, created_at, algorithm, cutoff, report FROM tune_runs "
                           "WHERE algorithm = ?1 ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        const char *m = sqlite3_errmsg(db);
        if (!strstr(m, "no such table"))
            rc = err_code_set(err, errlen, ts_code(db), "cannot read tune_runs in %s: %s", db_path,
                              m);
        goto out;
    }
    sqlite3_bind_text(st, 1, algorithm, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        col_copy(st, 1, out->created_at, sizeof out->created_at);
        col_copy(st, 2, out->algorithm, sizeof out->algorithm);
        col_copy(st, 3, out->cutoff, sizeof out->cutoff);
        const unsigned char *t = sqlite3_column_text(st, 4);
        out->report = strdup(t ? (const char *)t : "{}");
        rc = out->report ? 0 : err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    } else if (s != SQLITE_DONE)
        rc = err_code_set(err, errlen, ts_code(db), "cannot read tune_runs in %s: %s", db_path,
                          sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

void tunestore_run_free(struct tune_run *r)
{
    free(r->report);
    r->report = NULL;
}

int tunestore_apply(const char *report, struct algo_params *p)
{
    const char *o = report ? strstr(report, "\"params\":{") : NULL;
    if (!o)
        return ERR_CORRUPT;
    const char *end = strchr(o, '}');
    int n_dims, set = 0;
    const struct tune_dim *d = tune_dims(&n_dims);
    for (int i = 0; end && i < n_dims; i++) {
        char key[48];
        snprintf(key, sizeof key, "\"%s\":", d[i].name);
        const char *k = strstr(o, key);
        char *num_end;
        if (!k || k > end)
            continue;
        double v = strtod(k + strlen(key), &num_end);
        if (num_end == k + strlen(key))
            continue;
        tune_set_param(p, d[i].name, v);
        set++;
    }
    return set;
}

char *tunestore_run_json(const struct tune_run *r)
{
    size_t len = strlen(r->report) + 128;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "{\"run\":%lld,\"created_at\":\"%s\",\"report\":%s}", (long long)r->id,
                 r->created_at, r->report);
    return s;
}

char *tunestore_params_json(const struct algo_params *p, const struct tune_run *r)
{
    char *params = modelstore_params_json(p), *run = r ? tunestore_run_json(r) : NULL, *s = NULL;
    if (!params || !r) {
        free(run);
        return params;
    }
    size_t n = strlen(params), len = run ? n + strlen(run) + 16 : 0;
    if (run && (s = malloc(len))) /* {...} -> {...,"tuning":{...}} */
        snprintf(s, len, "%.*s,\"tuning\":%s}", (int)n - 1, params, run);
    free(params);
    free(run);
    return s;
}
