/* Co-purchase source (engine/sources.h): baskets by hand, independence from
 * the test period, bulk baskets left out, the blob round trip and a
 * malformed blob refused, and the hybrid labelling such items "copurchase". */
#include <string.h>

#include "engine/sources.h"
#include "engine_fixture.h"
#include "test.h"

/* items 0..4; baskets (user, day): (0,10) {0,1,2}, (1,11) {0,1}, (2,12) {3} */
static struct event ev[] = {
    {0, 0, 10, 1, -1}, {0, 1, 10, 1, -1}, {0, 1, 10, 1, -1}, {0, 2, 10, 1, -1},
    {1, 0, 11, 1, -1}, {1, 1, 11, 1, -1}, {2, 3, 12, 1, -1},
};

static int fit(struct sources *s, struct event *e, int64_t n, int32_t cutoff)
{
    struct dataset ds;
    char err[128];
    memset(&ds, 0, sizeof ds);
    ds.users.n = 3;
    ds.items.n = 5;
    ds.events = e;
    ds.n_events = n;
    return sources_fit(s, &ds, cutoff, err, sizeof err);
}

static void test_copurchase_by_hand(void)
{
    struct sources s;
    CHECK_INT(fit(&s, ev, 7, 20), 0);
    /* item 0: with 1 twice, with 2 once */
    CHECK_INT(s.co_ptr[1] - s.co_ptr[0], 2);
    CHECK_INT(s.co_idx[s.co_ptr[0]], 1);
    CHECK_NEAR(s.co_score[s.co_ptr[0]], 1.0, 1e-6);
    CHECK_INT(s.co_idx[s.co_ptr[0] + 1], 2);
    CHECK_NEAR(s.co_score[s.co_ptr[0] + 1], 0.5, 1e-6);
    /* item 3 was bought alone, item 4 never */
    CHECK_INT(s.co_ptr[4] - s.co_ptr[3], 0);
    CHECK_INT(s.co_ptr[5] - s.co_ptr[4], 0);
    /* a user owning 2 and 3 gets 0 and 1 (from 2) */
    struct cand_buf b = {0};
    int32_t owned[] = {2, 3};
    CHECK_INT(sources_copurchase(&s, owned, 2, &b), 0);
    cand_finish(&b);
    CHECK_INT(b.n, 2);
    cand_free(&b);
    sources_free(&s);
}

static void test_never_reads_test_period(void)
{
    struct event a[10];
    memcpy(a, ev, sizeof ev);
    a[7] = (struct event){0, 3, 30, 1, -1}; /* after the cutoff: 3 and 4 together */
    a[8] = (struct event){0, 4, 30, 1, -1};
    a[9] = (struct event){1, 4, 31, 1, -1};
    struct sources s0, s1;
    CHECK_INT(fit(&s0, ev, 7, 20), 0);
    CHECK_INT(fit(&s1, a, 10, 20), 0);
    CHECK(!memcmp(s0.co_ptr, s1.co_ptr, 6 * sizeof *s0.co_ptr));
    CHECK(!memcmp(s0.co_idx, s1.co_idx, (size_t)s0.co_ptr[5] * sizeof *s0.co_idx));
    sources_free(&s1);
    CHECK_INT(fit(&s1, a, 10, 40), 0); /* as training data it counts */
    CHECK_INT(s1.co_ptr[4] - s1.co_ptr[3], 1);
    sources_free(&s0);
    sources_free(&s1);
}

static void test_bulk_basket_left_out(void)
{
    struct event big[SOURCES_BASKET_MAX + 1];
    struct dataset ds;
    struct sources s;
    char err[128];
    for (int i = 0; i <= SOURCES_BASKET_MAX; i++)
        big[i] = (struct event){0, i, 5, 1, -1};
    memset(&ds, 0, sizeof ds);
    ds.users.n = 1;
    ds.items.n = SOURCES_BASKET_MAX + 1;
    ds.events = big;
    ds.n_events = SOURCES_BASKET_MAX + 1;
    CHECK_INT(sources_fit(&s, &ds, 10, err, sizeof err), 0);
    CHECK_INT(s.co_ptr[SOURCES_BASKET_MAX + 1], 0);
    sources_free(&s);
}

static void test_blob(void)
{
    struct sources s, back;
    struct blob_writer w = {0};
    CHECK_INT(fit(&s, ev, 7, 20), 0);
    sources_save(&s, &w);
    struct blob_reader r = {w.buf, w.len, 0, 0};
    CHECK_INT(sources_load(&back, 5, &r), 0);
    CHECK(back.co_ptr && !memcmp(back.co_ptr, s.co_ptr, 6 * sizeof *s.co_ptr));
    sources_free(&back);
    r = (struct blob_reader){w.buf, w.len, 0, 0};
    CHECK_INT(sources_load(&back, 4, &r), -1); /* wrong catalogue size */
    int32_t bad = 9;                           /* an item out of range */
    memcpy(w.buf + 8 + 6 * 8 + 8, &bad, sizeof bad);
    r = (struct blob_reader){w.buf, w.len, 0, 0};
    CHECK_INT(sources_load(&back, 5, &r), -1);
    free(w.buf);
    sources_free(&s);
}

/* The tiny shop: person 1 bought Phone, Laptop and Tablet together; person 2
 * owns Phone: Laptop and Tablet are its co-purchases. */
static void test_hybrid_source(void)
{
    struct dataset ds;
    struct model m;
    char err[256];
    if (load_ds(&ds) < 0 || model_train(&ds, "hybrid", NULL, dataset_parse_day("2018-01-01"), &m,
                                        err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    struct rec_query q = {.user = user_of(&m, 2), .state = -1, .n = 7};
    struct rec_list out = {0};
    m.ops->recommend(&m, &q, &out);
    int co = 0;
    for (int i = 0; i < out.n; i++)
        co += !strcmp(out.items[i].source, "copurchase") ||
              !strcmp(out.items[i].source, "itemcf") || !strcmp(out.items[i].source, "usercf");
    CHECK(co >= 2); /* Laptop and Tablet come from a collaborative or co-purchase source */
    int32_t phone = item_of(&m, PHONE);
    CHECK(m.src.co_ptr[phone + 1] - m.src.co_ptr[phone] >= 2);
    model_free(&m);
    dataset_free(&ds);
}

int main(void)
{
    fixture_make_db();
    RUN(test_copurchase_by_hand);
    RUN(test_never_reads_test_period);
    RUN(test_bulk_basket_left_out);
    RUN(test_blob);
    RUN(test_hybrid_source);
    fixture_remove();
    return TEST_SUMMARY();
}
