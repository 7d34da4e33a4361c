/* The models table: stored versions, activation and rollback (see modelstore.h). */
#include "engine/modelstore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/dataset_load.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/sha256.h"

#define MS_CHUNK ((size_t)1 << 20) /* streaming buffer when storing a model */

void modelstore_meta_free(struct model_meta *mm)
{
    free(mm->params_json);
    free(mm->metrics_json);
    mm->params_json = mm->metrics_json = NULL;
}

char *modelstore_params_json(const struct algo_params *p)
{
    char *s = malloc(768);
    if (s)
        snprintf(s, 768,
                 "{\"window_days\":%d,\"long_window\":%d,\"state_window\":%d,\"neighbours\":%d,"
                 "\"threshold\":%g,"
                 "\"max_postings\":%d,\"item_neighbours\":%d,\"factors\":%d,\"reg\":%g,"
                 "\"alpha\":%g,\"iterations\":%d,\"cg_steps\":%d,\"seed\":%llu,"
                 "\"price_tiers\":%d,\"state_weight\":%g,\"seller_weight\":%g,"
                 "\"repurchase_weight\":%g,\"copurchase_weight\":%g,\"itemcf_weight\":%g,"
                 "\"popularity_weight\":%g}",
                 p->window_days, p->long_window, p->state_window, p->neighbours, p->threshold,
                 p->max_postings, p->item_neighbours, p->factors, p->reg, p->alpha, p->iterations,
                 p->cg_steps, (unsigned long long)p->seed, p->price_tiers, p->state_weight,
                 p->seller_weight, p->repurchase_weight, p->copurchase_weight, p->itemcf_weight,
                 p->popularity_weight);
    return s;
}

static const char ms_schema[] =
    "CREATE TABLE IF NOT EXISTS models(version INTEGER PRIMARY KEY, algorithm TEXT NOT NULL,"
    " params TEXT, cutoff TEXT, metrics TEXT, created_at TEXT, train_seconds REAL,"
    " sha256 TEXT, size INTEGER, active INTEGER NOT NULL DEFAULT 0, blob BLOB);"
    /* active before blob: reading a column stored after a large blob walks
     * its overflow pages, which made every activation read every model */
    "CREATE TABLE IF NOT EXISTS model_activations(id INTEGER PRIMARY KEY,"
    " version INTEGER NOT NULL, at TEXT);"
    /* the blobs of new versions, in parts of at most MS_PART bytes (SQLite
     * refuses values over 1 GB by default; a 100x model is larger).
     * models.blob stays NULL; older databases may hold blobs there, and
     * loading reads either */
    "CREATE TABLE IF NOT EXISTS model_parts(version INTEGER NOT NULL, part INTEGER NOT NULL,"
    " blob BLOB NOT NULL, PRIMARY KEY(version, part));";

/* ERR_BUSY for a lock held past the busy timeout, else ERR_FAIL. */
static int ms_sql_code(sqlite3 *db)
{
    int e = db ? sqlite3_errcode(db) : SQLITE_NOMEM;
    return e == SQLITE_BUSY || e == SQLITE_LOCKED ? ERR_BUSY : ERR_FAIL;
}

