/* Wilson intervals and the paired bootstrap (see evalstats.h). */
#include "engine/evalstats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void evalstats_wilson(int64_t hits, int64_t n, double *lo, double *hi)
{
    *lo = *hi = 0;
    if (n <= 0)
        return;
    double z = EVALSTATS_Z95, z2 = z * z, nn = (double)n, p = (double)hits / nn;
    double denom = 1 + z2 / nn, centre = (p + z2 / (2 * nn)) / denom;
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
}

/* xorshift64*: small, fast, and the same sequence on every platform. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int evalstats_paired(const int8_t *a, const int8_t *b, const uint8_t *mask, int32_t n_users,
                     int resamples, uint64_t seed, struct evalstats_paired *out)
{
    memset(out, 0, sizeof *out);
    out->resamples = resamples;
    out->seed = seed;
    int64_t n = 0;
    for (int32_t u = 0; u < n_users; u++)
        n += a[u] >= 0 && b[u] >= 0 && (!mask || mask[u]);
    if (n == 0)
        return 0;
    int8_t *d = malloc((size_t)n);
    double *means = resamples > 0 ? malloc((size_t)resamples * sizeof *means) : NULL;
    if (!d || (resamples > 0 && !means)) {
        free(d), free(means);
        return -1;
    }
    int64_t j = 0;
    for (int32_t u = 0; u < n_users; u++) {
        if (a[u] < 0 || b[u] < 0 || (mask && !mask[u]))
            continue;
        out->a_only += a[u] && !b[u];
        out->b_only += !a[u] && b[u];
        out->both += a[u] && b[u];
        out->neither += !a[u] && !b[u];
        d[j++] = (int8_t)(a[u] - b[u]);
    }
    out->users = n;
    out->diff = (double)(out->a_only - out->b_only) / (double)n;
    uint64_t s = seed ? seed : 1;
    for (int r = 0; r < resamples; r++) {
        int64_t sum = 0;
        for (int64_t i = 0; i < n; i++)
            sum += d[next_rand(&s) % (uint64_t)n];
        means[r] = (double)sum / (double)n;
    }
    if (resamples > 0) {
        qsort(means, (size_t)resamples, sizeof *means, cmp_double);
        out->lo = means[(int)floor(0.025 * (resamples - 1))];
        out->hi = means[(int)ceil(0.975 * (resamples - 1))];
    }
    free(d), free(means);
    return 0;
}
