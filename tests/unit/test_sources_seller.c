/* Same-seller candidate source: the fit by hand on a hand-made dataset (a
 * product sold by two sellers, a repeat buyer, the window, the test period
 * left out), the candidates of a user's sellers, the hybrid offering them
 * with source "seller" (owned items only when allowed), the blob round trip,
 * an older blob without the source, and a tampered one. */
#include <stdlib.h>
#include <string.h>

#include "engine/model.h"
#include "engine/modelformat.h"
#include "engine/reclist.h"
#include "engine/sources_seller.h"
#include "test.h"

#define CUT 1000 /* the cutoff day */

/* users 0..4, items 0..6, sellers 0..2, sorted by day, user, item.
 * seller 0 sells items 0, 1, 2: item 1 has buyers 1, 2, 4 (4 twice), items 0
 * and 2 one each. Item 0 is also sold by seller 1 (to user 3), who sells item
 * 3 too. Seller 2: item 4 long before the window, item 5 after the cutoff,
 * item 6 once in the window. */
static struct event ev[] = {
    {1, 4, CUT - SELLER_WINDOW - 10, 5, 2}, /* before the window: not in seller 2's top */
    {0, 0, CUT - 50, 5, 0},
    {1, 1, CUT - 49, 5, 0},
    {2, 2, CUT - 48, 5, 0},
    {3, 0, CUT - 47, 5, 1},
    {2, 1, CUT - 46, 5, 0},
    {4, 1, CUT - 45, 5, 0},
    {3, 3, CUT - 44, 5, 1},
    {4, 1, CUT - 43, 5, 0}, /* a repeat: one buyer still */
    {4, 6, CUT - 42, 5, 2},
    {1, 5, CUT + 1, 5, 2}, /* test period */
    {2, 5, CUT + 2, 5, 2},
};
#define N_EV ((int64_t)(sizeof ev / sizeof ev[0]))

static char user_ids[5][DS_ID_LEN], item_ids[7][DS_ID_LEN], seller_ids[3][DS_ID_LEN];
static int16_t user_state[5];
static int32_t item_cat[7];
static float item_price[7] = {5, 5, 5, 5, 5, 5, 5};
static char states[1][3] = {"SP"};
static char cats[1][DS_CAT_LEN] = {"toys"};

static void make_ds(struct dataset *ds)
{
    memset(ds, 0, sizeof *ds);
    for (int i = 0; i < 5; i++)
        snprintf(user_ids[i], DS_ID_LEN, "%032x", 0xA000 + i);
    for (int i = 0; i < 7; i++)
        snprintf(item_ids[i], DS_ID_LEN, "%032x", 0xB000 + i);
    for (int i = 0; i < 3; i++)
        snprintf(seller_ids[i], DS_ID_LEN, "%032x", 0xF000 + i);
    ds->users = (struct idmap){5, user_ids};
    ds->items = (struct idmap){7, item_ids};
    ds->sellers = (struct idmap){3, seller_ids};
    ds->user_state = user_state;
    ds->item_cat = item_cat;
    ds->item_price = item_price;
    ds->n_states = 1;
    ds->states = states;
    ds->n_cats = 1;
    ds->cats = cats;
    ds->events = ev;
    ds->n_events = N_EV;
}

/* The list [ptr[k], ptr[k+1]) of ids equals want[0..n). */
static int list_is(const int64_t *ptr, const int32_t *ids, int32_t k, const int32_t *want, int n)
{
    if (ptr[k + 1] - ptr[k] != n)
        return 0;
    for (int i = 0; i < n; i++)
        if (ids[ptr[k] + i] != want[i])
            return 0;
    return 1;
}

