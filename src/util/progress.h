/* Progress lines on stderr for long work (ingest, training).
 * Shown only when stderr is a terminal and the user did not ask for quiet;
 * otherwise every call is a no-op, so callers never test for it. */
#ifndef RECSYS_UTIL_PROGRESS_H
#define RECSYS_UTIL_PROGRESS_H

#include <stdint.h>

struct progress {
    int enabled;
    const char *label;
    uint64_t total; /* 0 when unknown: no percentage shown */
    uint64_t done;
    uint64_t items; /* rows, users, iterations: what the rate counts */
    double started; /* monotonic seconds */
    double last_draw;
};

/* Process-wide switch, set once by the command layer from --quiet. */
void progress_set_quiet(int quiet);

void progress_begin(struct progress *p, const char *label, uint64_t total);
/* Redraws at most 10 times a second. */
void progress_update(struct progress *p, uint64_t done, uint64_t items);
/* Final line with item count, elapsed time and rate; ends the line. */
void progress_end(struct progress *p);

#endif
