/* The model store on real SQLite files: serialisation round trip and
 * truncation, save/activate/rollback, models stored in many parts, readers
 * that wait out a writer's lock, and corrupted blobs (rejected, or a
 * popularity fallback with a warning). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/dataset_load.h"
#include "engine/modelstore.h"
#include "engine/engine.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "util/error.h"
#include "test.h"

static void test_serialize_roundtrip(void)
{
    struct dataset ds;
    struct model m, l;
    uint8_t *blob;
    size_t len;
    char err[256];
    if (load_ds(&ds) < 0 || model_train(&ds, "hybrid", NULL, dataset_parse_day("2018-01-01"), &m,
                                        err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    CHECK_INT(modelformat_serialize(&m, &blob, &len, err, sizeof err), 0);
    if (modelformat_deserialize(blob, len, &l, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        free(blob);
        model_free(&m);
        dataset_free(&ds);
        return;
    }
    struct rec_query q = {.user = user_of(&m, 0), .state = 0, .n = 6};
    struct rec_list x = {0}, y = {0};
    m.ops->recommend(&m, &q, &x);
    l.ops->recommend(&l, &q, &y);
    CHECK_INT(x.n, y.n);
    for (int i = 0; i < x.n && i < y.n; i++) {
        CHECK_INT(x.items[i].item, y.items[i].item);
        CHECK_STR(x.items[i].source, y.items[i].source);
    }
    /* every truncation is rejected, never read past */
    int bad = 0;
    for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
        struct model t;
        if (modelformat_deserialize(blob, cut, &t, err, sizeof err) == 0) {
            bad++;
            model_free(&t);
        }
    }
    CHECK_INT(bad, 0);
    free(blob);
    model_free(&l);
    model_free(&m);
    dataset_free(&ds);
}

static void test_models_save_activate_rollback(void)
{
    char err[512];
    int64_t v1 = 0, v2 = 0, now = 0, act = 0;
    struct train_options o = {.db_path = db_path, .algo = "popularity", .quiet = 1};
    CHECK_INT(modelstore_active_version(db_path, &act), 0);
    CHECK_INT(act, 0);
    CHECK_INT(train_run(&o, &v1, err, sizeof err), 0);
    o.algo = "hybrid";
    CHECK_INT(train_run(&o, &v2, err, sizeof err), 0);
    CHECK_INT(v1, 1);
    CHECK_INT(v2, 2);
    modelstore_active_version(db_path, &act);
    CHECK_INT(act, 2);
    struct modelstore_list l;
    CHECK_INT(modelstore_list(db_path, &l, err, sizeof err), 0);
    CHECK_INT(l.n, 2);
    CHECK_INT(l.active, 2);
    CHECK_INT(l.n == 2 && l.models[0].version == 1 && !l.models[0].active && l.models[1].active, 1);
    /* metrics were stored: evaluated at 2018-01-01 with the baseline */
    cJSON *m2 = cJSON_Parse(l.n == 2 ? l.models[1].metrics_json : "{}");
    cJSON *hr = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m2, "baseline"), "all"),
                                    "hit_rate");
    CHECK(cJSON_IsNumber(hr));
    cJSON_Delete(m2);
    CHECK_INT(l.n == 2 ? (int)strlen(l.models[1].sha256) : 0, 64);
    modelstore_list_free(&l);
    CHECK_INT(modelstore_rollback(db_path, &now, err, sizeof err), 0);
    CHECK_INT(now, 1);
    modelstore_active_version(db_path, &act);
    CHECK_INT(act, 1);
    CHECK_INT(modelstore_activate(db_path, 2, err, sizeof err), 0);
    CHECK_INT(modelstore_activate(db_path, 99, err, sizeof err), ERR_NOT_FOUND);
    CHECK(strstr(err, "99") != NULL);
    CHECK_INT(modelstore_rollback(db_path, &now, err, sizeof err), 0);
    CHECK_INT(now, 1);
    CHECK_INT(modelstore_rollback(db_path, &now, err, sizeof err), ERR_CONFLICT);
    CHECK_INT(modelstore_activate(db_path, 2, err, sizeof err), 0);
    /* bad options */
    o.algo = "magic";
    CHECK_INT(train_run(&o, NULL, err, sizeof err), ERR_INVALID);
    o.algo = "hybrid";
    o.cutoff = "01/01/2018";
    CHECK_INT(train_run(&o, NULL, err, sizeof err), ERR_INVALID);
}