static void test_fit_by_hand(void)
{
    struct dataset ds;
    struct sources_seller s;
    char err[128];
    make_ds(&ds);
    CHECK_INT(sources_seller_fit(&s, &ds, CUT, err, sizeof err), 0);
    CHECK_INT(s.n_sellers, 3);
    /* seller 0: item 1 (3 buyers), then items 0 and 2 (1 each, by id) */
    CHECK(list_is(s.top_ptr, s.top_item, 0, (int32_t[]){1, 0, 2}, 3));
    CHECK_NEAR(s.top_score[s.top_ptr[0]], 1, 0);
    CHECK_NEAR(s.top_score[s.top_ptr[0] + 1], 1.0 / 3, 1e-6);
    /* seller 1: items 0 and 3; seller 2: only item 6 (4 is before the window,
     * 5 after the cutoff) */
    CHECK(list_is(s.top_ptr, s.top_item, 1, (int32_t[]){0, 3}, 2));
    CHECK(list_is(s.top_ptr, s.top_item, 2, (int32_t[]){6}, 1));
    /* item 0 was bought from sellers 0 and 1, once each; item 1 from 0 only
     * (4 purchases); item 4 from seller 2 (the window is for the tops only) */
    CHECK(list_is(s.item_ptr, s.item_sel, 0, (int32_t[]){0, 1}, 2));
    CHECK_NEAR(s.item_share[s.item_ptr[0]], 0.5, 1e-6);
    CHECK(list_is(s.item_ptr, s.item_sel, 1, (int32_t[]){0}, 1));
    CHECK_NEAR(s.item_share[s.item_ptr[1]], 1, 0);
    CHECK(list_is(s.item_ptr, s.item_sel, 4, (int32_t[]){2}, 1));
    CHECK(list_is(s.item_ptr, s.item_sel, 5, NULL, 0));
    sources_seller_free(&s);
    /* a dataset without sellers (an artifact, an older database): not fitted */
    ds.sellers.n = 0;
    CHECK_INT(sources_seller_fit(&s, &ds, CUT, err, sizeof err), 0);
    CHECK(s.item_ptr == NULL && s.top_ptr == NULL);
    struct cand_buf b = {0};
    int32_t owned[] = {0};
    CHECK_INT(sources_seller_candidates(&s, owned, 1, &b), 0);
    CHECK_INT(b.n, 0);
    cand_free(&b);
}

/* The candidates of one owned item sold by two sellers, weighed by share. */
static void test_candidates(void)
{
    struct dataset ds;
    struct sources_seller s;
    struct cand_buf b = {0};
    char err[128];
    make_ds(&ds);
    CHECK_INT(sources_seller_fit(&s, &ds, CUT, err, sizeof err), 0);
    int32_t owned[] = {0, -1, 99}; /* bad indices are skipped */
    CHECK_INT(sources_seller_candidates(&s, owned, 3, &b), 0);
    cand_finish(&b);
    /* seller 0 (0.5): 1 -> 0.5, 0 -> 0.5/3, 2 -> 0.5/3; seller 1 (0.5): 0 -> 0.5, 3 -> 0.5 */
    CHECK_INT(b.n, 4);
    if (b.n == 4) {
        CHECK_INT(b.c[0].item, 0);
        CHECK_NEAR(b.c[0].score, 0.5 + 0.5 / 3, 1e-6);
        CHECK_INT(b.c[1].item, 1);
        CHECK_INT(b.c[2].item, 3);
        CHECK_INT(b.c[3].item, 2);
        CHECK_NEAR(b.c[3].score, 0.5 / 3, 1e-6);
    }
    cand_free(&b);
    sources_seller_free(&s);
}

/* 1 when the list has item, *src set to its source. */
static int find(const struct rec_list *out, int32_t item, const char **src)
{
    for (int i = 0; i < out->n; i++)
        if (out->items[i].item == item) {
            *src = out->items[i].source;
            return 1;
        }
    return 0;
}

