/* Repurchase propensity: the estimate by hand on a tiny dataset, its
 * independence from the test period, the blob round trip, and its use in the
 * hybrid's ranking on the tiny shop (owned items come back only when
 * allowed, with source "repurchase"). */
#include <string.h>

#include "engine/modelformat.h"
#include "engine/repurchase.h"
#include "engine_fixture.h"
#include "test.h"

/* 3 users, 3 items: items 0 and 1 in category 0, item 2 in category 1. */
static struct event ev_train[] = {
    /* user 1: twice on one day, not a repeat; user 0 rebuys item 0 on day 20 */
    {0, 0, 10, 1, -1}, {1, 0, 10, 1, -1}, {1, 0, 10, 1, -1},
    {2, 2, 12, 1, -1}, {0, 0, 20, 1, -1}, {2, 1, 21, 1, -1},
};

static void make_ds(struct dataset *ds, struct event *ev, int64_t n)
{
    static int32_t cats[3] = {0, 0, 1};
    memset(ds, 0, sizeof *ds);
    ds->users.n = 3;
    ds->items.n = 3;
    ds->n_cats = 2;
    ds->item_cat = cats;
    ds->events = ev;
    ds->n_events = n;
}

static int fit(struct repurchase *r, struct event *ev, int64_t n, int32_t cutoff)
{
    struct dataset ds;
    struct csr ui = {0};
    char err[128];
    make_ds(&ds, ev, n);
    int rc = dataset_train_matrix(&ds, cutoff, &ui, err, sizeof err);
    if (rc == 0)
        rc = repurchase_fit(r, &ds, &ui, cutoff, err, sizeof err);
    csr_free(&ui);
    return rc;
}

static void test_estimate_by_hand(void)
{
    struct repurchase r;
    CHECK_INT(fit(&r, ev_train, 6, 30), 0);
    /* pairs (user, item): (0,0) repeated, (1,0), (2,2), (2,1): 1 of 4 */
    CHECK_NEAR(r.global, 0.25, 1e-6);
    double pa = (1 + REPURCHASE_PRIOR_CAT * 0.25) / (3 + REPURCHASE_PRIOR_CAT);
    double pb = (0 + REPURCHASE_PRIOR_CAT * 0.25) / (1 + REPURCHASE_PRIOR_CAT);
    CHECK_NEAR(r.cat_p[0], pa, 1e-6);
    CHECK_NEAR(r.cat_p[1], pb, 1e-6);
    CHECK_NEAR(repurchase_p(&r, 0), (1 + REPURCHASE_PRIOR_ITEM * pa) / (2 + REPURCHASE_PRIOR_ITEM),
               1e-6);
    CHECK_NEAR(repurchase_p(&r, 1), (0 + REPURCHASE_PRIOR_ITEM * pa) / (1 + REPURCHASE_PRIOR_ITEM),
               1e-6);
    /* the repeated product ranks above its never-repeated sibling; the boost scales to top */
    CHECK(repurchase_p(&r, 0) > repurchase_p(&r, 1));
    CHECK(repurchase_boost(&r, 0) > repurchase_boost(&r, 1));
    CHECK_NEAR(repurchase_boost(&r, 0), 1.0, 1e-6);
    CHECK_NEAR(repurchase_p(&r, 7), 0, 0);
    repurchase_free(&r);
}