/* Opens db_path read-write with the models tables present. */
static int ms_open_rw(const char *db_path, sqlite3 **db, char *err, size_t errlen)
{
    int rc;
    *db = NULL;
    if (sqlite3_open_v2(db_path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = err_set(err, errlen, "cannot open database %s: %s", db_path,
                     *db ? sqlite3_errmsg(*db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(*db, DS_BUSY_MS);
    if (sqlite3_exec(*db, ms_schema, NULL, NULL, NULL) != SQLITE_OK) {
        rc = err_code_set(err, errlen, ms_sql_code(*db), "cannot create the models table in %s: %s",
                          db_path, sqlite3_errmsg(*db));
        goto fail;
    }
    return 0;
fail:
    sqlite3_close(*db);
    *db = NULL;
    return rc;
}

/* BEGIN IMMEDIATE on db (the write lock, waiting up to the busy timeout). */
static int ms_begin(sqlite3 *db, const char *db_path, char *err, size_t errlen)
{
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    return err_code_set(err, errlen, ms_sql_code(db), "cannot lock %s: %s", db_path,
                        sqlite3_errmsg(db));
}

static void now_text(char out[24])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm);
}

/* One-statement helper of ms_set_active: prepares sql, binds v (and at
 * when not NULL), steps once. SQLITE_ROW or SQLITE_DONE, else an error;
 * *count gets column 0 of a row when count is not NULL. */
static int ms_step_v(sqlite3 *db, const char *sql, int64_t v, const char *at, int *count)
{
    sqlite3_stmt *st = NULL;
    int s = SQLITE_ERROR;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_int64(st, 1, v) == SQLITE_OK &&
        (!at || sqlite3_bind_text(st, 2, at, -1, SQLITE_TRANSIENT) == SQLITE_OK))
        s = sqlite3_step(st);
    if (s == SQLITE_ROW && count)
        *count = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return s;
}

/* Makes version v the active one and logs it (inside the caller's
 * transaction, which the caller rolls back on failure). v must still be
 * stored: a prune by another process between the caller's checks and this
 * transaction would otherwise leave no version active (ERR_NOT_FOUND). */
static int ms_set_active(sqlite3 *db, int64_t v, int log, char *err, size_t errlen)
{
    char at[24];
    int n = 0;
    now_text(at);
    if (ms_step_v(db, "SELECT COUNT(*) FROM models WHERE version = ?1", v, NULL, &n) != SQLITE_ROW)
        goto sqlerr;
    if (!n)
        return err_code_set(err, errlen, ERR_NOT_FOUND,
                            "there is no model version %lld (deleted meanwhile?)", (long long)v);
    /* touch only the rows that change: an UPDATE rewrites the whole row, blob included */
    if (ms_step_v(db, "UPDATE models SET active = (version = ?1) WHERE active <> (version = ?1)", v,
                  NULL, NULL) != SQLITE_DONE ||
        (log && ms_step_v(db, "INSERT INTO model_activations(version, at) VALUES(?1, ?2)", v, at,
                          NULL) != SQLITE_DONE))
        goto sqlerr;
    return 0;
sqlerr:
    return err_code_set(err, errlen, ms_sql_code(db), "cannot activate model %lld: %s",
                        (long long)v, sqlite3_errmsg(db));
}

/* Bytes per stored part: MS_PART, or RECSYS_MODEL_PART (>= 64) for tests. */
static int64_t ms_part_size(void)
{
    const char *e = getenv("RECSYS_MODEL_PART");
    long long v = e && *e ? strtoll(e, NULL, 10) : 0;
    return v >= 64 && v <= MS_PART ? v : MS_PART;
}

struct ms_sink {
    sqlite3 *db;
    sqlite3_stmt *ins; /* INSERT INTO model_parts ... zeroblob(?3) */
    sqlite3_blob *blob;
    int64_t version, part_size, part, part_off, part_len, off, len;
    struct sha256_ctx sha;
};

/* Inserts the next part as a zeroblob of its final size and opens it. */
static int ms_next_part(struct ms_sink *k)
{
    if (k->blob)
        sqlite3_blob_close(k->blob);
    k->blob = NULL;
    k->part_len = k->len - k->off < k->part_size ? k->len - k->off : k->part_size;
    k->part_off = 0;
    if (sqlite3_reset(k->ins) != SQLITE_OK ||
        sqlite3_bind_int64(k->ins, 1, k->version) != SQLITE_OK ||
        sqlite3_bind_int64(k->ins, 2, k->part) != SQLITE_OK ||
        sqlite3_bind_int64(k->ins, 3, k->part_len) != SQLITE_OK ||
        sqlite3_step(k->ins) != SQLITE_DONE)
        return -1;
    k->part++;
    return sqlite3_blob_open(k->db, "main", "model_parts", "blob", sqlite3_last_insert_rowid(k->db),
                             1, &k->blob) == SQLITE_OK
               ? 0
               : -1;
}

/* Streaming sink: checksum the next bytes and write them in place, part
 * after part. */
static int ms_sink_write(void *ctx, const uint8_t *p, size_t n)
{
    struct ms_sink *k = ctx;
    if ((int64_t)n > k->len - k->off)
        return -1; /* the counting pass and the writing pass disagree */
    sha256_update(&k->sha, p, n);
    while (n) {
        if (k->part_off == k->part_len && ms_next_part(k) < 0)
            return -1;
        int64_t room = k->part_len - k->part_off;
        int take = (int64_t)n < room ? (int)n : (int)room;
        if (sqlite3_blob_write(k->blob, p, take, (int)k->part_off) != SQLITE_OK)
            return -1;
        p += take;
        n -= (size_t)take;
        k->part_off += take;
        k->off += take;
    }
    return 0;
}

/* The blob is written incrementally: a counting pass sizes it, then the
 * second pass streams the serialisation through a 1 MiB buffer into
 * zeroblob parts of model_parts while hashing it. No copy of the whole blob
 * is ever held in memory, and the small models row (updated by every
 * activation) does not carry it. */
int modelstore_save(const char *db_path, const struct model *m, struct model_meta *meta,
                    int activate, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct ms_sink sink = {.part_size = ms_part_size()};
    struct blob_writer w = {.count_only = 1};
    uint8_t *chunk = NULL;
    int rc = -1;
    modelformat_write(m, &w);
    if (w.failed)
        return err_code_set(err, errlen, ERR_NOMEM,
                            "the model is too large to store (limit %zu bytes)", MS_MAX_BLOB);
    sink.len = (int64_t)w.len;
    meta->size = (int64_t)w.len;
    now_text(meta->created_at);
    if (!(chunk = malloc(MS_CHUNK)))
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    if ((rc = ms_open_rw(db_path, &db, err, errlen)) < 0 ||
        (rc = ms_begin(db, db_path, err, errlen)) < 0)
        goto out;
    rc = -1;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO models(algorithm, params, cutoff, metrics, created_at,"
                           " train_seconds, sha256, size, active)"
                           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, '', ?7, 0)",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlerr;
    sqlite3_bind_text(st, 1, m->algorithm, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, meta->params_json ? meta->params_json : "{}", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, meta->cutoff, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, meta->metrics_json ? meta->metrics_json : "{}", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, meta->created_at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 6, meta->train_seconds);
    sqlite3_bind_int64(st, 7, meta->size);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto sqlerr;
    meta->version = sqlite3_last_insert_rowid(db);
    sqlite3_finalize(st);
    st = NULL;
    sink.db = db;
    sink.version = meta->version;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO model_parts(version, part, blob)"
                           " VALUES(?1, ?2, zeroblob(?3))",
                           -1, &sink.ins, NULL) != SQLITE_OK)
        goto sqlerr;
    sha256_init(&sink.sha);
    w = (struct blob_writer){
        .buf = chunk, .cap = MS_CHUNK, .sink = ms_sink_write, .sink_ctx = &sink};
    modelformat_write(m, &w);
    if (sink.blob)
        sqlite3_blob_close(sink.blob);
    sink.blob = NULL;
    if (w.failed || sink.off != sink.len) {
        err_set(err, errlen, "cannot write the model blob into %s: %s", db_path,
                sqlite3_errmsg(db));
        goto rollback;
    }
    uint8_t digest[32];
    sha256_final(&sink.sha, digest);
    for (int i = 0; i < 32; i++)
        snprintf(meta->sha256 + 2 * i, 3, "%02x", digest[i]);
    if (sqlite3_prepare_v2(db, "UPDATE models SET sha256 = ?1 WHERE version = ?2", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, meta->sha256, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, meta->version) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
        goto sqlerr;
    if (activate && (rc = ms_set_active(db, meta->version, 1, err, errlen)) < 0)
        goto rollback;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto sqlerr;
    meta->active = activate;
    rc = 0;
    goto out;
sqlerr:
    rc = err_code_set(err, errlen, ms_sql_code(db), "cannot store the model in %s: %s", db_path,
                      sqlite3_errmsg(db));
rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
    if (sink.blob)
        sqlite3_blob_close(sink.blob);
    sqlite3_finalize(sink.ins);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(chunk);
    return rc;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "{}");
}

