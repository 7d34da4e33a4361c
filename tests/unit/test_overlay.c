/* The overlay's store: purchases per user (oldest first, bounded, case
 * folded, other event types ignored), decayed real-time popularity ranked
 * best first, and the empty fast path. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "engine/overlay.h"
#include "test.h"

static struct feedback_event ev(const char *u, const char *p, enum feedback_type t, int64_t ts)
{
    struct feedback_event e;
    memset(&e, 0, sizeof e);
    snprintf(e.user_id, sizeof e.user_id, "%s", u);
    snprintf(e.product_id, sizeof e.product_id, "%s", p);
    e.type = t;
    e.ts = ts;
    return e;
}

static void id_of(char out[REC_ID_LEN], unsigned n)
{
    snprintf(out, REC_ID_LEN, "%032x", n);
}

static void test_overlay_users(void)
{
    struct overlay *o = overlay_new();
    struct overlay_purchase p[OVERLAY_USER_ITEMS];
    char u[REC_ID_LEN], a[REC_ID_LEN], b[REC_ID_LEN];
    CHECK(o != NULL);
    CHECK(overlay_empty(o));
    CHECK(overlay_empty(NULL));
    id_of(u, 0xabc);
    id_of(a, 1);
    id_of(b, 2);
    struct feedback_event e[3] = {ev(u, a, FEEDBACK_CLICK, 10), ev(u, a, FEEDBACK_VIEW, 11),
                                  ev(u, b, FEEDBACK_ADD_TO_CART, 12)};
    CHECK_INT(overlay_add(o, e, 3, 1000), 0);
    CHECK(overlay_empty(o)); /* no purchase: nothing changes */
    CHECK_INT(overlay_user(o, u, p, OVERLAY_USER_ITEMS), 0);
    e[0] = ev(u, a, FEEDBACK_PURCHASE, 20);
    e[1] = ev(u, b, FEEDBACK_PURCHASE, 30);
    CHECK_INT(overlay_add(o, e, 2, 1000), 2);
    CHECK(!overlay_empty(o));
    char upper[REC_ID_LEN];
    snprintf(upper, sizeof upper, "%s", u);
    upper[29] = 'A'; /* ...abc -> ...Abc */
    CHECK_INT(overlay_user(o, upper, p, OVERLAY_USER_ITEMS), 2);
    CHECK_STR(p[0].product_id, a);
    CHECK_INT(p[0].ts, 20);
    CHECK_STR(p[1].product_id, b);
    CHECK_INT(overlay_user(o, u, p, 1), 1); /* the newest when fewer are asked */
    CHECK_STR(p[0].product_id, b);
    id_of(upper, 0xdef);
    CHECK_INT(overlay_user(o, upper, p, OVERLAY_USER_ITEMS), 0);
    /* bounded per user: the oldest go */
    for (unsigned i = 0; i < OVERLAY_USER_ITEMS + 5; i++) {
        char pid[REC_ID_LEN];
        id_of(pid, 100 + i);
        struct feedback_event x = ev(u, pid, FEEDBACK_PURCHASE, 100 + i);
        overlay_add(o, &x, 1, 1000);
    }
    CHECK_INT(overlay_user(o, u, p, OVERLAY_USER_ITEMS), OVERLAY_USER_ITEMS);
    CHECK_INT(p[OVERLAY_USER_ITEMS - 1].ts, 100 + OVERLAY_USER_ITEMS + 4);
    CHECK_INT(p[0].ts, 100 + 5);
    size_t nu, np;
    overlay_size(o, &nu, &np);
    CHECK_INT(nu, 1);
    CHECK_INT(np, 2 + OVERLAY_USER_ITEMS + 5);
    overlay_free(o);
}