/* Events on or after the cutoff (however different) change nothing. */
static void test_never_reads_test_period(void)
{
    struct event a[9], b[9];
    memcpy(a, ev_train, sizeof ev_train);
    memcpy(b, ev_train, sizeof ev_train);
    /* ta: everybody rebuys; tb: nobody does */
    struct event ta[] = {{1, 0, 40, 1, -1}, {2, 1, 41, 1, -1}, {2, 2, 42, 1, -1}};
    struct event tb[] = {{0, 1, 40, 1, -1}, {0, 2, 41, 1, -1}, {1, 1, 45, 1, -1}};
    memcpy(a + 6, ta, sizeof ta);
    memcpy(b + 6, tb, sizeof tb);
    struct repurchase ra, rb, r0;
    CHECK_INT(fit(&ra, a, 9, 30), 0);
    CHECK_INT(fit(&rb, b, 9, 30), 0);
    CHECK_INT(fit(&r0, ev_train, 6, 30), 0);
    CHECK(!memcmp(ra.item_p, r0.item_p, 3 * sizeof *ra.item_p));
    CHECK(!memcmp(rb.item_p, r0.item_p, 3 * sizeof *rb.item_p));
    CHECK(!memcmp(ra.cat_p, rb.cat_p, 2 * sizeof *ra.cat_p));
    CHECK_NEAR(ra.global, rb.global, 0);
    /* and the test period does move the estimate once it is training data */
    struct repurchase rall;
    CHECK_INT(fit(&rall, a, 9, 50), 0);
    CHECK(rall.global > r0.global);
    repurchase_free(&ra), repurchase_free(&rb), repurchase_free(&r0), repurchase_free(&rall);
}

static void test_blob_round_trip(void)
{
    struct repurchase r, back;
    struct blob_writer w = {0};
    CHECK_INT(fit(&r, ev_train, 6, 30), 0);
    repurchase_save(&r, &w);
    struct blob_reader br = {w.buf, w.len, 0, 0};
    CHECK_INT(repurchase_load(&back, 3, 2, &br), 0);
    CHECK(back.item_p && !memcmp(back.item_p, r.item_p, 3 * sizeof *r.item_p));
    CHECK_NEAR(back.top, r.top, 0);
    repurchase_free(&back);
    /* wrong sizes and out-of-range propensities are refused */
    br = (struct blob_reader){w.buf, w.len, 0, 0};
    CHECK_INT(repurchase_load(&back, 4, 2, &br), -1);
    float bad = 2.0f;
    memcpy(w.buf + w.len - sizeof bad, &bad, sizeof bad);
    br = (struct blob_reader){w.buf, w.len, 0, 0};
    CHECK_INT(repurchase_load(&back, 3, 2, &br), -1);
    CHECK(!back.item_p);
    free(w.buf);
    repurchase_free(&r);
}

/* The tiny shop: person 0 owns Phone, Laptop, Mouse, Keyboard. */
static void test_hybrid_ranking(void)
{
    struct dataset ds;
    struct model m, back;
    char err[256];
    uint8_t *blob = NULL;
    size_t len = 0;
    if (load_ds(&ds) < 0 || model_train(&ds, "hybrid", NULL, dataset_parse_day("2018-01-01"), &m,
                                        err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    int32_t u = user_of(&m, 0);
    struct rec_query q = {.user = u, .state = -1, .n = 7, .allow_repurchase = 0};
    struct rec_list out = {0};
    m.ops->recommend(&m, &q, &out);
    for (int i = 0; i < out.n; i++)
        CHECK(!reclist_owned(&m, u, out.items[i].item));
    q.allow_repurchase = 1;
    out.n = 0;
    m.ops->recommend(&m, &q, &out);
    int owned = 0;
    for (int i = 0; i < out.n; i++)
        if (reclist_owned(&m, u, out.items[i].item)) {
            owned++;
            CHECK_STR(out.items[i].source, "repurchase");
        }
    CHECK_INT(owned, 4);
    /* stored with the model: the same propensities after a save and load */
    CHECK_INT(modelformat_serialize(&m, &blob, &len, err, sizeof err), 0);
    CHECK_INT(modelformat_deserialize(blob, len, &back, err, sizeof err), 0);
    CHECK(back.rep.item_p && m.rep.item_p &&
          !memcmp(back.rep.item_p, m.rep.item_p, (size_t)m.ctx.items.n * sizeof(float)));
    free(blob);
    model_free(&back);
    model_free(&m);
    dataset_free(&ds);
}

int main(void)
{
    fixture_make_db();
    RUN(test_estimate_by_hand);
    RUN(test_never_reads_test_period);
    RUN(test_blob_round_trip);
    RUN(test_hybrid_ranking);
    fixture_remove();
    return TEST_SUMMARY();
}
