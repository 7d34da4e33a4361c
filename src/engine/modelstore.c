/* Serialisation of models and the models table (see modelstore.h). */
#include "engine/modelstore.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "engine/recommend.h"
#include "util/sha256.h"
#include "engine/train.h"
#include "util/error.h"

static const char ms_magic[8] = {'R', 'E', 'C', 'S', 'Y', 'S', 'M', 'D'};
#define MS_END   0x454e444d4f44454cLL
#define MS_CHUNK ((size_t)1 << 20) /* streaming buffer when storing a model */

static void put_params(struct blob_writer *w, const struct algo_params *p)
{
    int64_t iv[] = {p->window_days,     p->state_window, p->neighbours, p->max_postings,
                    p->item_neighbours, p->factors,      p->iterations, p->cg_steps,
                    (int64_t)p->seed,   p->price_tiers,  p->long_window};
    double dv[] = {p->threshold, p->reg, p->alpha, p->state_weight};
    bw_array(w, iv, 8, sizeof iv / 8);
    bw_array(w, dv, 8, sizeof dv / 8);
}

static int get_params(struct blob_reader *r, struct algo_params *p)
{
    int64_t *iv = br_array(r, 8, 11, 0, NULL);
    double *dv = br_array(r, 8, 4, 0, NULL);
    int rc = -1;
    if (iv && dv) {
        *p = (struct algo_params){.window_days = (int)iv[0],
                                  .state_window = (int)iv[1],
                                  .neighbours = (int)iv[2],
                                  .max_postings = (int)iv[3],
                                  .item_neighbours = (int)iv[4],
                                  .factors = (int)iv[5],
                                  .iterations = (int)iv[6],
                                  .cg_steps = (int)iv[7],
                                  .seed = (uint64_t)iv[8],
                                  .price_tiers = (int)iv[9],
                                  .long_window = (int)iv[10],
                                  .threshold = dv[0],
                                  .reg = dv[1],
                                  .alpha = dv[2],
                                  .state_weight = dv[3]};
        rc = 0;
    }
    free(iv);
    free(dv);
    return rc;
}

/* Ids as 16-byte keys (half their text size): the count, then the keys. */
static void put_ids(struct blob_writer *w, const struct idmap *m)
{
    struct ds_key buf[512];
    int n = 0;
    bw_i64(w, m->n);
    for (int32_t i = 0; i < m->n; i++) {
        ds_id_key(m->ids[i], &buf[n++]); /* ids in a model are valid by construction */
        if (n == 512 || i == m->n - 1) {
            bw_put(w, buf, (size_t)n * sizeof *buf);
            n = 0;
        }
    }
}

/* Reads put_ids output: NULL unless every key is in strictly increasing
 * order (the idmap invariant) and within the blob. */
static char (*get_ids(struct blob_reader *r, int32_t *n_out))[DS_ID_LEN]
{
    int64_t n = br_i64(r);
    *n_out = 0;
    if (r->failed || n < 0 || n > DS_MAX_ROWS ||
        (uint64_t)n > (r->len - r->off) / sizeof(struct ds_key)) {
        r->failed = 1;
        return NULL;
    }
    char(*ids)[DS_ID_LEN] = malloc(((size_t)n + 1) * DS_ID_LEN);
    if (!ids) {
        r->failed = 1;
        return NULL;
    }
    struct ds_key prev = {0, 0}, k;
    for (int64_t i = 0; i < n; i++) {
        br_get(r, &k, sizeof k);
        if (i && (k.hi < prev.hi || (k.hi == prev.hi && k.lo <= prev.lo)))
            r->failed = 1;
        if (r->failed) {
            free(ids);
            return NULL;
        }
        ds_key_id(&k, ids[i]);
        prev = k;
    }
    *n_out = (int32_t)n;
    return ids;
}

