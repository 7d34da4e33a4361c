/* Time for intervals and timeouts. Everything that measures a duration, a
 * deadline or a rate uses clock_monotonic(): it never steps back when the wall
 * clock is set (curl's TIME-KEEPING notes why). The wall clock is only for
 * timestamps people read, and those are formatted where they are shown. */
#ifndef RECSYS_UTIL_CLOCK_H
#define RECSYS_UTIL_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double clock_monotonic(void);

#endif