/* Another connection holds the database's exclusive lock (a writer
 * committing: train, activate) for a moment. */
struct holder {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int locked;
};

static void *hold_lock(void *arg)
{
    struct holder *h = arg;
    sqlite3 *db = NULL;
    sqlite3_open(db_path, &db);
    sqlite3_busy_timeout(db, 5000);
    int ok = sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) == SQLITE_OK;
    pthread_mutex_lock(&h->mu);
    h->locked = ok ? 1 : -1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    usleep(300 * 1000);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return NULL;
}

/* Runs fn while another connection holds the exclusive lock. */
static void while_locked(void (*fn)(void))
{
    struct holder h = {.locked = 0};
    pthread_t th;
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cv, NULL);
    pthread_create(&th, NULL, hold_lock, &h);
    pthread_mutex_lock(&h.mu);
    while (!h.locked)
        pthread_cond_wait(&h.cv, &h.mu);
    pthread_mutex_unlock(&h.mu);
    CHECK_INT(h.locked, 1);
    fn();
    pthread_join(th, NULL);
    pthread_mutex_destroy(&h.mu);
    pthread_cond_destroy(&h.cv);
}

static void open_engine_locked(void)
{
    struct engine *e = NULL;
    char err[512] = "";
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK(e && engine_warning(e) == NULL); /* the model, not a popularity fallback */
    engine_release(e);
}

static void load_dataset_locked(void)
{
    struct dataset ds;
    char err[512] = "";
    CHECK_INT(dataset_load(db_path, &ds, err, sizeof err), 0);
    dataset_free(&ds);
}

static void active_version_locked(void)
{
    int64_t v = 0;
    modelstore_active_version(db_path, &v);
    CHECK_INT(v, 2);
}

/* Every read-only connection has the busy timeout: a reader that meets a
 * writer's lock waits for it (DS_BUSY_MS) instead of failing with
 * "database is locked" (SIGHUP reloads, train, the models list). */
static void test_readers_wait_for_a_writer(void)
{
    while_locked(open_engine_locked);
    while_locked(load_dataset_locked);
    while_locked(active_version_locked);
}

/* A model stored in many small parts (RECSYS_MODEL_PART) loads back whole:
 * same recommendations as the one stored in a single part. */