/* Writes the whole model into w (any mode). */
static void ms_write(const struct model *m, struct blob_writer *w)
{
    const struct dataset *c = &m->ctx;
    bw_put(w, ms_magic, sizeof ms_magic);
    bw_i64(w, MS_FORMAT);
    bw_array(w, m->algorithm, 1, (int64_t)strlen(m->algorithm));
    put_params(w, &m->params);
    put_ids(w, &c->users);
    put_ids(w, &c->items);
    bw_array(w, c->states, 3, c->n_states);
    bw_array(w, c->cats, DS_CAT_LEN, c->n_cats);
    bw_array(w, c->user_state, sizeof *c->user_state, c->users.n);
    bw_array(w, c->item_cat, sizeof *c->item_cat, c->items.n);
    bw_array(w, c->item_price, sizeof *c->item_price, c->items.n);
    bw_array(w, m->ui.ptr, 8, (int64_t)m->ui.n_rows + 1);
    bw_array(w, m->ui.idx, 4, m->ui.nnz);
    bw_array(w, m->ui.val, 4, m->ui.nnz);
    popularity_save(&m->pop, c->items.n, c->n_states, c->n_cats, w);
    m->ops->save(m, w);
    bw_i64(w, MS_END);
    bw_flush(w);
}

int modelstore_serialize(const struct model *m, uint8_t **blob, size_t *len, char *err,
                         size_t errlen)
{
    struct blob_writer w = {0};
    ms_write(m, &w);
    if (w.failed) {
        free(w.buf);
        return err_set(err, errlen, "out of memory serialising the model (limit %zu bytes)",
                       MS_MAX_BLOB);
    }
    *blob = w.buf;
    *len = w.len;
    return 0;
}

static int sorted_ids(const struct idmap *m)
{
    for (int32_t i = 1; i < m->n; i++)
        if (strncmp(m->ids[i - 1], m->ids[i], DS_ID_LEN) >= 0 || m->ids[i][DS_ID_LEN - 1])
            return 0;
    return !m->n || !m->ids[0][DS_ID_LEN - 1];
}

int modelstore_deserialize(const uint8_t *blob, size_t len, struct model *m, char *err,
                           size_t errlen)
{
    struct blob_reader r = {blob, len, 0, 0};
    struct dataset *c = &m->ctx;
    char magic[8];
    int64_t n, n2;
    memset(m, 0, sizeof *m);
    br_get(&r, magic, sizeof magic);
    if (r.failed || memcmp(magic, ms_magic, sizeof magic))
        return err_set(err, errlen, "the model blob does not start with the model magic");
    int64_t fmt = br_i64(&r);
    if (fmt != MS_FORMAT)
        return err_set(err, errlen, "model format %lld is not supported (expected %d)",
                       (long long)fmt, MS_FORMAT);
    char *name = br_array(&r, 1, -1, 31, &n);
    if (name) {
        memcpy(m->algorithm, name, (size_t)n);
        m->algorithm[n] = 0;
    }
    free(name);
    m->ops = algo_find(m->algorithm);
    if (!m->ops) {
        err_set(err, errlen, "unknown algorithm \"%s\" in the model blob", m->algorithm);
        goto bad;
    }
    if (get_params(&r, &m->params) < 0)
        goto corrupt;
    c->users.ids = get_ids(&r, &c->users.n);
    c->items.ids = get_ids(&r, &c->items.n);
    c->states = br_array(&r, 3, -1, 1000, &n);
    c->n_states = (int)n;
    c->cats = br_array(&r, DS_CAT_LEN, -1, 100000, &n2);
    c->n_cats = (int)n2;
    c->user_state = br_array(&r, 2, c->users.n, 0, NULL);
    c->item_cat = br_array(&r, 4, c->items.n, 0, NULL);
    c->item_price = br_array(&r, 4, c->items.n, 0, NULL);
    if (r.failed || !sorted_ids(&c->users) || !sorted_ids(&c->items))
        goto corrupt;
    for (int i = 0; i < c->n_states; i++)
        c->states[i][2] = 0;
    for (int i = 0; i < c->n_cats; i++)
        c->cats[i][DS_CAT_LEN - 1] = 0;
    for (int32_t u = 0; u < c->users.n; u++)
        if (c->user_state[u] < -1 || c->user_state[u] >= c->n_states)
            goto corrupt;
    for (int32_t i = 0; i < c->items.n; i++)
        if (c->item_cat[i] < 0 || c->item_cat[i] >= c->n_cats)
            goto corrupt;
    m->ui.n_rows = c->users.n;
    m->ui.n_cols = c->items.n;
    m->ui.ptr = br_array(&r, 8, (int64_t)c->users.n + 1, 0, NULL);
    if (!m->ui.ptr || m->ui.ptr[0] != 0)
        goto corrupt;
    for (int32_t u = 0; u < c->users.n; u++)
        if (m->ui.ptr[u + 1] < m->ui.ptr[u])
            goto corrupt;
    m->ui.nnz = m->ui.ptr[c->users.n];
    m->ui.idx = br_array(&r, 4, m->ui.nnz, 0, NULL);
    m->ui.val = br_array(&r, 4, m->ui.nnz, 0, NULL);
    if (r.failed)
        goto corrupt;
    for (int32_t u = 0; u < c->users.n; u++)
        for (int64_t k = m->ui.ptr[u]; k < m->ui.ptr[u + 1]; k++)
            if (m->ui.idx[k] < 0 || m->ui.idx[k] >= c->items.n ||
                (k > m->ui.ptr[u] && m->ui.idx[k] <= m->ui.idx[k - 1]))
                goto corrupt;
    if (popularity_load(&m->pop, c->items.n, c->n_states, c->n_cats, &r) < 0)
        goto corrupt;
    if (m->ops->load(m, &r, err, errlen) < 0)
        goto bad;
    if (br_i64(&r) != MS_END || r.failed || r.off != r.len)
        goto corrupt;
    if (csr_transpose(&m->ui, &m->iu, err, errlen) < 0)
        goto bad;
    return 0;
corrupt:
    err_set(err, errlen, "the model blob is truncated or corrupted (at byte %zu of %zu)", r.off,
            len);
bad:
    model_free(m);
    return -1;
}

