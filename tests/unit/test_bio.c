/* The background job thread (net/bio.c) on the tiny shop of the engine
 * tests: reload, activate, rollback and their failures as the process's
 * engine sees them; results delivered on the asking loop's thread (and
 * never before its loop runs); the queue's bound; a stop that finishes what
 * was queued. Run under TSan in CI (the jobs cross threads). */
#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "net/api.h"
#include "net/bio.h"
#include "net/inbox.h"
#include "net/evloop.h"
#include "util/error.h"
#include "test.h"
#include "util/lowprio.h"

static struct api_shared sh;

static int64_t serving_version(void)
{
    struct engine_info info;
    pthread_mutex_lock(&sh.engine_mu);
    engine_get_info(sh.engine, &info);
    pthread_mutex_unlock(&sh.engine_mu);
    return info.version;
}

static long long sql_int(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open(db_path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Versions 1 (popularity) and 2 (hybrid, active); the process's engine on 2. */
static void setup(void)
{
    char err[512];
    int64_t v = 0;
    struct train_options o = {.db_path = db_path, .algo = "popularity", .quiet = 1};
    fixture_make_db();
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    o.algo = "hybrid";
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    snprintf(sh.db_path, sizeof sh.db_path, "%s", db_path);
    pthread_mutex_init(&sh.engine_mu, NULL);
    CHECK_INT(engine_open(db_path, &sh.engine, err, sizeof err), 0);
    atomic_store(&sh.engine_gen, 1);
}

static void test_reload_swaps_the_engine(void)
{
    struct bio *b;
    struct bio_result res;
    char err[256];
    CHECK_INT(bio_start(&sh, &b, err, sizeof err), 0);
    struct engine *old = sh.engine;
    CHECK_INT(bio_run(b, BIO_RELOAD, 0, &res), 0);
    CHECK_INT(res.reloaded, 1);
    CHECK_INT(res.active, 2);
    CHECK(sh.engine != old); /* a new engine, built aside */
    CHECK_INT(atomic_load(&sh.engine_gen), 2);
    bio_stop(b);
}

/* Activating the version already active and served writes nothing and
 * reloads nothing: the same engine, the same generation, no log row. */
static void test_activate_the_active_version_costs_nothing(void)
{
    struct bio *b;
    struct bio_result res;
    char err[256];
    CHECK_INT(bio_start(&sh, &b, err, sizeof err), 0);
    struct engine *e = sh.engine;
    uint64_t gen = atomic_load(&sh.engine_gen);
    long long logged = sql_int("SELECT COUNT(*) FROM model_activations");
    CHECK_INT(bio_run(b, BIO_ACTIVATE, 2, &res), 0);
    CHECK_INT(res.changed, 0);
    CHECK_INT(res.reloaded, 1);
    CHECK_INT(res.active, 2);
    CHECK(sh.engine == e);
    CHECK_INT(atomic_load(&sh.engine_gen), gen);
    CHECK_INT(sql_int("SELECT COUNT(*) FROM model_activations"), logged);
    bio_stop(b);
}

static void test_activate_and_rollback(void)
{
    struct bio *b;
    struct bio_result res;
    char err[256];
    CHECK_INT(bio_start(&sh, &b, err, sizeof err), 0);
    uint64_t gen = atomic_load(&sh.engine_gen);
    CHECK_INT(bio_run(b, BIO_ACTIVATE, 1, &res), 0);
    CHECK_INT(res.changed, 1);
    CHECK_INT(res.reloaded, 1);
    CHECK_INT(res.active, 1);
    CHECK_INT(serving_version(), 1);
    CHECK_INT(sql_int("SELECT version FROM models WHERE active = 1"), 1);
    CHECK_INT(atomic_load(&sh.engine_gen), gen + 1);
    CHECK_INT(bio_run(b, BIO_ROLLBACK, 0, &res), 0);
    CHECK_INT(res.active, 2);
    CHECK_INT(res.reloaded, 1);
    CHECK_INT(serving_version(), 2);
    bio_stop(b);
}

/* A failed model-store step changes nothing: not the database, not the
 * engine. A corrupt blob is ERR_CORRUPT (HTTP 409). */
static void test_failures_change_nothing(void)
{
    struct bio *b;
    struct bio_result res;
    char err[256], sql[200];
    CHECK_INT(bio_start(&sh, &b, err, sizeof err), 0);
    struct engine *e = sh.engine;
    uint64_t gen = atomic_load(&sh.engine_gen);
    CHECK_INT(bio_run(b, BIO_ACTIVATE, 99, &res), ERR_NOT_FOUND);
    CHECK(strstr(res.err, "99") != NULL);
    sqlite3 *db = NULL;
    sqlite3_open(db_path, &db);
    snprintf(sql, sizeof sql,
             "UPDATE model_parts SET blob = zeroblob(length(blob)) WHERE version = 1");
    exec(db, sql);
    sqlite3_close(db);
    CHECK_INT(bio_run(b, BIO_ACTIVATE, 1, &res), ERR_CORRUPT);
    CHECK(strstr(res.err, "sha256") != NULL);
    CHECK(sh.engine == e);
    CHECK_INT(atomic_load(&sh.engine_gen), gen);
    CHECK_INT(sql_int("SELECT version FROM models WHERE active = 1"), 2);
    CHECK_INT(bio_run(NULL, BIO_RELOAD, 0, &res), ERR_BUSY); /* no thread */
    CHECK(res.err[0] != 0);
    bio_stop(b);
}

struct seen {
    atomic_int calls;
    pthread_t thread;
    struct bio_result res;
};

static void record(void *arg, const struct bio_result *res)
{
    struct seen *s = arg;
    s->thread = pthread_self();
    s->res = *res;
    atomic_fetch_add(&s->calls, 1);
}

/* A result comes back through the inbox: its done runs when the loop
 * dispatches the inbox's event, on the loop's thread, not before. */
static void test_inbox_delivers_on_the_loop(void)
{
    struct bio *b;
    struct inbox *ib;
    struct seen s = {0};
    struct epoll_event evs[4];
    char err[256];
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    CHECK_INT(bio_start(&sh, &b, err, sizeof err), 0);
    CHECK_INT(bio_inbox_new(epfd, &ib, err, sizeof err), 0);
    CHECK_INT(bio_submit(b, BIO_ACTIVATE, 2, "us-west", ib, record, &s), 0);
    int n = epoll_wait(epfd, evs, 4, 10000);
    CHECK_INT(n, 1);
    CHECK_INT(atomic_load(&s.calls), 0); /* finished, but the loop has not run it */
    evloop_dispatch(evs, n, 0);
    CHECK_INT(atomic_load(&s.calls), 1);
    CHECK(pthread_equal(s.thread, pthread_self()));
    CHECK_INT(s.res.rc, 0);
    CHECK_INT(s.res.active, 2);
    /* the models list is read there too, and handed over the same way */
    CHECK_INT(bio_submit(b, BIO_LIST, 0, NULL, ib, record, &s), 0);
    CHECK_INT(epoll_wait(epfd, evs, 4, 10000), 1);
    evloop_dispatch(evs, 1, 0);
    CHECK_INT(atomic_load(&s.calls), 2);
    CHECK_INT(s.res.rc, 0);
    CHECK_INT(s.res.list.n, 2);
    CHECK_INT(s.res.list.active, 2);
    /* a result nobody dispatched: freeing the inbox runs its done once */
    CHECK_INT(bio_submit(b, BIO_ACTIVATE, 2, NULL, ib, record, &s), 0);
    CHECK_INT(epoll_wait(epfd, evs, 4, 10000), 1);
    bio_stop(b);
    inbox_free(ib);
    CHECK_INT(atomic_load(&s.calls), 3);
    close(epfd);
}

static atomic_int counted;

static void count(void *arg, const struct bio_result *res)
{
    (void)arg;
    (void)res;
    atomic_fetch_add(&counted, 1);
}

/* At most BIO_QUEUE_MAX jobs wait: one more is ERR_BUSY (HTTP 503), and
 * those accepted all run. The worker is held in its first job by the engine
 * lock the test holds. */
static void test_queue_is_bounded(void)
{
    struct bio *b;
    char err[256];
    int accepted = 0, busy = 0, total = BIO_QUEUE_MAX + 3;
    atomic_store(&counted, 0);
    CHECK_INT(bio_start(&sh, &b, err, sizeof err), 0);
    pthread_mutex_lock(&sh.engine_mu);
    for (int k = 0; k < total; k++) {
        int rc = bio_submit(b, BIO_ACTIVATE, 2, NULL, NULL, count, NULL);
        accepted += rc == 0;
        busy += rc == ERR_BUSY;
    }
    pthread_mutex_unlock(&sh.engine_mu);
    CHECK(busy >= 1);
    CHECK_INT(accepted + busy, total);
    CHECK(accepted <= BIO_QUEUE_MAX + 1);
    bio_stop(b); /* runs every accepted job first */
    CHECK_INT(atomic_load(&counted), accepted);
}

/* bio_release drops a reference on the bio thread, or here without one
 * (ASan checks that each reference is dropped exactly once). */
static void test_release(void)
{
    struct bio *b;
    struct bio_result res;
    char err[256];
    CHECK_INT(bio_start(&sh, &b, err, sizeof err), 0);
    engine_retain(sh.engine);
    bio_release(b, sh.engine);
    engine_retain(sh.engine);
    bio_release(NULL, sh.engine);
    bio_release(b, NULL);
    CHECK_INT(bio_run(b, BIO_RELOAD, 0, &res), 0); /* after the release, in order */
    bio_stop(b);
}

/* Threads of this process whose nice value is `nice` (/proc/self/task). */
static int threads_at_nice(int nice)
{
    char path[300], line[1024];
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *t;
    while (d && (t = readdir(d))) {
        if (t->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", t->d_name);
        FILE *f = fopen(path, "r");
        if (f && fgets(line, sizeof line, f)) {
            /* after "(comm)" the state is field 3 and the nice value field 19 */
            const char *p = strrchr(line, ')');
            int field = 2, v = 0;
            for (; p && *p && field < 19; p++)
                if (*p == ' ')
                    field++;
            if (p && sscanf(p, "%d", &v) == 1 && v == nice)
                n++;
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return n;
}

/* The job thread runs below the loops (nice +19): a model load does not hold
 * a core a loop is waiting for. */
static void test_thread_runs_below_the_loops(void)
{
    struct bio *b;
    struct bio_result res;
    char err[256];
    int mine = getpriority(PRIO_PROCESS, 0); /* not 0 under `nice make test` */
    if (mine >= LOWPRIO_NICE) {
        printf("# skip: the test runs at nice %d already, nothing is below it\n", mine);
        bio_start(&sh, &b, err, sizeof err);
        bio_stop(b);
        return;
    }
    int before = threads_at_nice(LOWPRIO_NICE);
    CHECK_INT(bio_start(&sh, &b, err, sizeof err), 0);
    CHECK_INT(bio_run(b, BIO_RELOAD, 0, &res), 0); /* the thread is running */
    CHECK_INT(threads_at_nice(LOWPRIO_NICE), before + 1);
    CHECK_INT(getpriority(PRIO_PROCESS, 0), mine); /* this thread is untouched */
    bio_stop(b);
}

int main(void)
{
    setup();
    RUN(test_reload_swaps_the_engine);
    RUN(test_activate_the_active_version_costs_nothing);
    RUN(test_activate_and_rollback);
    RUN(test_inbox_delivers_on_the_loop);
    RUN(test_queue_is_bounded);
    RUN(test_release);
    RUN(test_failures_change_nothing);
    RUN(test_thread_runs_below_the_loops);
    engine_release(sh.engine);
    pthread_mutex_destroy(&sh.engine_mu);
    fixture_remove();
    return TEST_SUMMARY();
}