static void test_model_in_parts(void)
{
    char err[512], p0[33];
    int64_t v1 = 0, v2 = 0, before = 0;
    struct engine *e;
    struct rec_result a, b;
    id(p0, 0xA000, 0);
    struct rec_request req = {.user = p0, .count = 5};
    struct train_options o = {.db_path = db_path, .algo = "hybrid", .quiet = 1, .no_eval = 1};
    modelstore_active_version(db_path, &before);
    CHECK_INT(train_run(&o, &v1, err, sizeof err), 0);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK_INT(engine_recommend(e, &req, &a, err, sizeof err), 0);
    engine_release(e);
    setenv("RECSYS_MODEL_PART", "100", 1);
    CHECK_INT(train_run(&o, &v2, err, sizeof err), 0);
    unsetenv("RECSYS_MODEL_PART");
    sqlite3 *db;
    sqlite3_stmt *st;
    int parts = 0, big = 0;
    sqlite3_open(db_path, &db);
    if (sqlite3_prepare_v2(db,
                           "SELECT COUNT(*), MAX(length(blob)) FROM model_parts"
                           " WHERE version = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, v2);
        if (sqlite3_step(st) == SQLITE_ROW)
            parts = sqlite3_column_int(st, 0), big = sqlite3_column_int(st, 1);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    CHECK(parts > 10);
    CHECK_INT(big, 100);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK(engine_warning(e) == NULL);
    CHECK_INT(engine_recommend(e, &req, &b, err, sizeof err), 0);
    CHECK_INT(a.n_items, b.n_items);
    for (int i = 0; i < a.n_items && i < b.n_items; i++)
        CHECK_STR(a.items[i].product_id, b.items[i].product_id);
    engine_release(e);
    CHECK_INT(modelstore_activate(db_path, before, err, sizeof err), 0);
}

/* Single-byte corruptions of a valid blob (as if the checksum had matched):
 * each is rejected or yields a model that recommends within bounds (ASan
 * checks the reads) for every user. */
static void test_flipped_blob_never_crashes(void)
{
    struct dataset ds;
    struct model m;
    uint8_t *blob;
    size_t len;
    char err[256];
    if (load_ds(&ds) < 0 || model_train(&ds, "hybrid", NULL, dataset_parse_day("2018-01-01"), &m,
                                        err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    CHECK_INT(modelformat_serialize(&m, &blob, &len, err, sizeof err), 0);
    int rejected = 0;
    for (size_t at = 0; at < len; at++) {
        static const uint8_t flips[] = {0x01, 0x80, 0xff};
        for (size_t f = 0; f < sizeof flips; f++) {
            struct model t;
            blob[at] ^= flips[f];
            if (modelformat_deserialize(blob, len, &t, err, sizeof err) == 0) {
                for (int32_t u = -1; u < t.ctx.users.n; u++) {
                    struct rec_query q = {
                        .user = u, .state = u % 2 ? 0 : -1, .n = 10, .explain = 1};
                    if (q.state >= t.ctx.n_states)
                        q.state = -1;
                    struct rec_list out = {0};
                    t.ops->recommend(&t, &q, &out);
                    for (int i = 0; i < out.n; i++)
                        if (out.items[i].item < 0 || out.items[i].item >= t.ctx.items.n)
                            rejected = -1000000;
                }
                model_free(&t);
            } else
                rejected++;
            blob[at] ^= flips[f];
        }
    }
    CHECK(rejected > 0); /* most corruptions are caught; none returns a bad item */
    free(blob);
    model_free(&m);
    dataset_free(&ds);
}

static void test_corrupted_blob_falls_back(void)
{
    char err[512], sql[256];
    sqlite3 *db;
    struct engine *e;
    struct engine_info in;
    struct rec_result r;
    sqlite3_open(db_path, &db);
    /* same length, one byte changed: only the checksum can tell */
    exec(db, "UPDATE model_parts SET blob = CAST(substr(blob, 1, 1000) || x'ff' ||"
             " substr(blob, 1002) AS BLOB) WHERE part = 0 AND version = (SELECT version"
             " FROM models WHERE active = 1)");
    sqlite3_close(db);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK(engine_warning(e) && strstr(engine_warning(e), "sha256"));
    /* and activating it again is refused before any region reloads onto it */
    int64_t bad = 0;
    modelstore_active_version(db_path, &bad);
    CHECK_INT(modelstore_activate(db_path, bad, err, sizeof err), ERR_CORRUPT);
    CHECK(strstr(err, "sha256") != NULL);
    engine_get_info(e, &in);
    CHECK_INT(in.fallback, 1);
    CHECK_INT(in.version, 0);
    char p0[33];
    id(p0, 0xA000, 0);
    struct rec_request req = {.user = p0, .count = 3};
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), 0);
    CHECK_INT(r.n_items, 3);
    CHECK_STR(r.items[0].source, "popularity:global");
    engine_release(e);
    /* truncated */
    sqlite3_open(db_path, &db);
    snprintf(sql, sizeof sql,
             "UPDATE model_parts SET blob = substr(blob, 1, 100) WHERE"
             " version = (SELECT version FROM models WHERE active = 1)");
    exec(db, sql);
    sqlite3_close(db);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK(engine_warning(e) && strstr(engine_warning(e), "truncated"));
    engine_release(e);
    CHECK_INT(modelstore_activate(db_path, bad, err, sizeof err), ERR_CORRUPT);
    CHECK(strstr(err, "truncated") != NULL);
    /* a missing database is an error, not a fallback */
    CHECK_INT(engine_open("/nonexistent/olist.db", &e, err, sizeof err), -1);
}

int main(void)
{
    fixture_make_db();
    RUN(test_serialize_roundtrip);
    RUN(test_models_save_activate_rollback);
    RUN(test_readers_wait_for_a_writer);
    RUN(test_model_in_parts);
    RUN(test_flipped_blob_never_crashes);
    RUN(test_corrupted_blob_falls_back);
    fixture_remove();
    return TEST_SUMMARY();
}
