/* Minimal TAP-like harness shared by the C unit tests.
 * Each TEST prints "ok - name" or "not ok - name" followed by the failed
 * checks; tests/run.sh adds the lines of every binary into one summary. */
#ifndef RECSYS_TEST_H
#define RECSYS_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_failed_checks;
static int test_passed, test_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            test_failed_checks++;                                                                  \
            printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                    \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            test_failed_checks++;                                                                  \
            printf("#   %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_);      \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            test_failed_checks++;                                                                  \
            printf("#   %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,           \
                   a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                        \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps))) {                                                           \
            test_failed_checks++;                                                                  \
            printf("#   %s:%d: %s == %.9g, expected %.9g\n", __FILE__, __LINE__, #a, a_, b_);      \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        test_failed_checks = 0;                                                                    \
        fn();                                                                                      \
        if (test_failed_checks) {                                                                  \
            test_failed++;                                                                         \
            printf("not ok - %s\n", #fn);                                                          \
        } else {                                                                                   \
            test_passed++;                                                                         \
            printf("ok - %s\n", #fn);                                                              \
        }                                                                                          \
        fflush(stdout);                                                                            \
    } while (0)

/* The binary's exit status: non-zero when any test failed. */
#define TEST_SUMMARY()                                                                             \
    (printf("# %d passed, %d failed\n", test_passed, test_failed), test_failed ? 1 : 0)

#endif
