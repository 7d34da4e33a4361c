/* A background thread that calls fn(arg) every interval: the shape of the
 * server's periodic jobs (the model store poller, scheduled retraining).
 * It waits on a condition variable bound to CLOCK_MONOTONIC (the clock of
 * clock_monotonic()), so setting the wall clock neither skips nor repeats
 * a call; periodic_kick wakes it early and periodic_stop ends it without
 * waiting out the interval. fn runs outside the helper's lock. */
#ifndef RECSYS_UTIL_PERIODIC_H
#define RECSYS_UTIL_PERIODIC_H

#include <stddef.h>

/* periodic_start flags: call fn once more when stopped (a last flush); run
 * the thread at background priority (util/lowprio.h: heavy work that must
 * not take CPU from the event loops). */
#define PERIODIC_LAST_RUN 1
#define PERIODIC_LOWPRIO  2

struct periodic;

/* Starts the thread, with every signal blocked in it (signals are for the
 * main thread). The first call is interval_s after the start, each next one
 * interval_s after the previous call returned: never back to back. name
 * says what the thread is for its error ("cannot start the <name> thread").
 * 0 with *out set; ERR_INVALID for interval_s <= 0, ERR_NOMEM, or ERR_FAIL,
 * with err. */
int periodic_start(const char *name, double interval_s, void (*fn)(void *arg), void *arg, int flags,
                   struct periodic **out, char *err, size_t errlen);

/* Makes the next call now: at once when waiting, right after the call in
 * progress otherwise. Thread-safe; not after periodic_stop. */
void periodic_kick(struct periodic *p);

/* Seconds until the next call (0 when due, or kicked), -1 while fn runs.
 * Thread-safe. */
double periodic_next_in(struct periodic *p);

/* Stops the thread: wakes it, lets a call in progress finish (then with
 * PERIODIC_LAST_RUN calls fn once more), joins it and frees p. Never from
 * fn itself. NULL is fine. */
void periodic_stop(struct periodic *p);

#endif
