/* Saving a rolling evaluation run (see rolling_store.h). */
#include "engine/rolling_store.h"

#include <sqlite3.h>
#include <stdio.h>

#include "engine/dataset_load.h"
#include "util/error.h"

static int store_code(sqlite3 *db)
{
    int c = db ? sqlite3_errcode(db) : SQLITE_NOMEM;
    return c == SQLITE_BUSY || c == SQLITE_LOCKED ? ERR_BUSY
           : c == SQLITE_NOMEM                    ? ERR_NOMEM
                                                  : ERR_FAIL;
}

static int insert_cell(sqlite3_stmt *st, int64_t run, const struct rolling_row *r,
                       const char *segment, const struct rolling_cell *c, int k)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, r->month, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->algorithm, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, segment, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, k);
    sqlite3_bind_int64(st, 6, c->users);
    sqlite3_bind_int64(st, 7, c->hits);
    sqlite3_bind_double(st, 8, c->hit_rate);
    sqlite3_bind_double(st, 9, c->lo);
    sqlite3_bind_double(st, 10, c->hi);
    sqlite3_bind_double(st, 11, c->precision);
    sqlite3_bind_double(st, 12, c->recall);
    sqlite3_bind_double(st, 13, c->ndcg);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

int rolling_store_save(const char *db_path, const struct rolling_row *rows, int n, int k,
                       int64_t *run_id, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    int64_t run = 1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(db, DS_BUSY_MS);
    if (sqlite3_exec(db, ROLLING_STORE_SCHEMA "BEGIN IMMEDIATE;", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(run_id), 0) + 1 FROM eval_rolling", -1, &st,
                           NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_step(st) == SQLITE_ROW)
        run = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO eval_rolling VALUES (?1, strftime('%Y-%m-%d %H:%M:%S', "
                           "'now'), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    for (int i = 0; i < n; i++)
        if (insert_cell(st, run, &rows[i], "all", &rows[i].all, k) < 0 ||
            insert_cell(st, run, &rows[i], "warm", &rows[i].warm, k) < 0)
            goto fail;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    *run_id = run;
    goto out;
fail:
    rc = err_code_set(err, errlen, store_code(db), "cannot store the rolling evaluation in %s: %s",
                      db_path, db ? sqlite3_errmsg(db) : "out of memory");
out:
    sqlite3_finalize(st);
    sqlite3_close(db); /* an open transaction is rolled back */
    return rc;
}
