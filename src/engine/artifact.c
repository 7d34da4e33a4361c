/* artifact: one model version and its serving data as a new SQLite file
 * (see artifact.h). Built with ATTACH: the new file is the main database and
 * the source is attached (only read: a plain path, so no URI quoting rules
 * apply to it); the views and the models tables are created from the
 * source's own CREATE statements, the data tables as SELECTs of their
 * columns (no keys, no indexes). */
#include "engine/artifact.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/dataset_load.h"
#include "util/error.h"

/* The tables copied, in order, and their columns: every column stays (so
 * any query engine_open makes still compiles) but those nothing serving
 * reads are NULL, and no index or key is kept: a third of the database's
 * bytes. The views are copied as the source defines them. */
static const struct {
    const char *name, *cols;
} artifact_tables[] = {
    {"product_category_name_translation", "*"},
    {"products", "*"},
    {"customers", "customer_id, customer_unique_id, NULL AS customer_zip_code_prefix,"
                  " customer_city, customer_state"},
    {"orders", "order_id, customer_id, order_status, order_purchase_timestamp,"
               " NULL AS order_approved_at, NULL AS order_delivered_carrier_date,"
               " NULL AS order_delivered_customer_date, NULL AS order_estimated_delivery_date"},
    {"order_items", "order_id, order_item_id, product_id, NULL AS seller_id,"
                    " NULL AS shipping_limit_date, price, NULL AS freight_value, price_outlier"},
    {"order_reviews", "NULL AS review_id, order_id, review_score, NULL AS review_comment_title,"
                      " NULL AS review_comment_message, NULL AS review_creation_date,"
                      " NULL AS review_answer_timestamp"},
    {"meta", "*"},
};

/* Runs sql on db; ERR_FAIL naming what when it fails. */
static int exec(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    return err_set(err, errlen, "cannot %s: %s", what, sqlite3_errmsg(db));
}

/* Creates the source object of `type` called name (NULL: every one of that
 * type) in the artifact from its CREATE statement. When required, a missing
 * one is an error. */
static int copy_schema(sqlite3 *db, const char *type, const char *name, int required, char *err,
                       size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = 0, found = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT sql FROM src.sqlite_master WHERE type = ?1"
                           " AND (?2 IS NULL OR name = ?2) AND sql IS NOT NULL ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC) != SQLITE_OK) {
        rc = err_set(err, errlen, "cannot read the source schema: %s", sqlite3_errmsg(db));
        goto out;
    }
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        found = 1;
        rc = exec(db, (const char *)sqlite3_column_text(st, 0), "create the artifact's schema", err,
                  errlen);
    }
    if (rc == 0 && required && !found)
        rc = err_set(err, errlen, "the source database has no %s '%s'", type, name);
out:
    sqlite3_finalize(st);
    return rc;
}