static void col_copy(sqlite3_stmt *st, int i, char *out, size_t len)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, len, "%s", t ? (const char *)t : "");
}

/* The columns ms_meta_row reads, in its order (all stored before the blob). */
#define MS_META_COLS                                                                               \
    "version, algorithm, params, cutoff, metrics, created_at, train_seconds, sha256, size, active"

/* One row of MS_META_COLS into *meta; ERR_NOMEM when a JSON copy fails. */
static int ms_meta_row(sqlite3_stmt *st, struct model_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    meta->version = sqlite3_column_int64(st, 0);
    col_copy(st, 1, meta->algorithm, sizeof meta->algorithm);
    meta->params_json = col_dup(st, 2);
    col_copy(st, 3, meta->cutoff, sizeof meta->cutoff);
    meta->metrics_json = col_dup(st, 4);
    col_copy(st, 5, meta->created_at, sizeof meta->created_at);
    meta->train_seconds = sqlite3_column_double(st, 6);
    col_copy(st, 7, meta->sha256, sizeof meta->sha256);
    meta->size = sqlite3_column_int64(st, 8);
    meta->active = sqlite3_column_int(st, 9) != 0;
    return meta->params_json && meta->metrics_json ? 0 : ERR_NOMEM;
}

/* The blob of version v into a malloc'd buffer of exactly want bytes: its
 * parts in order (model_parts), or models.blob in databases from before
 * them. Returns the bytes found (a short or long blob is reported by the
 * caller as truncated), -1 on allocation or SQL failure. */