/* --- the models table --- */

void model_meta_free(struct model_meta *mm)
{
    free(mm->params_json);
    free(mm->metrics_json);
    mm->params_json = mm->metrics_json = NULL;
}

char *algo_params_json(const struct algo_params *p)
{
    char *s = malloc(512);
    if (s)
        snprintf(s, 512,
                 "{\"window_days\":%d,\"long_window\":%d,\"state_window\":%d,\"neighbours\":%d,"
                 "\"threshold\":%g,"
                 "\"max_postings\":%d,\"item_neighbours\":%d,\"factors\":%d,\"reg\":%g,"
                 "\"alpha\":%g,\"iterations\":%d,\"cg_steps\":%d,\"seed\":%llu,"
                 "\"price_tiers\":%d,\"state_weight\":%g}",
                 p->window_days, p->long_window, p->state_window, p->neighbours, p->threshold,
                 p->max_postings, p->item_neighbours, p->factors, p->reg, p->alpha, p->iterations,
                 p->cg_steps, (unsigned long long)p->seed, p->price_tiers, p->state_weight);
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

/* Opens db_path read-write with the models tables present. */
static int ms_open_rw(const char *db_path, sqlite3 **db, char *err, size_t errlen)
{
    *db = NULL;
    if (sqlite3_open_v2(db_path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot open database %s: %s", db_path,
                *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 10000);
    if (sqlite3_exec(*db, ms_schema, NULL, NULL, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot create the models table in %s: %s", db_path,
                sqlite3_errmsg(*db));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

static void now_text(char out[24])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Makes version v the active one and logs it (inside the caller's transaction). */
static int ms_set_active(sqlite3 *db, int64_t v, int log, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char at[24];
    now_text(at);
    /* touch only the rows that change: an UPDATE rewrites the whole row, blob included */
    int ok = sqlite3_prepare_v2(db,
                                "UPDATE models SET active = (version = ?1)"
                                " WHERE active <> (version = ?1)",
                                -1, &st, NULL) == SQLITE_OK &&
             sqlite3_bind_int64(st, 1, v) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    st = NULL;
    if (ok && log)
        ok = sqlite3_prepare_v2(db, "INSERT INTO model_activations(version, at) VALUES(?1, ?2)", -1,
                                &st, NULL) == SQLITE_OK &&
             sqlite3_bind_int64(st, 1, v) == SQLITE_OK &&
             sqlite3_bind_text(st, 2, at, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return ok ? 0
              : err_set(err, errlen, "cannot activate model %lld: %s", (long long)v,
                        sqlite3_errmsg(db));
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
    ms_write(m, &w);
    if (w.failed)
        return err_set(err, errlen, "the model is too large to store (limit %zu bytes)",
                       MS_MAX_BLOB);
    sink.len = (int64_t)w.len;
    meta->size = (int64_t)w.len;
    now_text(meta->created_at);
    if (!(chunk = malloc(MS_CHUNK)))
        return err_set(err, errlen, "out of memory");
    if (ms_open_rw(db_path, &db, err, errlen) < 0)
        goto out;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto sqlerr;
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
    ms_write(m, &w);
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
    if (activate && ms_set_active(db, meta->version, 1, err, errlen) < 0)
        goto rollback;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto sqlerr;
    meta->active = activate;
    rc = 0;
    goto out;
sqlerr:
    err_set(err, errlen, "cannot store the model in %s: %s", db_path, sqlite3_errmsg(db));
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

int modelstore_load_active(sqlite3 *db, struct model *m, struct model_meta *meta, char *err,
                           size_t errlen)
{
    sqlite3_stmt *st = NULL;
    uint8_t *blob = NULL;
    int rc = -1;
    memset(meta, 0, sizeof *meta);
    memset(m, 0, sizeof *m);
    if (sqlite3_prepare_v2(db,
                           "SELECT version, algorithm, params, cutoff, metrics, created_at,"
                           " train_seconds, sha256, size FROM models WHERE active = 1"
                           " ORDER BY version DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        /* no models table: nothing trained yet */
        sqlite3_finalize(st);
        err_set(err, errlen, "no model has been trained yet");
        return 1;
    }
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        err_set(err, errlen, "no model is active");
        rc = 1;
        goto out;
    }
    if (s != SQLITE_ROW) {
        err_set(err, errlen, "cannot read the models table: %s", sqlite3_errmsg(db));
        goto out;
    }
    meta->version = sqlite3_column_int64(st, 0);
    col_copy(st, 1, meta->algorithm, sizeof meta->algorithm);
    meta->params_json = col_dup(st, 2);
    col_copy(st, 3, meta->cutoff, sizeof meta->cutoff);
    meta->metrics_json = col_dup(st, 4);
    col_copy(st, 5, meta->created_at, sizeof meta->created_at);
    meta->train_seconds = sqlite3_column_double(st, 6);
    col_copy(st, 7, meta->sha256, sizeof meta->sha256);
    meta->size = sqlite3_column_int64(st, 8);
    meta->active = 1;
    sqlite3_finalize(st);
    st = NULL;
    int64_t len = ms_read_blob(db, meta->version, meta->size, &blob);
    char hex[65];
    if (len < 0) {
        err_set(err, errlen, "model version %lld: out of memory reading %lld bytes",
                (long long)meta->version, (long long)meta->size);
        goto out;
    }
    if (!len) {
        err_set(err, errlen, "model version %lld has no blob", (long long)meta->version);
        goto out;
    }
    if (len != meta->size) {
        err_set(err, errlen, "model version %lld is truncated: %lld bytes, expected %lld",
                (long long)meta->version, (long long)len, (long long)meta->size);
        goto out;
    }
    sha256_hex(blob, (size_t)len, hex);
    if (strcmp(hex, meta->sha256)) {
        err_set(err, errlen,
                "model version %lld fails its sha256 check (stored %.12s..., "
                "computed %.12s...)",
                (long long)meta->version, meta->sha256, hex);
        goto out;
    }
    char derr[256];
    if (modelstore_deserialize(blob, (size_t)len, m, derr, sizeof derr) < 0) {
        err_set(err, errlen, "model version %lld: %s", (long long)meta->version, derr);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(blob);
    return rc;
}

int models_active_version(const char *db_path, int64_t *v)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    *v = 0;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT version FROM models WHERE active = 1 LIMIT 1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

struct cJSON *models_list_json(const char *db_path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cJSON *root = NULL, *arr;
    int64_t active = 0;
    if (ms_open_rw(db_path, &db, err, errlen) < 0)
        return NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT version, algorithm, cutoff, created_at, active, sha256, size,"
                           " metrics, train_seconds, params FROM models ORDER BY version",
                           -1, &st, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot read the models table: %s", sqlite3_errmsg(db));
        goto out;
    }
    root = cJSON_CreateObject();
    arr = cJSON_AddArrayToObject(root, "models");
    while (sqlite3_step(st) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        const char *t;
        int64_t v = sqlite3_column_int64(st, 0);
        cJSON_AddNumberToObject(o, "version", (double)v);
        cJSON_AddStringToObject(o, "algorithm",
                                (t = (const char *)sqlite3_column_text(st, 1)) ? t : "");
        cJSON_AddStringToObject(o, "cutoff",
                                (t = (const char *)sqlite3_column_text(st, 2)) ? t : "");
        cJSON_AddStringToObject(o, "created_at",
                                (t = (const char *)sqlite3_column_text(st, 3)) ? t : "");
        cJSON_AddBoolToObject(o, "active", sqlite3_column_int(st, 4) != 0);
        cJSON_AddStringToObject(o, "sha256",
                                (t = (const char *)sqlite3_column_text(st, 5)) ? t : "");
        cJSON_AddNumberToObject(o, "size", (double)sqlite3_column_int64(st, 6));
        t = (const char *)sqlite3_column_text(st, 7);
        cJSON *mj = t ? cJSON_Parse(t) : NULL;
        cJSON_AddItemToObject(o, "metrics", mj ? mj : cJSON_CreateObject());
        cJSON_AddNumberToObject(o, "train_seconds", sqlite3_column_double(st, 8));
        t = (const char *)sqlite3_column_text(st, 9);
        cJSON *pj = t ? cJSON_Parse(t) : NULL;
        cJSON_AddItemToObject(o, "params", pj ? pj : cJSON_CreateObject());
        if (sqlite3_column_int(st, 4))
            active = v;
        cJSON_AddItemToArray(arr, o);
    }
    if (active)
        cJSON_AddNumberToObject(root, "active", (double)active);
    else
        cJSON_AddNullToObject(root, "active");
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return root;
}

/* Commits the transaction activate/rollback opened; on failure rolls it
 * back and fills err. Returns 0 or -1. */
static int ms_commit(sqlite3 *db, char *err, size_t errlen)
{
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    err_set(err, errlen, "cannot commit: %s", sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int models_activate(const char *db_path, int64_t version, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (ms_open_rw(db_path, &db, err, errlen) < 0)
        return -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot lock %s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM models WHERE version = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_int64(st, 1, version) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        err_set(err, errlen, "there is no model version %lld", (long long)version);
        goto rollback;
    }
    if (ms_set_active(db, version, 1, err, errlen) < 0)
        goto rollback;
    rc = ms_commit(db, err, errlen);
    goto out;
rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* Pops the activation log back past the current version: the version below
 * it becomes active again. Repeated rollbacks walk further back. */
int models_rollback(const char *db_path, int64_t *now_active, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    int64_t cur = 0, prev = 0;
    if (ms_open_rw(db_path, &db, err, errlen) < 0)
        return -1;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot lock %s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    if (sqlite3_prepare_v2(db, "SELECT version FROM models WHERE active = 1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        cur = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (!cur) {
        err_set(err, errlen, "no model is active, nothing to roll back");
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
        err_set(err, errlen, "no earlier model version to roll back to (active: %lld)",
                (long long)cur);
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
        err_set(err, errlen, "cannot roll back: %s", sqlite3_errmsg(db));
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
