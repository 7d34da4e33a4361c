/* The periodic thread (util/periodic.h): it calls fn every interval, a kick
 * makes a call at once, a stop does not wait out a long interval and lets a
 * call in progress finish, PERIODIC_LAST_RUN adds one call at the stop,
 * PERIODIC_LOWPRIO runs fn on a thread at nice +19 and leaves the caller's.
 * Waits are polls with deadlines of many seconds: no assertion is tighter
 * than that, so a loaded machine slows the test down but does not fail it. */
#include "util/periodic.h"
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/error.h"
#include "util/lowprio.h"

#define DEADLINE 20.0 /* seconds: far beyond any expected wait */
#define HOUR     3600.0

struct counter {
    atomic_int calls;
    atomic_int hold;    /* while set, fn waits (a call in progress) */
    atomic_int entered; /* fn has started at least once */
};

static void count(void *arg)
{
    struct counter *c = arg;
    atomic_store(&c->entered, 1);
    while (atomic_load(&c->hold)) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&c->calls, 1);
}

/* Waits (up to DEADLINE) until *v reaches at least want; returns *v. */
static int wait_for(atomic_int *v, int want)
{
    double until = clock_monotonic() + DEADLINE;
    while (atomic_load(v) < want && clock_monotonic() < until) {
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(v);
}

/* A short interval: fn is called again and again, without a kick. */
static void test_runs_every_interval(void)
{
    struct counter c = {0};
    struct periodic *p = NULL;
    char err[128];
    CHECK_INT(periodic_start("test", 0.02, count, &c, 0, &p, err, sizeof err), 0);
    CHECK(wait_for(&c.calls, 3) >= 3);
    periodic_stop(p);
    int after = atomic_load(&c.calls);
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    CHECK_INT(atomic_load(&c.calls), after); /* nothing runs after the stop returned */
}

/* A kick makes a call long before the hour is up; the next call is an
 * interval after that one. */
static void test_kick(void)
{
    struct counter c = {0};
    struct periodic *p = NULL;
    char err[128];
    CHECK_INT(periodic_start("test", HOUR, count, &c, 0, &p, err, sizeof err), 0);
    CHECK(periodic_next_in(p) > HOUR - 60);
    CHECK_INT(atomic_load(&c.calls), 0);
    periodic_kick(p);
    CHECK_INT(wait_for(&c.calls, 1), 1);
    periodic_kick(p);
    CHECK_INT(wait_for(&c.calls, 2), 2);
    double left = -1;
    double until = clock_monotonic() + DEADLINE;
    while ((left = periodic_next_in(p)) < 0 && clock_monotonic() < until)
        ; /* the second call may still be returning */
    CHECK(left > HOUR - 60);
    periodic_stop(p);
    CHECK_INT(atomic_load(&c.calls), 2);
}

/* A stop wakes the thread at once: an hour's wait is not waited out, and
 * fn, never due, is never called. */
static void test_stop_is_prompt(void)
{
    struct counter c = {0};
    struct periodic *p = NULL;
    char err[128];
    CHECK_INT(periodic_start("test", HOUR, count, &c, 0, &p, err, sizeof err), 0);
    double t0 = clock_monotonic();
    periodic_stop(p);
    CHECK(clock_monotonic() - t0 < DEADLINE);
    CHECK_INT(atomic_load(&c.calls), 0);
}

static void *stopper(void *arg)
{
    periodic_stop(arg);
    return NULL;
}

/* A call in progress: next_in says -1, a kick meanwhile makes one more call
 * right after it, and a stop waits for it to finish. */
static void test_call_in_progress(void)
{
    struct counter c = {0};
    struct periodic *p = NULL;
    char err[128];
    atomic_store(&c.hold, 1);
    CHECK_INT(periodic_start("test", HOUR, count, &c, 0, &p, err, sizeof err), 0);
    periodic_kick(p);
    CHECK_INT(wait_for(&c.entered, 1), 1);
    CHECK(periodic_next_in(p) == -1);
    periodic_kick(p); /* while running: once more, right after */
    atomic_store(&c.hold, 0);
    CHECK_INT(wait_for(&c.calls, 2), 2);
    /* a stop during a call returns only once the call has */
    atomic_store(&c.hold, 1);
    atomic_store(&c.entered, 0);
    periodic_kick(p);
    CHECK_INT(wait_for(&c.entered, 1), 1);
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, stopper, p), 0);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    CHECK_INT(atomic_load(&c.calls), 2); /* still held: the stop is waiting */
    atomic_store(&c.hold, 0);
    pthread_join(th, NULL);
    CHECK_INT(atomic_load(&c.calls), 3);
}

/* PERIODIC_LAST_RUN: one call at the stop, even when none was due. */
static void test_last_run(void)
{
    struct counter c = {0};
    struct periodic *p = NULL;
    char err[128];
    CHECK_INT(periodic_start("test", HOUR, count, &c, PERIODIC_LAST_RUN, &p, err, sizeof err), 0);
    periodic_stop(p);
    CHECK_INT(atomic_load(&c.calls), 1);
}

static void test_bad_interval(void)
{
    struct counter c = {0};
    struct periodic *p = (struct periodic *)&c;
    char err[128] = "";
    CHECK_INT(periodic_start("poller", 0, count, &c, 0, &p, err, sizeof err), ERR_INVALID);
    CHECK(p == NULL);
    CHECK(strstr(err, "poller interval") != NULL);
    periodic_stop(NULL); /* no-op */
}

struct seen_nice {
    atomic_int calls;
    atomic_int nice;
};

static void record_nice(void *arg)
{
    struct seen_nice *s = arg;
    errno = 0;
    atomic_store(&s->nice, getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)));
    atomic_fetch_add(&s->calls, 1);
}

/* fn runs at the background priority with the flag, at the caller's without. */
static void test_lowprio(void)
{
    int flags[2] = {0, PERIODIC_LOWPRIO};
    int mine = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
    if (mine >= LOWPRIO_NICE) {
        printf("# skip: the test runs at nice %d already, nothing is below it\n", mine);
        return;
    }
    for (int i = 0; i < 2; i++) {
        struct seen_nice s = {0, -100};
        struct periodic *p = NULL;
        char err[128];
        CHECK_INT(periodic_start("test", HOUR, record_nice, &s, flags[i], &p, err, sizeof err), 0);
        periodic_kick(p);
        CHECK_INT(wait_for(&s.calls, 1), 1);
        periodic_stop(p);
        CHECK_INT(atomic_load(&s.nice), i ? LOWPRIO_NICE : mine);
    }
    CHECK_INT(getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)), mine);
}

int main(void)
{
    RUN(test_runs_every_interval);
    RUN(test_kick);
    RUN(test_stop_is_prompt);
    RUN(test_call_in_progress);
    RUN(test_last_run);
    RUN(test_bad_interval);
    RUN(test_lowprio);
    return TEST_SUMMARY();
}
