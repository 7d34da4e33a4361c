/* The periodic thread (see periodic.h). */
#include "util/periodic.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"
#include "util/error.h"
#include "util/lowprio.h"

struct periodic {
    void (*fn)(void *arg);
    void *arg;
    double interval;
    int flags;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    /* Under mu: */
    int stopping, kicked, running;
    double next; /* clock_monotonic() of the next call */
};

static void *periodic_main(void *arg)
{
    struct periodic *p = arg;
    if (p->flags & PERIODIC_LOWPRIO)
        lowprio_this_thread();
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        double at = p->next;
        if (!p->kicked && clock_monotonic() < at) {
            /* a wakeup (kick, stop or spurious) goes round the loop again */
            struct timespec ts = {(time_t)at, (long)((at - (double)(time_t)at) * 1e9)};
            pthread_cond_timedwait(&p->cv, &p->mu, &ts);
            continue;
        }
        p->kicked = 0;
        p->running = 1;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->arg);
        pthread_mutex_lock(&p->mu);
        p->running = 0;
        p->next = clock_monotonic() + p->interval;
    }
    pthread_mutex_unlock(&p->mu);
    if (p->flags & PERIODIC_LAST_RUN)
        p->fn(p->arg);
    return NULL;
}

int periodic_start(const char *name, double interval_s, void (*fn)(void *arg), void *arg, int flags,
                   struct periodic **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!(interval_s > 0))
        return err_code_set(err, errlen, ERR_INVALID, "the %s interval must be positive (%g)", name,
                            interval_s);
    struct periodic *p = calloc(1, sizeof *p);
    if (!p)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    p->fn = fn;
    p->arg = arg;
    p->interval = interval_s;
    p->flags = flags;
    p->next = clock_monotonic() + interval_s;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits the mask */
    int rc = pthread_create(&p->th, NULL, periodic_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return err_set(err, errlen, "cannot start the %s thread", name);
    }
    *out = p;
    return 0;
}

void periodic_kick(struct periodic *p)
{
    pthread_mutex_lock(&p->mu);
    p->kicked = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

double periodic_next_in(struct periodic *p)
{
    double left = 0, now = clock_monotonic();
    pthread_mutex_lock(&p->mu);
    if (p->running)
        left = -1;
    else if (!p->kicked && p->next > now)
        left = p->next - now;
    pthread_mutex_unlock(&p->mu);
    return left;
}

void periodic_stop(struct periodic *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->th, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
