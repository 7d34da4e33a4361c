/* tune: the choice is made on validation cutoffs before the training cutoff
 * and never on the test period. A hand-made shop where the validation
 * months reward keeping owned items (repeat buyers rebuy) and the test
 * month rewards forbidding them (they buy the bestseller instead): tune
 * keeps repurchase on, the test period would have chosen it off, and the
 * choice and its whole table are the same whatever the test period holds.
 * Also: the report round trip (tunestore_apply) and bad options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset.h"
#include "engine/eval.h"
#include "engine/model.h"
#include "engine/tune.h"
#include "engine/tunestore.h"
#include "util/error.h"
#include "test.h"

enum { WARM = 20, COLD_PER_MONTH = 30, MONTHS = 11, POP = 2 * WARM };
enum { USERS = WARM + COLD_PER_MONTH * MONTHS, ITEMS = POP + 3 };

static const char *const month_first[MONTHS] = {
    "2017-03-01", "2017-04-01", "2017-05-01", "2017-06-01", "2017-07-01", "2017-08-01",
    "2017-09-01", "2017-10-01", "2017-11-01", "2017-12-01", "2018-01-01"};

struct shop {
    struct dataset ds;
    struct event ev[4096];
};

static int cmp_event(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static void add(struct shop *s, int user, int item, const char *month, int day_in_month)
{
    s->ev[s->ds.n_events++] = (struct event){
        .user = user, .item = item, .day = dataset_parse_day(month) + day_in_month, .price = 10.0f};
}

/* Warm user u owns items 2u and 2u+1 (nobody else buys them) from March and
 * rebuys 2u in June, November and December; every month 30 new customers
 * buy the bestseller (item POP) or its runner-up. In January 2018, the test
 * month, the warm users buy the bestseller (test_rebuys 0) or item 2u again
 * (1); January's new customers buy item POP + 2 (test_rebuys 0) or POP + 1. */
static void make_shop(struct shop *s, int test_rebuys)
{
    static char users[USERS][DS_ID_LEN], items[ITEMS][DS_ID_LEN];
    static int16_t state[USERS];
    static int32_t cat[ITEMS];
    static float price[ITEMS];
    static char cats[1][DS_CAT_LEN] = {"toys"};
    memset(s, 0, sizeof *s);
    for (int u = 0; u < USERS; u++) {
        snprintf(users[u], DS_ID_LEN, "%032x", u + 1);
        state[u] = -1;
    }
    for (int i = 0; i < ITEMS; i++) {
        snprintf(items[i], DS_ID_LEN, "%032x", 0x1000 + i);
        price[i] = 10;
    }
    s->ds = (struct dataset){.users = {USERS, users},
                             .items = {ITEMS, items},
                             .user_state = state,
                             .item_cat = cat,
                             .item_price = price,
                             .n_cats = 1,
                             .cats = cats,
                             .events = s->ev};
    for (int u = 0; u < WARM; u++) {
        add(s, u, 2 * u, "2017-03-01", 2);
        add(s, u, 2 * u + 1, "2017-03-01", 2);
        add(s, u, 2 * u, "2017-06-01", 3);
        add(s, u, 2 * u, "2017-11-01", 10);
        add(s, u, 2 * u, "2017-12-01", 10);
        add(s, u, test_rebuys ? 2 * u : POP, "2018-01-01", 10);
    }
    for (int m = 0; m < MONTHS; m++)
        for (int c = 0; c < COLD_PER_MONTH; c++) {
            int item = c % 3 ? POP : POP + 1;
            if (m == MONTHS - 1)
                item = test_rebuys ? POP + 1 : POP + 2;
            add(s, WARM + m * COLD_PER_MONTH + c, item, month_first[m], 1 + c % 20);
        }
    qsort(s->ev, (size_t)s->ds.n_events, sizeof *s->ev, cmp_event);
}

static const char *const only_rep[] = {"repurchase_weight"};

static int tune_shop(struct shop *s, struct tune_result *r)
{
    char err[256] = "";
    struct tune_options o = {
        .cutoff = "2018-01-01", .n_cutoffs = 2, .k = 1, .only = only_rep, .n_only = 1};
    int rc = tune_run(&s->ds, &o, r, err, sizeof err);
    if (rc < 0)
        printf("#   tune_run: %s\n", err);
    return rc;
}

/* Hit-rate@1 of hybrid with repurchase_weight w on the test month. */
static double test_hit_rate(const struct dataset *ds, double w)
{
    struct algo_params p;
    struct model m = {0};
    struct eval_result res = {0};
    char err[256];
    algo_params_default(&p);
    p.repurchase_weight = w;
    int32_t cut = dataset_parse_day("2018-01-01");
    if (model_train(ds, "hybrid", &p, cut, &m, err, sizeof err) < 0 ||
        eval_model(&m, ds, cut, 1, w > 0, &res, err, sizeof err) < 0)
        res.all.hit_rate = -1;
    model_free(&m);
    return res.all.hit_rate;
}

