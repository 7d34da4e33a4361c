/* Pruning stored model versions on a real SQLite file: which versions go
 * (beyond the newest N) and which stay whatever their age (the active one,
 * those a running experiment serves, stored through net/expstore.c), the
 * blobs going with their rows, rollback after a prune, a database that stops
 * growing when every new version is followed by a prune, and bad input. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/modelstore.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "net/exp.h"
#include "net/expstore.h"
#include "net/modelprune.h"
#include "util/error.h"
#include "test.h"

/* One integer from a query on db_path (-1 when it fails). */
static long long query_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_open(db_path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

/* The stored versions, in order, as text ("1,2,5"). */
static void versions(char *out, size_t n)
{
    struct modelstore_list l;
    char err[256];
    size_t len = 0;
    out[0] = '\0';
    if (modelstore_list(db_path, &l, err, sizeof err) < 0)
        return;
    for (int i = 0; i < l.n && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%lld", i ? "," : "",
                                (long long)l.models[i].version);
    modelstore_list_free(&l);
}

static int64_t train_one(void)
{
    struct train_options o = {.db_path = db_path, .algo = "hybrid", .quiet = 1, .no_eval = 1};
    int64_t v = 0;
    char err[512];
    if (train_run(&o, &v, err, sizeof err) < 0)
        printf("# train: %s\n", err);
    return v;
}

/* A stored running experiment serving versions a and b. */
static struct exp_record *experiment(const char *name, int64_t a, int64_t b)
{
    struct exp_record *rec = calloc(1, sizeof *rec);
    char err[512];
    snprintf(rec->name, sizeof rec->name, "%s", name);
    rec->n_variants = 2;
    snprintf(rec->v[0].name, sizeof rec->v[0].name, "A");
    snprintf(rec->v[1].name, sizeof rec->v[1].name, "B");
    rec->v[0].version = a;
    rec->v[1].version = b;
    rec->v[0].share = rec->v[1].share = 50;
    rec->traffic = 100;
    rec->running = 1;
    snprintf(rec->created_at, sizeof rec->created_at, "2026-01-01 00:00:00");
    CHECK_INT(expstore_insert(db_path, rec, err, sizeof err), 0);
    return rec;
}

static void test_what_stays(void)
{
    char err[512], got[128];
    struct modelstore_pruned p;
    for (int i = 1; i <= 6; i++)
        CHECK_INT(train_one(), i);
    CHECK_INT(modelstore_activate(db_path, 4, err, sizeof err), 0);
    CHECK_INT(modelstore_activate(db_path, 2, err, sizeof err), 0); /* log: 1..6, 4, 2 */
    struct exp_record *rec = experiment("pins", 1, 3);

    /* newest 2 (6, 5), the active 2, the experiment's 1 and 3: only 4 goes */
    CHECK_INT(modelprune_run(db_path, 2, &p, err, sizeof err), 0);
    CHECK_INT(p.n_removed, 1);
    CHECK_INT(p.n_removed == 1 ? p.removed[0] : 0, 4);
    CHECK_INT(p.kept, 5);
    modelstore_pruned_free(&p);
    versions(got, sizeof got);
    CHECK_STR(got, "1,2,3,5,6");
    CHECK_INT(query_int("SELECT COUNT(*) FROM model_parts WHERE version = 4"), 0);
    CHECK(query_int("SELECT COUNT(*) FROM model_parts WHERE version = 3") > 0);

    /* the experiment stopped: its versions are ordinary old ones */
    rec->running = 0;
    snprintf(rec->stopped_at, sizeof rec->stopped_at, "2026-01-02 00:00:00");
    CHECK_INT(expstore_update(db_path, rec, err, sizeof err), 0);
    free(rec);
    CHECK_INT(modelprune_run(db_path, 2, &p, err, sizeof err), 0);
    CHECK_INT(p.n_removed, 2);
    CHECK_INT(p.n_removed == 2 ? p.removed[0] * 10 + p.removed[1] : 0, 31); /* newest first */
    modelstore_pruned_free(&p);
    versions(got, sizeof got);
    CHECK_STR(got, "2,5,6");
    CHECK_INT(query_int("SELECT COUNT(*) FROM model_parts WHERE version IN (1, 3, 4)"), 0);

    /* rollback skips what is gone: 2 was activated after 4 (pruned), 4 after 6 */
    int64_t now = 0;
    CHECK_INT(modelstore_rollback(db_path, &now, err, sizeof err), 0);
    CHECK_INT(now, 6);
    CHECK_INT(modelstore_activate(db_path, 2, err, sizeof err), 0);
    CHECK_INT(modelstore_activate(db_path, 4, err, sizeof err), ERR_NOT_FOUND);

    /* nothing to do is not an error */
    CHECK_INT(modelprune_run(db_path, 10, &p, err, sizeof err), 0);
    CHECK_INT(p.n_removed, 0);
    CHECK_INT(p.kept, 3);
    modelstore_pruned_free(&p);
}

/* With a prune after every new version the file stops growing: the freed
 * pages hold the next versions. */
static void test_file_stops_growing(void)
{
    char err[512];
    struct modelstore_pruned p;
    long long pages[8];
    for (int i = 0; i < 8; i++) {
        CHECK(train_one() > 0);
        CHECK_INT(modelprune_run(db_path, 2, &p, err, sizeof err), 0);
        modelstore_pruned_free(&p);
        pages[i] = query_int("PRAGMA page_count");
    }
    CHECK(pages[7] > 0);
    CHECK(pages[7] <= pages[3]);
    /* train activates: the active version is the newest */
    CHECK_INT(query_int("SELECT COUNT(*) FROM models"), 2);
}

/* Another process deletes version v (a prune) while an activation of v is
 * checking its blob: the deletion holds the write lock, the activation
 * reads, then waits for the lock, then must see v gone. */
struct deleter {
    int64_t v;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int begun;
};

static void *delete_version(void *arg)
{
    struct deleter *d = arg;
    sqlite3 *db;
    char sql[160];
    sqlite3_open(db_path, &db);
    sqlite3_busy_timeout(db, 10000);
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE; DELETE FROM model_parts WHERE version = %lld;"
             " DELETE FROM models WHERE version = %lld;",
             (long long)d->v, (long long)d->v);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    pthread_mutex_lock(&d->mu);
    d->begun = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    struct timespec ts = {0, 300000000}; /* the activation reads meanwhile */
    nanosleep(&ts, NULL);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return NULL;
}