static void test_overlay_popular(void)
{
    struct overlay *o = overlay_new();
    struct overlay_hot h[8];
    char u[REC_ID_LEN], a[REC_ID_LEN], b[REC_ID_LEN], c[REC_ID_LEN];
    id_of(u, 7);
    id_of(a, 1);
    id_of(b, 2);
    id_of(c, 3);
    int64_t t = 1700000000;
    struct feedback_event e[6] = {
        ev(u, a, FEEDBACK_PURCHASE, t), ev(u, b, FEEDBACK_PURCHASE, t),
        ev(u, b, FEEDBACK_PURCHASE, t), ev(u, c, FEEDBACK_PURCHASE, t),
        ev(u, c, FEEDBACK_PURCHASE, t), ev(u, c, FEEDBACK_PURCHASE, t),
    };
    overlay_add(o, e, 6, t);
    CHECK_INT(overlay_popular(o, t, 0.5, h, 8), 3);
    CHECK_STR(h[0].product_id, c);
    CHECK_NEAR(h[0].count, 3.0, 1e-9);
    CHECK_STR(h[1].product_id, b);
    CHECK_STR(h[2].product_id, a);
    CHECK_INT(overlay_popular(o, t, 0.5, h, 1), 1);
    /* one half-life later every count halves; a's 0.5 is still in, 0.6 drops it */
    CHECK_INT(overlay_popular(o, t + (int64_t)OVERLAY_HALF_LIFE, 0.6, h, 8), 2);
    CHECK_NEAR(h[0].count, 1.5, 1e-9);
    /* a newer purchase of a outweighs old ones: 2 fresh vs 3 decayed twice */
    struct feedback_event f[2] = {ev(u, a, FEEDBACK_PURCHASE, t), ev(u, a, FEEDBACK_PURCHASE, t)};
    overlay_add(o, f, 2, t + 2 * (int64_t)OVERLAY_HALF_LIFE);
    CHECK_INT(overlay_popular(o, t + 2 * (int64_t)OVERLAY_HALF_LIFE, 0.1, h, 8), 3);
    CHECK_STR(h[0].product_id, a);
    CHECK_NEAR(h[0].count, 2.25, 1e-9);
    CHECK_STR(h[1].product_id, c);
    CHECK_NEAR(h[1].count, 0.75, 1e-9);
    /* far in the future (a rebase of the reference time) the order holds */
    overlay_add(o, f, 1, t + 200 * (int64_t)OVERLAY_HALF_LIFE);
    CHECK_INT(overlay_popular(o, t + 200 * (int64_t)OVERLAY_HALF_LIFE, 0.5, h, 8), 1);
    CHECK_STR(h[0].product_id, a);
    CHECK_NEAR(h[0].count, 1.0, 1e-6);
    overlay_free(o);
}

static void test_overlay_lru(void)
{
    struct overlay *o = overlay_new();
    struct overlay_purchase p[1];
    char u[REC_ID_LEN], a[REC_ID_LEN];
    id_of(a, 1);
    /* OVERLAY_USERS + 2 users: the two least recently active are forgotten */
    for (unsigned i = 0; i < OVERLAY_USERS + 2; i++) {
        id_of(u, 0x100000 + i);
        struct feedback_event e = ev(u, a, FEEDBACK_PURCHASE, 1);
        overlay_add(o, &e, 1, 1000);
        if (i == 5) { /* user 0 buys again: no longer the least recent */
            id_of(u, 0x100000);
            e = ev(u, a, FEEDBACK_PURCHASE, 2);
            overlay_add(o, &e, 1, 1000);
        }
    }
    id_of(u, 0x100000);
    CHECK_INT(overlay_user(o, u, p, 1), 1);
    id_of(u, 0x100001);
    CHECK_INT(overlay_user(o, u, p, 1), 0);
    id_of(u, 0x100002);
    CHECK_INT(overlay_user(o, u, p, 1), 0);
    id_of(u, 0x100003);
    CHECK_INT(overlay_user(o, u, p, 1), 1);
    id_of(u, 0x100000 + OVERLAY_USERS + 1);
    CHECK_INT(overlay_user(o, u, p, 1), 1);
    size_t nu, np;
    overlay_size(o, &nu, &np);
    CHECK_INT(nu, OVERLAY_USERS);
    overlay_free(o);
}

int main(void)
{
    RUN(test_overlay_users);
    RUN(test_overlay_popular);
    RUN(test_overlay_lru);
    return TEST_SUMMARY();
}
