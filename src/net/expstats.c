/* A/B experiment arithmetic (see expstats.h). */
#include "net/expstats.h"

#include <math.h>

uint64_t expstats_hash(const char *salt, const char *key)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)salt; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    h = (h ^ 0) * 0x100000001b3ull; /* separator: ("ab","c") is not ("a","bc") */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h;
}

/* splitmix64's finaliser: FNV-1a's low bits follow the last bytes closely. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

int expstats_bucket(const char *salt, const char *key)
{
    return (int)(mix(expstats_hash(salt, key)) % 100u);
}

int expstats_pick(int bucket, const int *shares, int n)
{
    int upto = 0;
    for (int i = 0; i < n; i++) {
        upto += shares[i];
        if (bucket < upto)
            return i;
    }
    return -1;
}

double expstats_two_sided_p(double z)
{
    return erfc(fabs(z) / sqrt(2.0));
}

int expstats_wilson(uint64_t x, uint64_t n, double *lo, double *hi)
{
    *lo = 0;
    *hi = 1;
    if (n == 0)
        return -1;
    if (x > n)
        x = n;
    double nn = (double)n, p = (double)x / nn, z2 = EXPSTATS_Z95 * EXPSTATS_Z95;
    double den = 1 + z2 / nn;
    double centre = (p + z2 / (2 * nn)) / den;
    double half = EXPSTATS_Z95 * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / den;
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
    return 0;
}

int expstats_ztest(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double *z, double *p)
{
    *z = 0;
    *p = 1;
    if (n1 == 0 || n2 == 0)
        return -1;
    if (x1 > n1)
        x1 = n1;
    if (x2 > n2)
        x2 = n2;
    double a = (double)n1, b = (double)n2;
    double pool = ((double)x1 + (double)x2) / (a + b);
    double se = sqrt(pool * (1 - pool) * (1 / a + 1 / b));
    if (!(se > 0))
        return -1;
    *z = ((double)x1 / a - (double)x2 / b) / se;
    *p = expstats_two_sided_p(*z);
    return 0;
}

int expstats_hll_add(uint8_t *reg, uint64_t hash)
{
    uint64_t h = mix(hash);
    unsigned idx = (unsigned)(h >> (64 - EXPSTATS_HLL_P));
    uint64_t rest = h << EXPSTATS_HLL_P;
    uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - EXPSTATS_HLL_P + 1);
    uint8_t cur = __atomic_load_n(&reg[idx], __ATOMIC_RELAXED);
    while (rank > cur)
        if (__atomic_compare_exchange_n(&reg[idx], &cur, rank, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return 1;
    return 0;
}

double expstats_hll_estimate(const uint8_t *reg)
{
    double m = EXPSTATS_HLL_M, sum = 0;
    unsigned zeros = 0;
    for (unsigned i = 0; i < EXPSTATS_HLL_M; i++) {
        uint8_t r = __atomic_load_n(&reg[i], __ATOMIC_RELAXED);
        sum += ldexp(1.0, -(int)r);
        zeros += r == 0;
    }
    double alpha = 0.7213 / (1 + 1.079 / m);
    double e = alpha * m * m / sum;
    if (e <= 2.5 * m && zeros)
        e = m * log(m / zeros); /* linear counting: far more exact for small sets */
    return e;
}
