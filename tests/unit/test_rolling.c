/* Rolling evaluation: month stepping, the Wilson interval against published
 * values, the paired bootstrap (deterministic for a seed, counts by hand),
 * and a rolling run on the tiny shop whose oracle is computed by hand. */
#include <math.h>
#include <stdlib.h>

#include "engine/evalstats.h"
#include "engine/rolling.h"
#include "util/error.h"
#include "engine_fixture.h"
#include "test.h"

static void test_month_stepping(void)
{
    char s[8];
    int m = rolling_parse_month("2017-12");
    CHECK_INT(m, 2017 * 12 + 11);
    rolling_format_month(m, s);
    CHECK_STR(s, "2017-12");
    rolling_format_month(m + 1, s);
    CHECK_STR(s, "2018-01"); /* December steps into the next year */
    CHECK_INT(rolling_month_first_day(m + 1), dataset_parse_day("2018-01-01"));
    CHECK_INT(rolling_month_first_day(rolling_parse_month("2016-02") + 1),
              dataset_parse_day("2016-03-01"));
    CHECK_INT(rolling_parse_month("2017-13"), -1);
    CHECK_INT(rolling_parse_month("2017-6"), -1);
    CHECK_INT(rolling_parse_month("2017-06x"), -1);
    CHECK_INT(rolling_parse_month("17-06"), -1);
    CHECK_INT(rolling_parse_month(""), -1);
}

static void test_wilson(void)
{
    double lo, hi;
    evalstats_wilson(5, 10, &lo, &hi); /* published: 0.2366, 0.7634 */
    CHECK_NEAR(lo, 0.2366, 1e-4);
    CHECK_NEAR(hi, 0.7634, 1e-4);
    evalstats_wilson(0, 10, &lo, &hi); /* 0 hits: [0, 0.2775], not the empty normal interval */
    CHECK_NEAR(lo, 0, 1e-12);
    CHECK_NEAR(hi, 0.2775, 1e-4);
    evalstats_wilson(10, 10, &lo, &hi);
    CHECK_NEAR(lo, 0.7225, 1e-4);
    CHECK_NEAR(hi, 1, 1e-12);
    evalstats_wilson(0, 0, &lo, &hi);
    CHECK(lo == 0 && hi == 0);
    evalstats_wilson(223, 10000, &lo, &hi); /* a hit rate like the README's: around 0.0223 */
    CHECK(lo < 0.0223 && hi > 0.0223 && hi - lo < 0.006);
}

static void test_paired_bootstrap(void)
{
    enum { N = 400 };
    int8_t a[N], b[N];
    uint8_t mask[N];
    for (int u = 0; u < N; u++) {
        a[u] = (int8_t)(u % 4 == 0); /* 100 hits */
        b[u] = (int8_t)(u % 8 == 0); /* 50 hits, all shared with a */
        mask[u] = u < 200;
    }
    a[N - 1] = b[N - 1] = -1; /* not a test user */
    b[1] = 1;                 /* one user only b gains */
    struct evalstats_paired p, q, w;
    CHECK_INT(evalstats_paired(a, b, NULL, N, 1000, 42, &p), 0);
    CHECK_INT(p.users, N - 1);
    CHECK_INT(p.a_only, 50);
    CHECK_INT(p.b_only, 1);
    CHECK_INT(p.both, 50);
    CHECK_INT(p.neither, N - 1 - 101);
    CHECK_NEAR(p.diff, 49.0 / (N - 1), 1e-12);
    CHECK(p.lo < p.diff && p.diff < p.hi);
    CHECK(p.lo > 0); /* 50 to 1 is a clear gain */
    CHECK_INT(evalstats_paired(a, b, NULL, N, 1000, 42, &q), 0);
    CHECK(p.lo == q.lo && p.hi == q.hi); /* same seed, same interval */
    CHECK_INT(evalstats_paired(a, b, mask, N, 1000, 42, &w), 0);
    CHECK_INT(w.users, 200);
    CHECK_INT(w.a_only, 25);
    CHECK_INT(w.b_only, 1);
    CHECK_INT(evalstats_paired(a, a, NULL, N, 200, 7, &q), 0); /* identical: no difference */
    CHECK(q.diff == 0 && q.lo == 0 && q.hi == 0 && q.a_only == 0 && q.b_only == 0);
}

static void test_rolling_tiny_shop(void)
{
    struct dataset ds;
    struct rolling_row *rows = NULL;
    int n = 0;
    char err[256];
    const char *algos[] = {"popularity"};
    struct rolling_options o = {
        .from = "2018-01", .to = "2018-03", .algos = algos, .n_algos = 1, .k = 1};
    if (load_ds(&ds) < 0) {
        CHECK(0);
        return;
    }
    /* January has no purchases (skipped); February: person 4 buys the tablet;
     * March: person 1 (history since 2017-11) buys the headset. The oracle's
     * top 1 is each month's own product: a hit every month. */
    CHECK_INT(rolling_run(&ds, &o, &rows, &n, err, sizeof err), 0);
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_STR(rows[0].month, "2018-02");
        CHECK_STR(rows[0].algorithm, "popularity");
        CHECK_STR(rows[1].algorithm, ROLLING_ORACLE);
        CHECK_INT(rows[1].all.users, 1);
        CHECK_INT(rows[1].all.hits, 1);
        CHECK_INT(rows[1].warm.users, 0);
        CHECK_STR(rows[3].month, "2018-03");
        CHECK_INT(rows[3].all.hits, 1);
        CHECK_INT(rows[3].warm.users, 1);
        CHECK_INT(rows[3].warm.hits, 1);
        CHECK(rows[3].all.lo > 0 && rows[3].all.hi == 1);
        for (int i = 0; i < n; i += 2)
            CHECK(rows[i + 1].all.hit_rate >= rows[i].all.hit_rate);
    }
    free(rows);
    o.from = "2018-04";
    o.to = "2018-02";
    CHECK_INT(rolling_run(&ds, &o, &rows, &n, err, sizeof err), ERR_INVALID);
    o.from = "2019-01";
    o.to = "2019-02";
    CHECK_INT(rolling_run(&ds, &o, &rows, &n, err, sizeof err), ERR_INVALID); /* no purchases */
    dataset_free(&ds);
}

int main(void)
{
    fixture_make_db();
    RUN(test_month_stepping);
    RUN(test_wilson);
    RUN(test_paired_bootstrap);
    RUN(test_rolling_tiny_shop);
    fixture_remove();
    return TEST_SUMMARY();
}
