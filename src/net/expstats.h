/* The arithmetic of A/B experiments, pure and table-tested
 * (tests/unit/test_expstats.c): deterministic assignment of a user to a
 * bucket, 95% Wilson score intervals, the two-proportion z-test, and a
 * HyperLogLog sketch that counts distinct users in fixed memory. No locks,
 * no allocation, no I/O (the sketch's registers are the caller's). */
#ifndef RECSYS_NET_EXPSTATS_H
#define RECSYS_NET_EXPSTATS_H

#include <stddef.h>
#include <stdint.h>

#define EXPSTATS_Z95   1.959963984540054 /* the 97.5% quantile of N(0,1) */
#define EXPSTATS_HLL_P 14 /* 16384 registers (16 KiB): standard error 1.04/128 = 0.8% */
#define EXPSTATS_HLL_M (1u << EXPSTATS_HLL_P)

/* 64-bit FNV-1a of salt, a 0 byte, then key (both NUL-terminated): the
 * same on every host and process, so assignment needs no shared state. */
uint64_t expstats_hash(const char *salt, const char *key);
/* The bucket 0..99 of key under salt (expstats_hash mod 100, after a final
 * mix so consecutive ids spread evenly). */
int expstats_bucket(const char *salt, const char *key);
/* The index of the variant a bucket (0..99) falls in, given n shares that
 * sum to 100 (cumulative ranges in order). -1 when it falls past the end. */
int expstats_pick(int bucket, const int *shares, int n);

/* Standard normal upper tail times two: P(|Z| >= |z|), via erfc. */
double expstats_two_sided_p(double z);

/* The 95% Wilson score interval of x successes in n trials (x clamped to
 * n). n == 0: returns -1 and leaves *lo, *hi at 0 and 1 (nothing known). */
int expstats_wilson(uint64_t x, uint64_t n, double *lo, double *hi);

/* Two-sided p-value of the pooled two-proportion z-test of x1/n1 against
 * x2/n2 (successes clamped to trials). -1 when either n is 0 or the pooled
 * rate is 0 or 1 (no variance: nothing to test); *p is then 1. */
int expstats_ztest(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double *z, double *p);

/* HyperLogLog over EXPSTATS_HLL_M one-byte registers (the caller's array,
 * zeroed to start). add: one 64-bit hash; returns 1 when a register grew
 * (the estimate may have changed). The registers are plain bytes updated
 * with relaxed atomics, so adds from several threads and a concurrent
 * estimate are safe. */
int expstats_hll_add(uint8_t *reg, uint64_t hash);
/* The distinct count estimate, with the small-range (linear counting)
 * correction: exact to within a few for a few thousand users. */
double expstats_hll_estimate(const uint8_t *reg);

#endif
