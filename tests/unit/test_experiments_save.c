/* The experiments' periodic save (net/exp.c exp_autosave_start, through
 * net/expstore.c expstore_save_counters) on a real database file: the
 * counters and users sketch of a running experiment reach the table within
 * the interval while the registry lives (what a kill -9 leaves), a second
 * registry loading them sees those absolute values and counts on from them;
 * nothing is written while the counts stand still; a stopped experiment's
 * later counts are saved without marking it running again; serving threads
 * counting while the thread saves (the TSan build checks the reads). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine_fixture.h"
#include "exp_fixture.h"
#include "net/exp.h"
#include "net/expstats.h"
#include "net/expstore.h"
#include "util/error.h"
#include "util/sbuf.h"
#include "test.h"

#define EVERY 0.02 /* seconds: the test's autosave interval */

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Serves user i one list in variant v of rec (the product: PHONE's id). */
static void serve(struct experiments *x, struct exp_record *rec, int v, int i)
{
    char uid[33], list[128], pid[33];
    struct sbuf b;
    struct exp_pick p = {.rec = rec, .variant = v};
    uid_of(uid, i);
    id(pid, 0xB000, 1);
    snprintf(list, sizeof list, "\"recommendations\":[{\"rank\":1,\"product_id\":\"%s\"}]", pid);
    sbuf_init(&b, 1 << 12);
    exp_served(x, &p, "us-west", uid, list, strlen(list), 1.0, &b);
    sbuf_free(&b);
}

/* User i clicks the product of its last list. */
static void click(struct experiments *x, int i)
{
    struct feedback_event e;
    memset(&e, 0, sizeof e);
    uid_of(e.user_id, i);
    id(e.product_id, 0xB000, 1);
    e.type = FEEDBACK_CLICK;
    exp_on_events(x, &e, 1);
}

/* Column col of experiment name's variant v in the table (-1: no row). */
static long long stored(const char *name, int v, const char *col)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    char sql[256];
    long long n = -1;
    snprintf(sql, sizeof sql,
             "SELECT v.%s FROM experiment_variants v JOIN experiments e"
             " ON e.id = v.experiment_id WHERE e.name = ?1 AND v.idx = ?2",
             col);
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_busy_timeout(db, 2000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, v);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

/* Waits up to 5 s for the table's col of name/v to reach want. */
static long long wait_stored(const char *name, int v, const char *col, long long want)
{
    long long n = -1;
    for (int k = 0; k < 500 && (n = stored(name, v, col)) != want; k++)
        sleep_s(0.01);
    return n;
}

/* The table's running flag of experiment name. */
static long long running_of(const char *name)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long r = -1;
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
    if (sqlite3_prepare_v2(db, "SELECT running FROM experiments WHERE name = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            r = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return r;
}

/* The counters reach the table while the registry lives; a second registry
 * loading the table (a restart after a kill -9: the first is never
 * closed before it reads) starts from those absolute values and counts on,
 * without counting the saved ones twice. */
static void test_saved_while_serving(void)
{
    struct experiments *x, *y;
    char err[512];
    CHECK_INT(exp_new(db_path, &x, err, sizeof err), 0);
    struct exp_record *rec = start(x, "periodic", 100);
    CHECK_INT(exp_autosave_start(x, EVERY, err, sizeof err), 0);
    for (int i = 0; i < 300; i++)
        serve(x, rec, i % 2, i);
    for (int i = 0; i < 40; i += 2)
        click(x, i); /* variant A's users */
    CHECK_INT(wait_stored("periodic", 0, "impressions", 150), 150);
    CHECK_INT(wait_stored("periodic", 1, "impressions", 150), 150);
    CHECK_INT(wait_stored("periodic", 0, "clicks", 20), 20);
    CHECK_INT(stored("periodic", 0, "lists_clicked"), 20);
    CHECK_INT(stored("periodic", 0, "users IS NOT NULL"), 1);

    CHECK_INT(exp_new(db_path, &y, err, sizeof err), 0);
    CHECK_INT(exp_load(y, base, err, sizeof err), 0);
    pthread_mutex_lock(&y->mu);
    struct exp_record *again = exp_find(y, "periodic", 8);
    pthread_mutex_unlock(&y->mu);
    CHECK(again != NULL);
    if (again) {
        CHECK_INT(again->running, 1);
        CHECK_INT(atomic_load(&again->v[0].c.impressions), 150);
        CHECK_INT(atomic_load(&again->v[0].c.clicks), 20);
        CHECK_INT(atomic_load(&again->v[1].c.impressions), 150);
        CHECK_NEAR(expstats_hll_estimate(again->v[0].c.users), 150, 3);
        CHECK_INT(exp_autosave_start(y, EVERY, err, sizeof err), 0);
        for (int i = 300; i < 310; i++)
            serve(y, again, 0, i);
        CHECK_INT(wait_stored("periodic", 0, "impressions", 160), 160);
        sleep_s(10 * EVERY); /* saves repeated, nothing moved: still 160 */
        CHECK_INT(stored("periodic", 0, "impressions"), 160);
        CHECK_NEAR(expstats_hll_estimate(again->v[0].c.users), 160, 3);
    }
    exp_close(y);
    exp_close(x); /* writes its own (older) counts at exit: the test's end */
}

/* PRAGMA data_version of a connection kept open: it moves when another
 * connection commits to the file. */
static long long data_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return v;
}

/* An idle registry writes nothing (a loaded one neither: its counts are the
 * table's); one count more is one commit. */
static void test_idle_writes_nothing(void)
{
    struct experiments *x;
    sqlite3 *db;
    char err[512];
    CHECK_INT(exp_new(db_path, &x, err, sizeof err), 0);
    CHECK_INT(exp_load(x, base, err, sizeof err), 0);
    pthread_mutex_lock(&x->mu);
    struct exp_record *rec = exp_find(x, "periodic", 8);
    pthread_mutex_unlock(&x->mu);
    CHECK(rec != NULL);
    CHECK_INT(exp_autosave_start(x, EVERY, err, sizeof err), 0);
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
    long long v0 = data_version(db);
    sleep_s(15 * EVERY);
    CHECK_INT(data_version(db), v0);
    if (rec) {
        long long n = stored("periodic", 1, "impressions");
        serve(x, rec, 1, 999);
        CHECK_INT(wait_stored("periodic", 1, "impressions", n + 1), n + 1);
        sleep_s(15 * EVERY);
        CHECK_INT(data_version(db), v0 + 1);
    }
    sqlite3_close(db);
    exp_close(x);
}

/* Stopped (status saved by exp_save), then a click on one of its lists: the
 * autosave writes the count and the table still says stopped. */
static void test_stopped_stays_stopped(void)
{
    struct experiments *x;
    char err[512];
    CHECK_INT(exp_new(db_path, &x, err, sizeof err), 0);
    struct exp_record *rec = start(x, "stopped", 100);
    CHECK_INT(exp_autosave_start(x, EVERY, err, sizeof err), 0);
    serve(x, rec, 0, 7);
    CHECK_INT(wait_stored("stopped", 0, "impressions", 1), 1);
    CHECK_INT(running_of("stopped"), 1);
    exp_stop(x, rec, NULL);
    CHECK_INT(exp_save(x, rec, err, sizeof err), 0);
    CHECK_INT(running_of("stopped"), 0);
    click(x, 7); /* its list is still attributed */
    CHECK_INT(wait_stored("stopped", 0, "clicks", 1), 1);
    CHECK_INT(running_of("stopped"), 0);
    exp_close(x);
    CHECK_INT(running_of("stopped"), 0);
}

struct race {
    struct experiments *x;
    struct exp_record *rec;
    int from;
};

static void *race_serve(void *arg)
{
    struct race *r = arg;
    for (int k = 0; k < 3000; k++) {
        serve(r->x, r->rec, k % 2, r->from + k % 500);
        if (k % 3 == 0)
            click(r->x, r->from + k % 500);
    }
    return NULL;
}

/* Two threads count while the thread saves every millisecond; after they
 * end, the table gets the final totals. */
static void test_saves_while_counting(void)
{
    struct experiments *x;
    char err[512];
    CHECK_INT(exp_new(db_path, &x, err, sizeof err), 0);
    struct exp_record *rec = start(x, "race", 100);
    CHECK_INT(exp_autosave_start(x, 0.001, err, sizeof err), 0);
    struct race r1 = {x, rec, 0}, r2 = {x, rec, 1000};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, race_serve, &r1);
    pthread_create(&t2, NULL, race_serve, &r2);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK_INT(wait_stored("race", 0, "impressions", 3000), 3000);
    CHECK_INT(wait_stored("race", 1, "impressions", 3000), 3000);
    long long clicks =
        (long long)(atomic_load(&rec->v[0].c.clicks) + atomic_load(&rec->v[1].c.clicks));
    CHECK(clicks > 0);
    CHECK_INT(wait_stored("race", 0, "clicks", (long long)atomic_load(&rec->v[0].c.clicks)),
              (long long)atomic_load(&rec->v[0].c.clicks));
    exp_close(x);
}

int main(void)
{
    setup();
    RUN(test_saved_while_serving);
    RUN(test_idle_writes_nothing);
    RUN(test_stopped_stays_stopped);
    RUN(test_saves_while_counting);
    engine_release(base);
    fixture_remove();
    return TEST_SUMMARY();
}