static void test_choice_ignores_test_period(void)
{
    static struct shop a, b;
    static struct tune_result ra, rb;
    make_shop(&a, 0);
    make_shop(&b, 1);
    CHECK_INT(tune_shop(&a, &ra), 0);
    CHECK_INT(tune_shop(&b, &rb), 0);
    CHECK_INT(ra.n_cutoffs, 2);
    CHECK_STR(ra.cutoffs[0], "2017-11-01");
    CHECK_STR(ra.until[1], "2018-01-01");
    /* validation: keeping owned items wins (the warm users rebuy) */
    CHECK(ra.params.repurchase_weight > 0);
    CHECK_INT(ra.n_configs, 4); /* base (1), then 0, 0.25, 4 */
    CHECK_STR(ra.configs[1].dim, "repurchase_weight");
    CHECK_NEAR(ra.configs[1].value, 0, 0);
    CHECK(ra.configs[1].mean.hr_warm < ra.configs[0].mean.hr_warm);
    CHECK_NEAR(ra.configs[0].mean.hr_warm, 1, 1e-9);
    /* the test month of shop a would have chosen the other way */
    double forbid = test_hit_rate(&a.ds, 0), allow = test_hit_rate(&a.ds, 1);
    CHECK(forbid > allow);
    CHECK(test_hit_rate(&b.ds, 1) > test_hit_rate(&b.ds, 0));
    /* and the choice, row by row, does not depend on the test month */
    CHECK_NEAR(rb.params.repurchase_weight, ra.params.repurchase_weight, 0);
    CHECK_INT(rb.chosen, ra.chosen);
    CHECK_INT(rb.n_configs, ra.n_configs);
    for (int i = 0; i < ra.n_configs && i < rb.n_configs; i++)
        CHECK(!memcmp(ra.configs[i].cell, rb.configs[i].cell, sizeof ra.configs[i].cell));
    CHECK_STR(rb.reason, ra.reason);
    /* the sentence names the k the search used (1 here), never another */
    CHECK(strstr(ra.reason, "HR@1 ") && strstr(ra.reason, "NDCG@1;") && !strstr(ra.reason, "@10"));
}

static void test_full_search_and_report(void)
{
    static struct shop a;
    static struct tune_result r;
    char err[256] = "";
    make_shop(&a, 0);
    struct tune_options o = {.cutoff = "2018-01-01", .n_cutoffs = 2, .k = 1};
    CHECK_INT(tune_run(&a.ds, &o, &r, err, sizeof err), 0);
    int n_dims;
    const struct tune_dim *d = tune_dims(&n_dims);
    int rows = 1;
    for (int i = 0; i < n_dims; i++)
        rows += d[i].n_values - 1; /* the current value is not scored twice */
    CHECK_INT(r.n_configs, rows);
    CHECK(r.chosen >= 0 && r.chosen < r.n_configs);
    CHECK(r.configs[r.chosen].kept);
    char *json = tune_result_json(&r);
    CHECK(json && strstr(json, "\"table\":[") && strstr(json, "\"reason\":"));
    /* the stored report gives train the chosen values back */
    struct algo_params p;
    algo_params_default(&p);
    p.window_days = 7;
    p.repurchase_weight = 123;
    CHECK_INT(tunestore_apply(json, &p), n_dims);
    CHECK_INT(p.window_days, r.params.window_days);
    CHECK_NEAR(p.repurchase_weight, r.params.repurchase_weight, 1e-9);
    CHECK_NEAR(p.state_weight, r.params.state_weight, 1e-9);
    free(json);
    CHECK_INT(tunestore_apply("{\"no\":1}", &p), ERR_CORRUPT);
}

static void test_bad_options(void)
{
    static struct shop a;
    static struct tune_result r;
    char err[256] = "";
    make_shop(&a, 0);
    struct tune_options o = {.cutoff = "2018-13-01"};
    CHECK_INT(tune_run(&a.ds, &o, &r, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "--cutoff") != NULL);
    o.cutoff = "2017-03-01"; /* nothing before it to train on */
    CHECK_INT(tune_run(&a.ds, &o, &r, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "no validation month") != NULL);
    const char *bad[] = {"window_days", "nope"};
    o = (struct tune_options){.cutoff = "2018-01-01", .only = bad, .n_only = 2};
    CHECK_INT(tune_run(&a.ds, &o, &r, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "\"nope\"") != NULL);
    o = (struct tune_options){.cutoff = "2018-01-01", .algo = "nope"};
    CHECK_INT(tune_run(&a.ds, &o, &r, err, sizeof err), ERR_INVALID);
    struct algo_params p;
    algo_params_default(&p);
    CHECK_INT(tune_set_param(&p, "nope", 1), ERR_INVALID);
    CHECK_INT(tune_set_param(&p, "neighbours", 19.6), 0);
    CHECK_INT(p.neighbours, 20);
}

int main(void)
{
    RUN(test_choice_ignores_test_period);
    RUN(test_full_search_and_report);
    RUN(test_bad_options);
    return TEST_SUMMARY();
}