/* User 0 owns item 0 (seller 0): items 2 and 6 come from no other source. */
static void test_hybrid_offers_seller_items(void)
{
    struct dataset ds;
    struct model m;
    struct algo_params p;
    char err[256];
    const char *src = NULL;
    make_ds(&ds);
    algo_params_default(&p);
    p.seller_weight = 0.5;
    if (model_train(&ds, "hybrid", &p, CUT, &m, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        return;
    }
    struct rec_query q = {.user = 0, .state = -1, .n = 7, .allow_repurchase = 0};
    struct rec_list out = {0};
    m.ops->recommend(&m, &q, &out);
    CHECK(find(&out, 2, &src));
    CHECK_STR(src, "seller");
    CHECK(!find(&out, 0, &src)); /* owned: not offered */
    int seller = 0;
    for (int i = 0; i < out.n; i++)
        seller += !strcmp(out.items[i].source, "seller");
    CHECK(seller >= 1);
    /* allowed, the owned item comes back as a repurchase, not as "seller" */
    q.allow_repurchase = 1;
    out.n = 0;
    m.ops->recommend(&m, &q, &out);
    CHECK(find(&out, 0, &src));
    CHECK_STR(src, "repurchase");
    model_free(&m);
    /* weight 0 (the default): no item is labelled "seller" */
    p.seller_weight = 0;
    CHECK_INT(model_train(&ds, "hybrid", &p, CUT, &m, err, sizeof err), 0);
    q.allow_repurchase = 0;
    out.n = 0;
    m.ops->recommend(&m, &q, &out);
    for (int i = 0; i < out.n; i++)
        CHECK(strcmp(out.items[i].source, "seller") != 0);
    model_free(&m);
}

static void test_blob_round_trip_and_old_blob(void)
{
    struct dataset ds;
    struct model m, back;
    struct algo_params p;
    char err[256];
    uint8_t *blob = NULL;
    size_t len = 0;
    make_ds(&ds);
    algo_params_default(&p);
    p.seller_weight = 0.25;
    CHECK_INT(model_train(&ds, "popularity", &p, CUT, &m, err, sizeof err), 0);
    CHECK_INT(modelformat_serialize(&m, &blob, &len, err, sizeof err), 0);
    CHECK_INT(modelformat_deserialize(blob, len, &back, err, sizeof err), 0);
    const struct sources_seller *a = &m.src.seller, *b = &back.src.seller;
    CHECK(b->item_ptr && b->top_ptr);
    if (b->item_ptr && b->top_ptr) {
        CHECK_INT(b->n_sellers, 3);
        CHECK(!memcmp(a->item_ptr, b->item_ptr, 8 * sizeof *a->item_ptr));
        CHECK(!memcmp(a->item_sel, b->item_sel, (size_t)a->item_ptr[7] * 4));
        CHECK(!memcmp(a->item_share, b->item_share, (size_t)a->item_ptr[7] * 4));
        CHECK(!memcmp(a->top_ptr, b->top_ptr, 4 * sizeof *a->top_ptr));
        CHECK(!memcmp(a->top_item, b->top_item, (size_t)a->top_ptr[3] * 4));
        CHECK(!memcmp(a->top_score, b->top_score, (size_t)a->top_ptr[3] * 4));
    }
    CHECK_NEAR(back.params.seller_weight, 0.25, 0);
    model_free(&back);

    /* an older blob: format 2, ending before the seller source */
    struct blob_writer cw = {.count_only = 1};
    sources_seller_save(&m.src.seller, &cw);
    uint8_t *old = malloc(len);
    size_t tail = cw.len, olen = len - tail;
    memcpy(old, blob, len - 8 - tail);
    memcpy(old + len - 8 - tail, blob + len - 8, 8); /* the end marker */
    int64_t two = 2;
    memcpy(old + 8, &two, 8); /* after the 8-byte magic */
    CHECK_INT(modelformat_deserialize(old, olen, &back, err, sizeof err), 0);
    CHECK(back.src.seller.item_ptr == NULL);
    CHECK(back.src.co_ptr != NULL); /* what it has is still read */
    model_free(&back);
    /* a format from the future is refused by name */
    int64_t nine = 9;
    memcpy(old + 8, &nine, 8);
    CHECK(modelformat_deserialize(old, olen, &back, err, sizeof err) < 0);
    CHECK(strstr(err, "model format 9") != NULL);
    free(old);

    /* a tampered seller source: a top product out of range is corruption */
    uint8_t *bad = malloc(len);
    memcpy(bad, blob, len);
    /* before the end marker: top_item's nt values, top_score's count and nt values */
    int64_t nt = m.src.seller.top_ptr[3];
    int32_t big = 1000;
    memcpy(bad + len - 8 - (size_t)nt * 4 - 8 - (size_t)nt * 4, &big, 4);
    CHECK(modelformat_deserialize(bad, len, &back, err, sizeof err) < 0);
    free(bad);
    free(blob);
    model_free(&m);
}

int main(void)
{
    RUN(test_fit_by_hand);
    RUN(test_candidates);
    RUN(test_hybrid_offers_seller_items);
    RUN(test_blob_round_trip_and_old_blob);
    return TEST_SUMMARY();
}