/* 1 when the source database has table t. */
static int src_has_table(sqlite3 *db, const char *t)
{
    sqlite3_stmt *st = NULL;
    int yes = sqlite3_prepare_v2(db,
                                 "SELECT 1 FROM src.sqlite_master WHERE type = 'table'"
                                 " AND name = ?1",
                                 -1, &st, NULL) == SQLITE_OK &&
              sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* Copies the tables and views engine_open reads. */
static int copy_data(sqlite3 *db, char *err, size_t errlen)
{
    char sql[512];
    for (size_t i = 0; i < sizeof artifact_tables / sizeof *artifact_tables; i++) {
        const char *t = artifact_tables[i].name, *cols = artifact_tables[i].cols;
        if (!strcmp(t, "meta") && !src_has_table(db, t))
            continue; /* optional: databases from before it */
        snprintf(sql, sizeof sql, "CREATE TABLE main.%s AS SELECT %s FROM src.%s ORDER BY rowid", t,
                 cols, t);
        if (exec(db, sql, "copy a table into the artifact", err, errlen) < 0)
            return ERR_FAIL;
    }
    return copy_schema(db, "view", NULL, 0, err, errlen);
}

/* Copies the models tables with only `version`, made active. */
static int copy_model(sqlite3 *db, int64_t version, char *err, size_t errlen)
{
    static const char *const tables[] = {"models", "model_activations", "model_parts"};
    char sql[256];
    for (int i = 0; i < 3; i++)
        if (copy_schema(db, "table", tables[i], i == 0, err, errlen) < 0)
            return ERR_FAIL;
    snprintf(sql, sizeof sql,
             "INSERT INTO main.models SELECT * FROM src.models WHERE version = %lld;"
             "UPDATE main.models SET active = 1;",
             (long long)version);
    if (exec(db, sql, "copy the model into the artifact", err, errlen) < 0)
        return ERR_FAIL;
    if (!src_has_table(db, "model_parts"))
        return 0; /* a database from before model_parts: the blob is in models */
    snprintf(sql, sizeof sql,
             "INSERT INTO main.model_parts SELECT * FROM src.model_parts WHERE version = %lld"
             " ORDER BY part",
             (long long)version);
    return exec(db, sql, "copy the model into the artifact", err, errlen);
}

/* fsync of a closed file (SQLite ran with synchronous=OFF to write fast). */
static int sync_path(const char *path, int dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Builds the artifact at tmp from db_path. */
static int build(const char *db_path, int64_t version, const char *tmp, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = ERR_FAIL;
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot create %s: %s", tmp,
                db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db, DS_BUSY_MS);
    if (sqlite3_prepare_v2(db, "ATTACH ?1 AS src", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, db_path, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        err_set(err, errlen, "cannot open %s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (exec(db, "PRAGMA main.journal_mode=OFF; PRAGMA main.synchronous=OFF; BEGIN",
             "start writing the artifact", err, errlen) < 0 ||
        copy_data(db, err, errlen) < 0 || copy_model(db, version, err, errlen) < 0 ||
        exec(db, "COMMIT", "write the artifact", err, errlen) < 0)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    if (db && sqlite3_close(db) != SQLITE_OK && rc == 0)
        rc = err_set(err, errlen, "cannot close %s", tmp);
    return rc;
}

/* The metadata of `version` (ERR_NOT_FOUND when db_path has none). */
static int find_meta(const char *db_path, int64_t version, struct model_meta *meta, char *err,
                     size_t errlen)
{
    struct modelstore_list l;
    int rc = modelstore_list(db_path, &l, err, errlen);
    memset(meta, 0, sizeof *meta);
    for (int i = 0; rc == 0 && i < l.n; i++)
        if (l.models[i].version == version) {
            *meta = l.models[i]; /* takes the strings over */
            l.models[i].params_json = l.models[i].metrics_json = NULL;
            meta->active = 1;
            modelstore_list_free(&l);
            return 0;
        }
    if (rc == 0) {
        modelstore_list_free(&l);
        rc = err_code_set(err, errlen, ERR_NOT_FOUND, "%s has no model version %lld", db_path,
                          (long long)version);
    }
    return rc;
}

int artifact_export(const char *db_path, int64_t version, const char *out_path,
                    struct model_meta *meta, char *err, size_t errlen)
{
    char tmp[4096], dir[4096];
    int rc;
    if ((rc = find_meta(db_path, version, meta, err, errlen)) < 0)
        return rc;
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid()) >= (int)sizeof tmp) {
        rc = err_code_set(err, errlen, ERR_INVALID, "path too long: %s", out_path);
        goto out;
    }
    unlink(tmp);
    if ((rc = build(db_path, version, tmp, err, errlen)) < 0)
        goto out;
    if (sync_path(tmp, 0) < 0 || rename(tmp, out_path) < 0) {
        rc = err_set(err, errlen, "cannot write %s", out_path);
        goto out;
    }
    snprintf(dir, sizeof dir, "%s", out_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    sync_path(slash ? dir : ".", 1); /* the rename itself, best effort */
out:
    if (rc < 0) {
        unlink(tmp);
        modelstore_meta_free(meta);
    }
    return rc;
}