static void test_activation_racing_a_prune(void)
{
    char err[512];
    int64_t old = train_one(), active = train_one(), now = 0;
    struct deleter d = {.v = old, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    CHECK_INT(pthread_create(&t, NULL, delete_version, &d), 0);
    pthread_mutex_lock(&d.mu);
    while (!d.begun)
        pthread_cond_wait(&d.cv, &d.mu);
    pthread_mutex_unlock(&d.mu);
    CHECK_INT(modelstore_activate(db_path, old, err, sizeof err), ERR_NOT_FOUND);
    pthread_join(t, NULL);
    CHECK(strstr(err, "no model version") != NULL);
    modelstore_active_version(db_path, &now);
    CHECK_INT(now, active); /* still a version active, the one before */
}

/* An experiment naming a version no longer stored (pruned while its engines
 * loaded) is refused whole: no experiment row without its variants. */
static void test_experiment_on_a_pruned_version(void)
{
    char err[512];
    struct exp_record rec = {.n_variants = 2, .traffic = 100, .running = 1};
    snprintf(rec.name, sizeof rec.name, "gone");
    snprintf(rec.created_at, sizeof rec.created_at, "2026-01-01 00:00:00");
    snprintf(rec.v[0].name, sizeof rec.v[0].name, "A");
    snprintf(rec.v[1].name, sizeof rec.v[1].name, "B");
    rec.v[0].version = query_int("SELECT MAX(version) FROM models");
    rec.v[1].version = 4; /* pruned in test_what_stays */
    rec.v[0].share = rec.v[1].share = 50;
    CHECK_INT(expstore_insert(db_path, &rec, err, sizeof err), ERR_CONFLICT);
    CHECK(strstr(err, "variant B") && strstr(err, "no longer stored"));
    CHECK_INT(query_int("SELECT COUNT(*) FROM experiments WHERE name = 'gone'"), 0);
}

static void test_bad_input(void)
{
    char err[512];
    struct modelstore_pruned p;
    CHECK_INT(modelprune_run(db_path, 0, &p, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "keep") != NULL);
    CHECK_INT(modelprune_run("/nonexistent/dir/olist.db", 2, &p, err, sizeof err) < 0, 1);
    CHECK(strstr(err, "/nonexistent/dir/olist.db") != NULL);
    CHECK(p.removed == NULL && p.n_removed == 0);
}

int main(void)
{
    fixture_make_db();
    RUN(test_what_stays);
    RUN(test_file_stops_growing);
    RUN(test_activation_racing_a_prune);
    RUN(test_experiment_on_a_pruned_version);
    RUN(test_bad_input);
    fixture_remove();
    return TEST_SUMMARY();
}
