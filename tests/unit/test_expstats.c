/* A/B experiment arithmetic (net/expstats.c) against known values: Wilson
 * intervals from Newcombe (1998), z-tests computed by hand, assignment
 * that is sticky and splits evenly, and the HyperLogLog's accuracy. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/expstats.h"
#include "test.h"

static void test_wilson_known_values(void)
{
    double lo, hi;
    CHECK_INT(expstats_wilson(10, 100, &lo, &hi), 0); /* Newcombe 1998, method 3 */
    CHECK_NEAR(lo, 0.0552, 5e-5);
    CHECK_NEAR(hi, 0.1744, 5e-5);
    CHECK_INT(expstats_wilson(0, 10, &lo, &hi), 0);
    CHECK_NEAR(lo, 0.0, 1e-12);
    CHECK_NEAR(hi, 0.2775, 5e-5);
    CHECK_INT(expstats_wilson(50, 100, &lo, &hi), 0);
    CHECK_NEAR(lo, 0.4038, 5e-5);
    CHECK_NEAR(hi, 0.5962, 5e-5);
    CHECK_INT(expstats_wilson(10, 10, &lo, &hi), 0); /* symmetric to 0/10 */
    CHECK_NEAR(lo, 1 - 0.2775, 5e-5);
    CHECK_NEAR(hi, 1.0, 1e-12);
    CHECK_INT(expstats_wilson(12, 10, &lo, &hi), 0); /* successes clamp to trials */
    CHECK_NEAR(hi, 1.0, 1e-12);
    CHECK_INT(expstats_wilson(0, 0, &lo, &hi), -1);
    CHECK_NEAR(lo, 0.0, 0);
    CHECK_NEAR(hi, 1.0, 0);
}

static void test_ztest_known_values(void)
{
    double z, p;
    /* 50/100 vs 30/100: pooled 0.4, se sqrt(0.4*0.6*0.02) */
    CHECK_INT(expstats_ztest(50, 100, 30, 100, &z, &p), 0);
    CHECK_NEAR(z, 2.886751, 1e-6);
    CHECK_NEAR(p, 0.0038924, 1e-7);
    CHECK_INT(expstats_ztest(30, 100, 50, 100, &z, &p), 0); /* sign flips, p does not */
    CHECK_NEAR(z, -2.886751, 1e-6);
    CHECK_NEAR(p, 0.0038924, 1e-7);
    CHECK_INT(expstats_ztest(120, 1000, 100, 1000, &z, &p), 0);
    CHECK_NEAR(z, 1.429301, 1e-6);
    CHECK_NEAR(p, 0.152918, 1e-6);
    CHECK_INT(expstats_ztest(7, 70, 7, 70, &z, &p), 0); /* no difference */
    CHECK_NEAR(p, 1.0, 1e-12);
    CHECK_INT(expstats_ztest(0, 50, 0, 50, &z, &p), -1); /* no variance */
    CHECK_INT(expstats_ztest(1, 0, 0, 50, &z, &p), -1);  /* no trials */
    CHECK_NEAR(expstats_two_sided_p(1.959963984540054), 0.05, 1e-12);
    CHECK_NEAR(expstats_two_sided_p(0), 1.0, 1e-12);
}

static void test_pick_cumulative_shares(void)
{
    int s[] = {50, 30, 20};
    CHECK_INT(expstats_pick(0, s, 3), 0);
    CHECK_INT(expstats_pick(49, s, 3), 0);
    CHECK_INT(expstats_pick(50, s, 3), 1);
    CHECK_INT(expstats_pick(79, s, 3), 1);
    CHECK_INT(expstats_pick(80, s, 3), 2);
    CHECK_INT(expstats_pick(99, s, 3), 2);
    int t[] = {10, 10};
    CHECK_INT(expstats_pick(20, t, 2), -1);
}

/* The same (experiment, user) always lands in the same bucket; 20,000
 * users split 50/50 within 2%, 70/30 likewise; another experiment's split
 * is independent of the first. The hash is fixed (FNV-1a), so the bucket of
 * a given id is the same on every host: pin one. */
static void test_assignment_sticky_and_even(void)
{
    char uid[33];
    int n = 20000, a = 0, s7 = 0, both = 0;
    int half[] = {50, 50}, seventy[] = {70, 30};
    for (int i = 0; i < n; i++) {
        snprintf(uid, sizeof uid, "%032x", 0x5eed0000u + (unsigned)i * 7919u);
        int b = expstats_bucket("exp-one", uid);
        CHECK_INT(expstats_bucket("exp-one", uid), b);
        int v = expstats_pick(b, half, 2);
        a += v == 0;
        int w = expstats_pick(expstats_bucket("exp-two", uid), seventy, 2);
        s7 += w == 0;
        both += v == 0 && w == 0;
    }
    CHECK(a > n * 48 / 100 && a < n * 52 / 100);
    CHECK(s7 > n * 68 / 100 && s7 < n * 72 / 100);
    /* independent: P(A and A') ~ 0.5 * 0.7 */
    CHECK(both > n * 33 / 100 && both < n * 37 / 100);
    CHECK(expstats_hash("ab", "c") != expstats_hash("a", "bc"));
    CHECK_INT(expstats_hash("", ""), 0xaf63bd4c8601b7dfull); /* FNV-1a of one 0 byte */
}

static void test_hll_counts_distinct_users(void)
{
    static uint8_t reg[EXPSTATS_HLL_M];
    memset(reg, 0, sizeof reg);
    CHECK_NEAR(expstats_hll_estimate(reg), 0, 1e-9);
    char id[33];
    for (int rep = 0; rep < 3; rep++) /* repeats change nothing */
        for (int i = 0; i < 2000; i++) {
            snprintf(id, sizeof id, "%032x", (unsigned)i);
            expstats_hll_add(reg, expstats_hash("id", id));
        }
    double e = expstats_hll_estimate(reg);
    CHECK(e > 1960 && e < 2040); /* linear counting: within 2% */
    for (int i = 2000; i < 200000; i++) {
        snprintf(id, sizeof id, "%032x", (unsigned)i);
        expstats_hll_add(reg, expstats_hash("id", id));
    }
    e = expstats_hll_estimate(reg);
    CHECK(e > 200000 * 0.95 && e < 200000 * 1.05); /* 3 standard errors */
}

int main(void)
{
    RUN(test_wilson_known_values);
    RUN(test_ztest_known_values);
    RUN(test_pick_cumulative_shares);
    RUN(test_assignment_sticky_and_even);
    RUN(test_hll_counts_distinct_users);
    return TEST_SUMMARY();
}
