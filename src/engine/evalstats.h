/* Uncertainty of evaluation figures: the Wilson score interval of a rate,
 * and the paired comparison of two recommenders on the same test users
 * (who each one gains over the other, and a percentile bootstrap interval
 * of the hit-rate difference). Pure functions, deterministic for a seed. */
#ifndef RECSYS_ENGINE_EVALSTATS_H
#define RECSYS_ENGINE_EVALSTATS_H

#include <stdint.h>

#define EVALSTATS_Z95       1.959963984540054 /* two-sided 95% normal quantile */
#define EVALSTATS_RESAMPLES 1000
#define EVALSTATS_SEED      20180101u

/* 95% Wilson score interval of hits/n into [*lo, *hi] (both 0 when n <= 0).
 * Unlike the normal approximation it stays inside [0, 1] and is usable for
 * the small rates and the few hundred warm users of a month. */
void evalstats_wilson(int64_t hits, int64_t n, double *lo, double *hi);

struct evalstats_paired {
    int64_t users;          /* test users both were scored on */
    int64_t a_only, b_only; /* hit for one, miss for the other */
    int64_t both, neither;
    double diff;   /* hit rate of A minus hit rate of B */
    double lo, hi; /* 95% percentile bootstrap interval of diff */
    int resamples;
    uint64_t seed;
};

/* Compares per-user outcomes a[u], b[u] (-1 not a test user, 0 miss, 1 hit;
 * eval_window.user_hit) over the users where both are >= 0 and, when mask is
 * not NULL, mask[u] is non-zero. The bootstrap draws `resamples` samples of
 * those users with replacement from a xorshift generator seeded by seed, so
 * the interval is the same on every run. Returns 0, or -1 when out of
 * memory (out->users 0 is fine: everything is 0). */
int evalstats_paired(const int8_t *a, const int8_t *b, const uint8_t *mask, int32_t n_users,
                     int resamples, uint64_t seed, struct evalstats_paired *out);

#endif
