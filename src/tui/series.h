/* Fixed-size time series for the dashboard charts: a ring buffer of doubles
 * where NAN marks a missing sample (region down, no answer). Pure, no curses. */
#ifndef RECSYS_TUI_SERIES_H
#define RECSYS_TUI_SERIES_H

#include <stddef.h>

#define SERIES_CAP 600 /* 10 minutes at the default 1 s interval */

struct series {
    double v[SERIES_CAP];
    size_t head; /* index of the next write */
    size_t len;  /* samples held, <= SERIES_CAP */
};

void series_init(struct series *s);
/* Appends one sample, dropping the oldest when full. */
void series_push(struct series *s, double x);
/* Copies the newest min(n, len) samples, oldest first, into out; returns how many. */
size_t series_last(const struct series *s, double *out, size_t n);
/* The newest sample, or NAN when empty. */
double series_latest(const struct series *s);
/* Largest finite value among the newest n samples; 0 when there is none. */
double series_max(const struct series *s, size_t n);
/* Mean of the finite values among the newest n samples (NAN counts as 0 when
 * nan_as_zero, else it is skipped); NAN when nothing is averaged. */
double series_mean(const struct series *s, size_t n, int nan_as_zero);

#endif
