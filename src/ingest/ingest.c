/* Olist ingest: see ingest.h. One generic loader driven by the file specs
 * of olist.h keeps the nine files uniform. This file runs the steps
 * (temporary database, cleaning reports, carry-over, atomic publish);
 * readahead.c reads and validates the rows, loader.c inserts them. */
#include "ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest/interrupt.h"
#include "ingest/loader.h"
#include "ingest/olist.h"
#include "ingest/readahead.h"
#include "ingest/schema.h"
#include "ingest/tmpdb.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/progress.h"
#include "util/clock.h"

const char *ingest_file_base(int file)
{
    return file >= 0 && file < INGEST_NFILES ? OLIST_FILES[file].base : "?";
}

/* Finds DIR/BASE.csv or DIR/BASE.csv.gz; 0 and out filled, -1 when neither. */
static int find_input(const char *dir, const char *base, char *out, size_t outlen)
{
    static const char *const ext[] = {".csv", ".csv.gz"};
    struct stat st;
    for (int i = 0; i < 2; i++) {
        int n = snprintf(out, outlen, "%s/%s%s", dir, base, ext[i]);
        if (n > 0 && (size_t)n < outlen && stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
    }
    return -1;
}

int ingest_data_present(const char *dir)
{
    char path[PATH_MAX];
    if (!dir)
        return 0;
    for (int i = 0; i < INGEST_NFILES; i++)
        if (OLIST_FILES[i].required && find_input(dir, OLIST_FILES[i].base, path, sizeof path) != 0)
            return 0;
    return 1;
}

/* SQLite progress callback: non-zero aborts the running statement. */
static int on_sqlite_progress(void *interrupt)
{
    return interrupt_raised(interrupt);
}

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(err, errlen, "database error: %s (in: %.60s)", msg ? msg : sqlite3_errmsg(db), sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int report_add(sqlite3 *db, const char *file, const char *rule, long long count,
                      const char *detail, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO ingest_report(file, rule, count, detail) "
                                "VALUES(?1, ?2, ?3, ?4)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, file, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, rule, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, count);
        if (detail)
            sqlite3_bind_text(st, 4, detail, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return err_set(err, errlen, "cannot write ingest_report: %s", sqlite3_errmsg(db));
    return 0;
}

static int meta_set(sqlite3 *db, const char *key, const char *value, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", -1,
                                &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return err_set(err, errlen, "cannot write meta: %s", sqlite3_errmsg(db));
    return 0;
}

/* Runs a query whose first column is an integer; *out = 0 when no row. */
static int query_int(sqlite3 *db, const char *sql, double bind, long long *out, char *err,
                     size_t errlen)
{
    sqlite3_stmt *st = NULL;
    *out = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return err_set(err, errlen, "database error: %s", sqlite3_errmsg(db));
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_double(st, 1, bind);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return err_set(err, errlen, "database error: %s", sqlite3_errmsg(db));
    return 0;
}

/* Inserts one file into its table (loader.c) and records its cleaning
 * counts in the summary and in ingest_report. */
static int load_file(sqlite3 *db, int file, const char *path, struct readahead *ra,
                     const atomic_int *interrupt, struct ingest_summary *s,
                     struct loader_result *res, char *err, size_t errlen)
{
    const struct olist_file *sp = &OLIST_FILES[file];
    const char *slash = strrchr(path, '/');
    const char *fname = slash ? slash + 1 : path;
    if (loader_load_file(db, file, fname, ra, interrupt, res, err, errlen) < 0)
        return -1;
    const struct olist_counts *counts = &res->counts;
    s->rows[file] = res->inserted;
    s->duplicates += res->duplicates;
    s->outros += counts->outros;
    s->null_timestamps += counts->null_ts;
    s->present[file] = 1;
    char detail[512];
    snprintf(detail, sizeof detail, "%ld data rows read", res->rows);
    if (report_add(db, fname, "rows_loaded", res->inserted, detail, err, errlen) < 0)
        return -1;
    if (res->duplicates && report_add(db, fname, "duplicate_removed", res->duplicates,
                                      "exact duplicate rows dropped", err, errlen) < 0)
        return -1;
    if (counts->outros &&
        report_add(db, fname, "empty_category_outros", counts->outros,
                   "empty product_category_name set to 'outros'", err, errlen) < 0)
        return -1;
    if (counts->null_ts) {
        size_t n = 0;
        detail[0] = '\0';
        for (int i = 0; i < sp->ncols; i++)
            if (counts->null_ts_col[i] && n < sizeof detail)
                n += (size_t)snprintf(detail + n, sizeof detail - n, "%s%s %lld", n ? ", " : "",
                                      sp->cols[i].name, counts->null_ts_col[i]);
        if (report_add(db, fname, "empty_timestamp_null", counts->null_ts, detail, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* --- after the load ------------------------------------------------------ */

/* Flags items priced above mean + 3 sd (sample sd over the stored items). */
static int flag_outliers(sqlite3 *db, const struct loader_result *items, struct ingest_summary *s,
                         char *err, size_t errlen)
{
    if (items->price_n < 2)
        return 0;
    double n = (double)items->price_n, mean = items->price_sum / n;
    double var = (items->price_sumsq - n * mean * mean) / (n - 1);
    double thr = mean + 3.0 * sqrt(var > 0 ? var : 0);
    long long count;
    if (query_int(db, "UPDATE order_items SET price_outlier = 1 WHERE price > ?1", thr, &count, err,
                  errlen) < 0)
        return -1;
    count = sqlite3_changes(db);
    s->outliers = count;
    s->outlier_threshold = thr;
    char detail[160];
    snprintf(detail, sizeof detail,
             "price > %.2f (mean %.2f + 3 sd %.2f); kept, flagged "
             "price_outlier = 1, left out of the interactions view",
             thr, mean, thr - mean);
    return report_add(db, "olist_order_items_dataset.csv", "price_outlier_flagged", count, detail,
                      err, errlen);
}

/* Creates the schema's indexes on one table. */
static int index_table(sqlite3 *db, const char *table, char *err, size_t errlen)
{
    char sql[2048];
    if (schema_table_index_sql(table, sql, sizeof sql) < 0)
        return err_set(err, errlen, "ingest: index statements for %s too long", table);
    return sql[0] ? exec_sql(db, sql, err, errlen) : 0;
}

/* Geolocation has no key: exact duplicates are removed after the load. */
static int dedupe_geolocation(sqlite3 *db, struct ingest_summary *s, char *err, size_t errlen)
{
    if (exec_sql(db,
                 "DELETE FROM geolocation WHERE rowid NOT IN (SELECT min(rowid) FROM "
                 "geolocation GROUP BY geolocation_zip_code_prefix, geolocation_lat, "
                 "geolocation_lng, geolocation_city, geolocation_state)",
                 err, errlen) < 0)
        return -1;
    long long n = sqlite3_changes(db);
    s->duplicates += n;
    s->rows[INGEST_GEOLOCATION] -= n;
    if (!n)
        return 0;
    return report_add(db, "olist_geolocation_dataset.csv", "duplicate_removed", n,
                      "exact duplicate rows dropped", err, errlen);
}

static int report_untranslated(sqlite3 *db, struct ingest_summary *s, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    const char *sql = "SELECT count(*), group_concat(name, ', ') FROM (SELECT DISTINCT "
                      "product_category_name AS name FROM products WHERE product_category_name "
                      "NOT IN (SELECT product_category_name FROM "
                      "product_category_name_translation) ORDER BY 1)";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return err_set(err, errlen, "database error: %s", sqlite3_errmsg(db));
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        s->untranslated = sqlite3_column_int64(st, 0);
        char detail[512];
        const unsigned char *names = sqlite3_column_text(st, 1);
        snprintf(detail, sizeof detail, "no English name, shown in Portuguese: %s",
                 names ? (const char *)names : "");
        if (s->untranslated)
            rc = report_add(db, "product_category_name_translation.csv", "untranslated_category",
                            s->untranslated, detail, err, errlen);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Double-quotes an SQL identifier (names from the old database's schema). */
static void quote_ident(char *out, size_t outlen, const char *name)
{
    size_t n = 0;
    if (outlen < 3) {
        if (outlen)
            out[0] = '\0';
        return;
    }
    out[n++] = '"';
    for (const char *p = name; *p && n + 3 < outlen; p++) {
        if (*p == '"')
            out[n++] = '"';
        out[n++] = *p;
    }
    out[n++] = '"';
    out[n] = '\0';
}

/* Hard maximum of schema objects carried over from the old database. */
#define CARRY_MAX_OBJECTS 100000

/* Copies every table (with its rows, indexes and triggers) and view of the
 * attached old database whose name the new schema does not use: the engine's
 * model versions must survive a re-ingest. */
static int carry_over(sqlite3 *db, struct ingest_summary *s, char *err, size_t errlen)
{
    const char *sql =
        "SELECT type, name, sql FROM old.sqlite_master o WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' "
        "AND NOT EXISTS (SELECT 1 FROM main.sqlite_master m WHERE m.name = o.name) "
        "AND (type IN ('table', 'view') OR NOT EXISTS (SELECT 1 FROM main.sqlite_master m "
        "     WHERE m.type = 'table' AND m.name = o.tbl_name)) "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 "
        "ELSE 3 END, rowid";
    sqlite3_stmt *st = NULL;
    int rc = -1;
    char **objs = NULL;
    size_t n = 0, cap = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot read the old database's schema: %s", sqlite3_errmsg(db));
        goto out;
    }
    /* Collect first: creating tables while stepping would change main's schema. */
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (mem_grow((void **)&objs, sizeof *objs, n + 3, &cap, 3 * CARRY_MAX_OBJECTS) < 0) {
            err_set(err, errlen, "out of memory, or over %d tables, indexes and views to keep",
                    CARRY_MAX_OBJECTS);
            goto out;
        }
        for (int i = 0; i < 3; i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            objs[n++] = strdup(t ? t : "");
        }
    }
    if (step != SQLITE_DONE) {
        err_set(err, errlen, "cannot read the old database's schema: %s", sqlite3_errmsg(db));
        goto out;
    }
    for (size_t i = 0; i < n; i += 3) {
        if (!objs[i] || !objs[i + 1] || !objs[i + 2]) {
            err_set(err, errlen, "out of memory");
            goto out;
        }
        if (exec_sql(db, objs[i + 2], err, errlen) < 0)
            goto out;
        if (strcmp(objs[i], "table") == 0) {
            char q[300], copy[700];
            quote_ident(q, sizeof q, objs[i + 1]);
            snprintf(copy, sizeof copy, "INSERT INTO main.%s SELECT * FROM old.%s", q, q);
            if (exec_sql(db, copy, err, errlen) < 0)
                goto out;
            s->carried_tables++;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    for (size_t i = 0; i < n; i++)
        free(objs[i]);
    free(objs);
    return rc;
}

/* --- the run ------------------------------------------------------------- */

static int write_meta(sqlite3 *db, const struct ingest_options *o, struct ingest_summary *s,
                      char *err, size_t errlen)
{
    char buf[PATH_MAX + 64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    if (meta_set(db, "ingested_at", buf, err, errlen) < 0)
        return -1;
    char real[PATH_MAX];
    if (meta_set(db, "source_dir", realpath(o->data_dir, real) ? real : o->data_dir, err, errlen) <
            0 ||
        meta_set(db, "schema_version", "1", err, errlen) < 0)
        return -1;
    /* gen-sample's marker carries "seed=N" and "customers=N" lines. */
    snprintf(buf, sizeof buf, "%s/%s", o->data_dir, INGEST_SAMPLE_MARKER);
    FILE *f = fopen(buf, "r");
    s->sample = f != NULL;
    if (meta_set(db, "dataset", f ? "sample" : "real", err, errlen) < 0)
        goto fail;
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *key = strncmp(line, "seed=", 5) == 0         ? "sample_seed"
                          : strncmp(line, "customers=", 10) == 0 ? "sample_customers"
                                                                 : NULL;
        if (key && meta_set(db, key, strchr(line, '=') + 1, err, errlen) < 0)
            goto fail;
    }
    if (f)
        fclose(f);
    return 0;
fail:
    if (f)
        fclose(f);
    return -1;
}

/* Refuses to replace a database another process is writing through SQLite's
 * write-ahead log (a server's events writer keeps one open): renaming a new
 * file over it would pair the new file with the old -wal and -shm (SQLite's
 * documented corruption case) and send later writes to the unlinked file.
 * A -wal left by a killed process is checkpointed into the database and
 * goes away when our connection closes; one that stays has a live owner. */
static int check_no_live_writer(const char *db_path, char *err, size_t errlen)
{
    char wal[PATH_MAX];
    struct stat st;
    if (snprintf(wal, sizeof wal, "%s-wal", db_path) >= (int)sizeof wal || stat(wal, &st) != 0)
        return 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 2000);
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    }
    sqlite3_close(db);
    if (stat(wal, &st) != 0)
        return 0;
    return err_code_set(err, errlen, ERR_BUSY,
                        "%s is open by a running process (its write-ahead log %s is in use, "
                        "e.g. a server's events writer): stop it before re-ingesting; nothing "
                        "was changed",
                        db_path, wal);
}

/* Makes the finished temporary file durable, then renames it into place. */
static int publish(const char *tmp, const char *db_path, char *err, size_t errlen)
{
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno; /* close may overwrite it */
        if (fd >= 0)
            close(fd);
        return err_set(err, errlen, "cannot sync %s: %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, db_path) != 0)
        return err_set(err, errlen, "cannot rename %s to %s: %s", tmp, db_path, strerror(errno));
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", db_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: the rename itself already happened */
        close(fd);
    }
    return 0;
}

int ingest_run(const struct ingest_options *o, struct ingest_summary *s, char *err, size_t errlen)
{
    double t0 = clock_monotonic();
    char paths[INGEST_NFILES][PATH_MAX];
    char tmp[PATH_MAX];
    sqlite3 *db = NULL;
    int rc = -1, have_tmp = 0, attached = 0, tmp_fd = -1;
    struct loader_result res, items_res;
    struct readahead *ra = NULL;
    struct stat st;

    memset(s, 0, sizeof *s);
    memset(&items_res, 0, sizeof items_res);
    if (!o || !o->data_dir || !o->db_path)
        return err_set(err, errlen, "ingest: data directory and database path are required");
    struct tmpdb_stale stale;
    tmpdb_remove_stale(o->db_path, &stale);
    s->stale_removed = stale.removed;
    snprintf(s->stale, sizeof s->stale, "%s", stale.names);
    snprintf(s->stale_failed, sizeof s->stale_failed, "%s", stale.failures);
    /* errno only means something when stat itself failed. */
    if (stat(o->data_dir, &st) != 0)
        return err_set(err, errlen, "data directory %s: %s", o->data_dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return err_set(err, errlen, "data directory %s: not a directory", o->data_dir);
    for (int i = 0; i < INGEST_NFILES; i++) {
        if (find_input(o->data_dir, OLIST_FILES[i].base, paths[i], sizeof paths[i]) == 0)
            continue;
        paths[i][0] = '\0';
        if (OLIST_FILES[i].required)
            return err_set(err, errlen, "missing file: %s/%s.csv (or .csv.gz)", o->data_dir,
                           OLIST_FILES[i].base);
        size_t n = strlen(s->warnings);
        snprintf(s->warnings + n, sizeof s->warnings - n, "%s%s.csv absent: %s not loaded",
                 n ? "; " : "", OLIST_FILES[i].base, OLIST_FILES[i].table);
    }

    if (check_no_live_writer(o->db_path, err, errlen) < 0)
        return -1;
    /* Locked until it is renamed or removed: a later run's cleanup
     * (tmpdb_remove_stale) then knows it is not stale. */
    if (tmpdb_create(o->db_path, tmp, sizeof tmp, &tmp_fd, err, errlen) < 0)
        return -1;
    have_tmp = 1;
    /* The reader starts parsing while the database is being set up. */
    if (readahead_start(&ra, (const char(*)[PATH_MAX])paths, !o->quiet, o->interrupt, err, errlen) <
        0)
        goto out;

    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot open %s: %s", tmp, db ? sqlite3_errmsg(db) : "no memory");
        goto out;
    }
    if (o->interrupt)
        sqlite3_progress_handler(db, 1000, on_sqlite_progress, (void *)o->interrupt);
    /* A throw-away file until the rename: no journal, no syncs. A modest
     * cache: rows arrive in key order, so the working set is the right edge
     * of each B-tree, and a 128 MB cache measured slower (every new page is
     * a fresh page fault) for ingest and the sqlite3 shell alike.
     * bench/ingest gives the shell the same pragmas (INGEST_PRAGMAS). */
    if (exec_sql(db, INGEST_PRAGMAS, err, errlen) < 0)
        goto out;
    if (stat(o->db_path, &st) == 0) {
        sqlite3_stmt *at = NULL;
        sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS old", -1, &at, NULL);
        sqlite3_bind_text(at, 1, o->db_path, -1, SQLITE_STATIC);
        int arc = sqlite3_step(at);
        sqlite3_finalize(at);
        long long n;
        if (arc != SQLITE_DONE ||
            query_int(db, "SELECT count(*) FROM old.sqlite_master", 0, &n, err, errlen) < 0) {
            err_set(err, errlen,
                    "existing database %s cannot be read (%s); refusing to "
                    "replace it",
                    o->db_path, sqlite3_errmsg(db));
            goto out;
        }
        attached = 1;
    }
    if (exec_sql(db, "BEGIN", err, errlen) < 0 || exec_sql(db, schema_sql(), err, errlen) < 0)
        goto out;
    for (int i = 0; i < INGEST_NFILES; i++) {
        /* Index each table as soon as it is loaded (indexes are faster built
         * after the rows): SQLite sorts while the reader parses the next file. */
        if (i > 0 && index_table(db, OLIST_FILES[i - 1].table, err, errlen) < 0)
            goto out;
        if (!paths[i][0]) {
            if (report_add(db, OLIST_FILES[i].base, "file_absent", 0,
                           "optional file not found; "
                           "table left empty",
                           err, errlen) < 0)
                goto out;
            continue;
        }
        struct loader_result *r = i == INGEST_ITEMS ? &items_res : &res;
        if (load_file(db, i, paths[i], ra, o->interrupt, s, r, err, errlen) < 0)
            goto out;
        if ((i == INGEST_ITEMS && flag_outliers(db, &items_res, s, err, errlen) < 0) ||
            (i == INGEST_GEOLOCATION && dedupe_geolocation(db, s, err, errlen) < 0))
            goto out;
    }
    if (index_table(db, OLIST_FILES[INGEST_NFILES - 1].table, err, errlen) < 0 ||
        report_untranslated(db, s, err, errlen) < 0 || write_meta(db, o, s, err, errlen) < 0)
        goto out;
    if (attached && carry_over(db, s, err, errlen) < 0)
        goto out;
    if (exec_sql(db, "COMMIT", err, errlen) < 0)
        goto out;
    if (attached && exec_sql(db, "DETACH DATABASE old", err, errlen) < 0)
        goto out;
    attached = 0;
    if (sqlite3_close(db) != SQLITE_OK) {
        err_set(err, errlen, "cannot close %s: %s", tmp, sqlite3_errmsg(db));
        goto out;
    }
    db = NULL;
    /* Last chance to honour an interrupt: after the rename the work is done. */
    if (interrupt_raised(o->interrupt) || check_no_live_writer(o->db_path, err, errlen) < 0 ||
        publish(tmp, o->db_path, err, errlen) < 0)
        goto out;
    have_tmp = 0;
    rc = 0;
out:
    if (rc < 0 && interrupt_raised(o->interrupt))
        rc = interrupt_error(err, errlen); /* whatever failed, the interrupt is the cause */
    if (db)
        sqlite3_close_v2(db); /* unfinalized statements are impossible here, but be safe */
    if (have_tmp)
        unlink(tmp);
    if (tmp_fd >= 0)
        close(tmp_fd);    /* the lock goes last, after SQLite closed and the file went */
    readahead_finish(ra); /* before the files go: it may still be reading */
    s->seconds = clock_monotonic() - t0;
    return rc;
}