static int64_t ms_read_blob(sqlite3 *db, int64_t v, int64_t want, uint8_t **out)
{
    sqlite3_stmt *st = NULL;
    int64_t got = 0;
    int parts = 0;
    *out = NULL;
    if (want <= 0 || (uint64_t)want > MS_MAX_BLOB || !(*out = malloc((size_t)want)))
        return want <= 0 ? 0 : -1;
    if (sqlite3_prepare_v2(db, "SELECT blob FROM model_parts WHERE version = ?1 ORDER BY part", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_bind_int64(st, 1, v) == SQLITE_OK)
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t n = sqlite3_column_bytes(st, 0);
            const void *p = sqlite3_column_blob(st, 0);
            parts++;
            if (p && n > 0 && got + n <= want)
                memcpy(*out + got, p, (size_t)n);
            got += n;
        }
    sqlite3_finalize(st);
    st = NULL;
    if (!parts &&
        sqlite3_prepare_v2(db, "SELECT blob FROM models WHERE version = ?1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_int64(st, 1, v) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        int64_t n = sqlite3_column_bytes(st, 0);
        const void *p = sqlite3_column_blob(st, 0);
        if (p && n > 0 && n <= want)
            memcpy(*out, p, (size_t)n);
        got = n;
    }
    sqlite3_finalize(st);
    return got;
}

/* Reads the blob of meta's version and checks its length and sha256: 0 and a
 * malloc'd *blob (meta->size bytes), else ERR_NOMEM or ERR_CORRUPT with err
 * and *blob NULL. */
static int ms_read_verified(sqlite3 *db, const struct model_meta *meta, uint8_t **blob, char *err,
                            size_t errlen)
{
    long long v = (long long)meta->version;
    int64_t len = ms_read_blob(db, meta->version, meta->size, blob);
    char hex[65];
    int rc = ERR_CORRUPT;
    if (len < 0)
        rc = err_code_set(err, errlen, ERR_NOMEM,
                          "model version %lld: out of memory reading %lld bytes", v,
                          (long long)meta->size);
    else if (!len)
        err_code_set(err, errlen, rc, "model version %lld has no blob", v);
    else if (len != meta->size)
        err_code_set(err, errlen, rc, "model version %lld is truncated: %lld bytes, expected %lld",
                     v, (long long)len, (long long)meta->size);
    else if (sha256_hex(*blob, (size_t)len, hex), strcmp(hex, meta->sha256))
        err_code_set(err, errlen, rc,
                     "model version %lld fails its sha256 check (stored %.12s..., "
                     "computed %.12s...)",
                     v, meta->sha256, hex);
    else
        return 0;
    free(*blob);
    *blob = NULL;
    return rc;
}

/* modelstore_load_active (version 0) and modelstore_load_version. */
static int ms_load(sqlite3 *db, int64_t version, struct model *m, struct model_meta *meta,
                   char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    uint8_t *blob = NULL;
    int rc = ERR_FAIL;
    memset(meta, 0, sizeof *meta);
    memset(m, 0, sizeof *m);
    if (sqlite3_prepare_v2(db,
                           version ? "SELECT " MS_META_COLS " FROM models WHERE version = ?1"
                                   : "SELECT " MS_META_COLS " FROM models WHERE active = 1"
                                     " ORDER BY version DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        /* no models table: nothing trained yet */
        sqlite3_finalize(st);
        err_set(err, errlen, "no model has been trained yet");
        return 1;
    }
    sqlite3_bind_int64(st, 1, version);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        if (version)
            err_set(err, errlen, "no model version %lld", (long long)version);
        else
            err_set(err, errlen, "no model is active");
        rc = 1;
        goto out;
    }
    if (s != SQLITE_ROW) {
        rc = err_code_set(err, errlen, ms_sql_code(db), "cannot read the models table: %s",
                          sqlite3_errmsg(db));
        goto out;
    }
    if ((rc = ms_meta_row(st, meta)) < 0) {
        err_code_set(err, errlen, rc, "out of memory");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = ms_read_verified(db, meta, &blob, err, errlen)) < 0)
        goto out;
    char derr[256];
    if ((rc = modelformat_deserialize(blob, (size_t)meta->size, m, derr, sizeof derr)) < 0) {
        err_code_set(err, errlen, rc, "model version %lld: %s", (long long)meta->version, derr);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(blob);
    return rc;
}

int modelstore_load_active(sqlite3 *db, struct model *m, struct model_meta *meta, char *err,
                           size_t errlen)
{
    return ms_load(db, 0, m, meta, err, errlen);
}

int modelstore_load_version(sqlite3 *db, int64_t version, struct model *m, struct model_meta *meta,
                            char *err, size_t errlen)
{
    return ms_load(db, version < 1 ? -1 : version, m, meta, err, errlen);
}

int modelstore_active_version(const char *db_path, int64_t *v)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    *v = 0;
    if (dataset_open_ro(db_path, &db, NULL, 0) == 0 &&
        sqlite3_prepare_v2(db, "SELECT version FROM models WHERE active = 1 LIMIT 1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

void modelstore_list_free(struct modelstore_list *l)
{
    for (int i = 0; l->models && i < l->n; i++)
        modelstore_meta_free(&l->models[i]);
    free(l->models);
    memset(l, 0, sizeof *l);
}

int modelstore_list(const char *db_path, struct modelstore_list *out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc, s;
    memset(out, 0, sizeof *out);
    if ((rc = ms_open_rw(db_path, &db, err, errlen)) < 0)
        return rc;
    if (sqlite3_prepare_v2(db, "SELECT " MS_META_COLS " FROM models ORDER BY version", -1, &st,
                           NULL) != SQLITE_OK)
        goto sqlerr;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (mem_grow((void **)&out->models, sizeof *out->models, (size_t)out->n + 1, &cap,
                     (size_t)INT32_MAX) < 0) {
            rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory listing models");
            goto out;
        }
        struct model_meta *mm = &out->models[out->n++];
        if ((rc = ms_meta_row(st, mm)) < 0) {
            err_code_set(err, errlen, rc, "out of memory listing models");
            goto out;
        }
        if (mm->active)
            out->active = mm->version;
    }
    if (s == SQLITE_DONE) {
        rc = 0;
        goto out;
    }
sqlerr:
    rc = err_code_set(err, errlen, ms_sql_code(db), "cannot read the models table: %s",
                      sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc < 0)
        modelstore_list_free(out);
    return rc;
}

/* Commits the transaction activate/rollback opened; on failure rolls it
 * back and fills err. */
static int ms_commit(sqlite3 *db, char *err, size_t errlen)
{
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    int rc = err_code_set(err, errlen, ms_sql_code(db), "cannot commit: %s", sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The blob is checked before the write lock is taken: it never changes once
 * stored, and hashing a large model should not hold other writers off. */
int modelstore_activate(const char *db_path, int64_t version, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct model_meta meta = {0};
    uint8_t *blob = NULL;
    int rc, s;
    if ((rc = ms_open_rw(db_path, &db, err, errlen)) < 0)
        return rc;
    if (sqlite3_prepare_v2(db, "SELECT " MS_META_COLS " FROM models WHERE version = ?1", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, version) != SQLITE_OK ||
        ((s = sqlite3_step(st)) != SQLITE_ROW && s != SQLITE_DONE)) {
        rc = err_code_set(err, errlen, ms_sql_code(db), "cannot read the models table: %s",
                          sqlite3_errmsg(db));
        goto out;
    }
    if (s == SQLITE_DONE) {
        rc = err_code_set(err, errlen, ERR_NOT_FOUND, "there is no model version %lld",
                          (long long)version);
        goto out;
    }
    if ((rc = ms_meta_row(st, &meta)) < 0) {
        err_code_set(err, errlen, rc, "out of memory");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = ms_read_verified(db, &meta, &blob, err, errlen)) < 0)
        goto out;
    free(blob);
    blob = NULL;
    if ((rc = ms_begin(db, db_path, err, errlen)) < 0)
        goto out;
    if ((rc = ms_set_active(db, version, 1, err, errlen)) < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    else
        rc = ms_commit(db, err, errlen);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(blob);
    modelstore_meta_free(&meta);
    return rc;
}

/* Pops the activation log back past the current version: the version below
 * it becomes active again. Repeated rollbacks walk further back. */
int modelstore_rollback(const char *db_path, int64_t *now_active, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc;
    int64_t cur = 0, prev = 0;
    if ((rc = ms_open_rw(db_path, &db, err, errlen)) < 0)
        return rc;
    if ((rc = ms_begin(db, db_path, err, errlen)) < 0)
        goto out;
    if (sqlite3_prepare_v2(db, "SELECT version FROM models WHERE active = 1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        cur = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (!cur) {
        rc = err_code_set(err, errlen, ERR_CONFLICT, "no model is active, nothing to roll back");
        goto rollback;
    }
    /* the most recent logged activation of another version that still exists */
    if (sqlite3_prepare_v2(db,
                           "SELECT a.id, a.version FROM model_activations a JOIN models m"
                           " ON m.version = a.version WHERE a.version <> ?1"
                           " AND a.id < (SELECT MAX(id) FROM model_activations WHERE version = ?1)"
                           " ORDER BY a.id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, cur) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        rc =
            err_code_set(err, errlen, ERR_CONFLICT,
                         "no earlier model version to roll back to (active: %lld)", (long long)cur);
        goto rollback;
    }
    int64_t keep = sqlite3_column_int64(st, 0);
    prev = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM model_activations WHERE id > ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_int64(st, 1, keep) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE ||
        ms_set_active(db, prev, 0, err, errlen) < 0) {
        rc = err_code_set(err, errlen, ms_sql_code(db), "cannot roll back: %s", sqlite3_errmsg(db));
        goto rollback;
    }
    rc = ms_commit(db, err, errlen);
    if (rc == 0)
        *now_active = prev;
    goto out;
rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* 1 when v is one of the n versions in set. */
static int ms_in(const int64_t *set, int n, int64_t v)
{
    for (int i = 0; i < n; i++)
        if (set[i] == v)
            return 1;
    return 0;
}

/* Deletes version v's row and its blob parts (inside the caller's transaction). */
static int ms_delete_version(sqlite3 *db, int64_t v)
{
    static const char *const sql[] = {"DELETE FROM model_parts WHERE version = ?1",
                                      "DELETE FROM models WHERE version = ?1 AND active = 0"};
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        sqlite3_stmt *st = NULL;
        int ok = sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) == SQLITE_OK &&
                 sqlite3_bind_int64(st, 1, v) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
        if (!ok)
            return -1;
    }
    return 0;
}

/* The pins and the list are read and the rows deleted under one write lock,
 * so a version activated or pinned meanwhile by another process cannot be
 * the one deleted. */
int modelstore_prune(const char *db_path, int keep, modelstore_pins_fn pins,
                     struct modelstore_pruned *out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t *pinned = NULL;
    int rc, s, newer = 0, n_pinned = 0;
    memset(out, 0, sizeof *out);
    if (keep < 1)
        return err_code_set(err, errlen, ERR_INVALID, "keep must be at least 1 (got %d)", keep);
    if ((rc = ms_open_rw(db_path, &db, err, errlen)) < 0)
        return rc;
    if ((rc = ms_begin(db, db_path, err, errlen)) < 0)
        goto out;
    if (pins && (rc = pins(db, &pinned, &n_pinned, err, errlen)) < 0)
        goto rollback;
    if (sqlite3_prepare_v2(db, "SELECT version, active FROM models ORDER BY version DESC", -1, &st,
                           NULL) != SQLITE_OK)
        goto sqlerr;
    /* Collected first, deleted after: deleting under an open SELECT of the
     * same table would be reading a table while it changes. */
    int64_t *doomed = NULL;
    size_t cap = 0, n = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 0);
        int active = sqlite3_column_int(st, 1);
        if (newer++ < keep || active || ms_in(pinned, n_pinned, v)) {
            out->kept++;
            continue;
        }
        if (mem_grow((void **)&doomed, sizeof *doomed, n + 1, &cap, (size_t)INT32_MAX) < 0) {
            free(doomed);
            rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory pruning models");
            goto rollback;
        }
        doomed[n++] = v;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (s != SQLITE_DONE) {
        free(doomed);
        goto sqlerr;
    }
    for (size_t i = 0; i < n; i++)
        if (ms_delete_version(db, doomed[i]) < 0) {
            free(doomed);
            goto sqlerr;
        }
    if ((rc = ms_commit(db, err, errlen)) < 0) {
        free(doomed);
        goto out;
    }
    out->removed = doomed; /* oldest last: newest first, as read */
    out->n_removed = (int)n;
    goto out;
sqlerr:
    rc = err_code_set(err, errlen, ms_sql_code(db), "cannot prune the models table: %s",
                      sqlite3_errmsg(db));
rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(pinned);
    return rc;
}

void modelstore_pruned_free(struct modelstore_pruned *p)
{
    free(p->removed);
    memset(p, 0, sizeof *p);
}
