/* The engine as the server and the CLI use it: the recommendation contract
 * on the tiny shop, random users, one engine shared by threads, and
 * profiles answered from memory once the database is gone. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/modelstore.h"
#include "engine/engine.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "util/error.h"
#include "test.h"

/* The state the other tests start from: version 1 (popularity) and version
 * 2 (hybrid, active), both evaluated. */
static void test_train_two_models(void)
{
    char err[512];
    int64_t v = 0;
    struct train_options o = {.db_path = db_path, .algo = "popularity", .quiet = 1};
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    CHECK_INT(v, 1);
    o.algo = "hybrid";
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    CHECK_INT(v, 2);
}

static void test_engine_recommend_contract(void)
{
    struct engine *e;
    char err[512], c0b[33], p0[33];
    struct rec_result r;
    if (engine_open(db_path, &e, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        return;
    }
    CHECK(engine_warning(e) == NULL);
    struct engine_info in;
    engine_get_info(e, &in);
    CHECK_STR(in.algorithm, "hybrid");
    CHECK_INT(in.version, 2);
    CHECK_INT(in.fallback, 0);
    CHECK_INT(in.products, 7);
    CHECK_INT(in.users, 5);
    /* person 0 through its second customer_id */
    id(c0b, 0xC000, 10);
    id(p0, 0xA000, 0);
    struct rec_request req = {.user = c0b, .count = 3, .explain = 1}; /* 7 products, 4 owned */
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), 0);
    CHECK_STR(r.user_id, p0);
    CHECK_INT(r.known, 1);
    CHECK_STR(r.state, "SP");
    CHECK_INT(r.n_items, 3);
    char tablet[33], phone[33];
    id(tablet, 0xB000, TABLET);
    id(phone, 0xB000, PHONE);
    CHECK_STR(r.items[0].product_id, tablet);
    CHECK_STR(r.items[0].source, "usercf");
    CHECK_STR(r.items[0].category, "telephony");
    CHECK_NEAR(r.items[0].price, 50.5, 1e-6);
    CHECK(strstr(r.explain, "usercf") != NULL);
    for (int i = 0; i < r.n_items; i++)
        CHECK(strcmp(r.items[i].product_id, phone) != 0); /* owned */
    /* unknown but well-formed: cold start, not an error */
    req.user = "0123456789abcdef0123456789ABCDEF";
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), 0);
    CHECK_INT(r.known, 0);
    CHECK_INT(r.n_items, 3);
    CHECK_STR(r.state, "");
    req.user = "not-an-id";
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), ERR_INVALID);
    req.user = p0;
    req.count = 0;
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), ERR_INVALID);
    req.count = 101;
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), ERR_INVALID);
    /* profiles and product details (rendered by net/render.c) */
    struct user_profile up;
    CHECK_INT(engine_user_profile(e, c0b, &up, err, sizeof err), 0);
    CHECK_STR(up.user_id, p0);
    CHECK_STR(up.state, "SP");
    CHECK_INT(up.orders, 2);
    CHECK_INT(up.products, 4);
    CHECK_INT(up.n_purchases, 4);
    CHECK_STR(up.first_purchase, "2017-10-01 10:00:00");
    CHECK(up.has_recency && up.recency_days >= 0);
    CHECK_STR(up.purchases[0].timestamp, "2017-10-01 10:00:00");
    double sum = 0;
    for (int i = 0; i < up.n_purchases; i++)
        sum += up.purchases[i].price;
    CHECK_NEAR(up.monetary, sum, 1e-9);
    engine_user_profile_free(&up);
    CHECK_INT(engine_user_profile(e, "0123456789abcdef0123456789abcdef", &up, err, sizeof err),
              ERR_NOT_FOUND);
    CHECK_INT(engine_user_profile(e, "xyz", &up, err, sizeof err), ERR_INVALID);
    struct product_detail pd;
    CHECK_INT(engine_product_detail(e, phone, &pd, err, sizeof err), 0);
    CHECK_STR(pd.product_id, phone);
    CHECK_INT(pd.has_category_pt, 1);
    CHECK_STR(pd.category_pt, "telefonia");
    CHECK_NEAR(pd.avg_rating, 5, 1e-9);
    CHECK(pd.n_ratings > 0);
    CHECK(pd.n_similar > 0);
    for (int i = 0; i < pd.n_similar; i++)
        CHECK(strcmp(pd.similar[i].product_id, phone) != 0);
    CHECK_INT(engine_product_detail(e, "0123456789abcdef0123456789abcdef", &pd, err, sizeof err),
              ERR_NOT_FOUND);
    CHECK_INT(engine_product_detail(e, "12", &pd, err, sizeof err), ERR_INVALID);
    engine_release(e);
}

/* Counts how often each of the people 0..5 comes out of engine_random_user
 * for seeds 0..n-1; *other counts ids that are none of them. */
static void random_user_counts(struct engine *e, int n, int counts[6], int *other)
{
    char uid[REC_ID_LEN], a[33];
    memset(counts, 0, 6 * sizeof *counts);
    *other = 0;
    for (int s = 0; s < n; s++) {
        if (engine_random_user(e, (uint64_t)s, uid) < 0) {
            (*other)++;
            continue;
        }
        int k = 0;
        for (; k < 6; k++) {
            id(a, 0xA000, (unsigned)k);
            if (!strcmp(uid, a))
                break;
        }
        if (k < 6)
            counts[k]++;
        else
            (*other)++;
    }
}

/* Random users with history: deterministic per seed, spread over exactly the
 * users the active model knows (person 4 buys only in 2018, so a model cut
 * at 2018-01-01 must never return it), and -1 when nobody has history. */
static void test_engine_random_user(void)
{
    struct engine *e;
    char err[512], u1[REC_ID_LEN], u2[REC_ID_LEN];
    int counts[6], other;
    int64_t v = 0, before = 0;
    if (engine_open(db_path, &e, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        return;
    }
    CHECK_INT(engine_random_user(e, 12345, u1), 0);
    CHECK_INT(engine_random_user(e, 12345, u2), 0);
    CHECK_STR(u1, u2);
    CHECK_INT((int)strlen(u1), 32);
    random_user_counts(e, 1000, counts, &other);
    CHECK_INT(other, 0);
    for (int k = 0; k < 5; k++) /* 200 expected each; a sane generator stays far above 120 */
        CHECK(counts[k] > 120 && counts[k] < 280);
    engine_release(e);

    modelstore_active_version(db_path, &before);
    struct train_options o = {
        .db_path = db_path, .algo = "usercf", .cutoff = "2018-01-01", .quiet = 1, .no_eval = 1};
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    random_user_counts(e, 400, counts, &other);
    CHECK_INT(other, 0);
    CHECK_INT(counts[4], 0);
    for (int k = 0; k < 4; k++)
        CHECK(counts[k] > 50);
    engine_release(e);
    CHECK_INT(modelstore_activate(db_path, before, err, sizeof err), 0);

    /* a database without purchases: the popularity fallback knows nobody */
    char empty[160];
    sqlite3 *db;
    snprintf(empty, sizeof empty, "%s/empty.db", dir);
    sqlite3_open(empty, &db);
    exec(db, schema_sql());
    sqlite3_close(db);
    if (engine_open(empty, &e, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        return;
    }
    CHECK_INT(engine_random_user(e, 1, u1), -1);
    engine_release(e);
}

struct thread_arg {
    struct engine *e;
    int ok;
};

static void *hammer(void *p)
{
    struct thread_arg *a = p;
    struct rec_result r, first;
    char uid[33], err[256];
    a->ok = 1;
    for (int i = 0; i < 300; i++) {
        id(uid, 0xA000, (unsigned)(i % 6));
        struct rec_request req = {.user = uid, .count = 3, .explain = i & 1};
        if (engine_recommend(a->e, &req, &r, err, sizeof err) < 0 || r.n_items != 3)
            a->ok = 0;
        if (i == 0)
            first = r;
        else if (i % 6 == 0 && strcmp(first.items[0].product_id, r.items[0].product_id))
            a->ok = 0;
    }
    return NULL;
}

/* Four threads share one engine (run under TSan by `make test-tsan`). */
static void test_engine_shared_by_threads(void)
{
    struct engine *e;
    char err[256];
    if (engine_open(db_path, &e, err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    pthread_t t[4];
    struct thread_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i].e = e;
        engine_retain(e);
        pthread_create(&t[i], NULL, hammer, &a[i]);
    }
    engine_release(e); /* the threads' references keep it alive */
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(a[i].ok);
        engine_release(e);
    }
}

/* Field by field: two profiles of the same person are the same. */
static int same_profile(const struct user_profile *a, const struct user_profile *b)
{
    int same = !strcmp(a->user_id, b->user_id) && !strcmp(a->state, b->state) &&
               !strcmp(a->city, b->city) && a->has_city == b->has_city && a->orders == b->orders &&
               a->products == b->products && !strcmp(a->first_purchase, b->first_purchase) &&
               !strcmp(a->last_purchase, b->last_purchase) && a->has_recency == b->has_recency &&
               a->recency_days == b->recency_days && a->monetary == b->monetary &&
               a->n_purchases == b->n_purchases;
    for (int i = 0; same && i < a->n_purchases; i++)
        same = !memcmp(&a->purchases[i], &b->purchases[i], sizeof a->purchases[i]);
    return same;
}

/* Profiles and product details come from what engine_open preloaded: once
 * the database file is gone (GET /api/v1/users/{id} runs no SQL), a known
 * user still gets the very same profile, and a product its Portuguese
 * category. Ties in time list by order id, then product id. */
static void test_profile_needs_no_database(void)
{
    char err[512] = "", copy[160], c0b[33], cmd[400], phone[33], laptop[33];
    struct engine *e;
    struct user_profile before, after;
    struct product_detail pd;
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", db_path, copy);
    CHECK_INT(system(cmd), 0);
    if (engine_open(copy, &e, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        return;
    }
    id(c0b, 0xC000, 10);
    id(phone, 0xB000, PHONE);
    id(laptop, 0xB000, LAPTOP);
    CHECK_INT(engine_user_profile(e, c0b, &before, err, sizeof err), 0);
    CHECK_INT(unlink(copy), 0);
    CHECK_INT(engine_user_profile(e, c0b, &after, err, sizeof err), 0);
    CHECK(same_profile(&before, &after));
    CHECK_STR(after.city, "x");
    CHECK_INT(after.has_city, 1);
    CHECK_INT(after.n_purchases, 4);
    if (after.n_purchases == 4) { /* order 1 (phone, laptop) at the same time: by product id */
        CHECK_STR(after.purchases[0].product_id, phone);
        CHECK_STR(after.purchases[1].product_id, laptop);
        CHECK_STR(after.purchases[0].category, "telephony");
        CHECK_STR(after.purchases[3].timestamp, "2017-11-01 10:00:00");
        CHECK_STR(after.last_purchase, "2017-11-01 10:00:00");
    }
    engine_user_profile_free(&before);
    engine_user_profile_free(&after);
    CHECK_INT(engine_product_detail(e, phone, &pd, err, sizeof err), 0);
    CHECK_INT(pd.has_category_pt, 1);
    CHECK_STR(pd.category_pt, "telefonia");
    /* an unknown user is still a miss */
    CHECK_INT(engine_user_profile(e, "0123456789abcdef0123456789abcdef", &after, err, sizeof err),
              ERR_NOT_FOUND);
    CHECK(after.purchases == NULL);
    engine_release(e);
}

/* Purchase times not in the "YYYY-MM-DD HH:MM:SS" form the engine packs
 * into seconds are listed verbatim all the same. */
static void test_profile_odd_times(void)
{
    char err[512] = "", copy[160], cmd[400], p3[33];
    struct engine *e;
    struct user_profile up;
    sqlite3 *db = NULL;
    snprintf(copy, sizeof copy, "%s/odd.db", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", db_path, copy);
    CHECK_INT(system(cmd), 0);
    CHECK_INT(sqlite3_open(copy, &db), SQLITE_OK);
    exec(db, "UPDATE orders SET order_purchase_timestamp = '2017-12-15T10:00:00Z'"
             " WHERE order_purchase_timestamp = '2017-12-15 10:00:00'");
    sqlite3_close(db);
    if (engine_open(copy, &e, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        return;
    }
    id(p3, 0xA000, 3);
    CHECK_INT(engine_user_profile(e, p3, &up, err, sizeof err), 0);
    CHECK_INT(up.n_purchases, 1);
    if (up.n_purchases == 1)
        CHECK_STR(up.purchases[0].timestamp, "2017-12-15T10:00:00Z");
    CHECK_STR(up.last_purchase, "2017-12-15T10:00:00Z");
    CHECK_INT(up.has_recency, 1); /* the day still parses */
    engine_user_profile_free(&up);
    engine_release(e);
    unlink(copy);
}

int main(void)
{
    fixture_make_db();
    RUN(test_train_two_models);
    RUN(test_engine_recommend_contract);
    RUN(test_engine_random_user);
    RUN(test_engine_shared_by_threads);
    RUN(test_profile_needs_no_database);
    RUN(test_profile_odd_times);
    fixture_remove();
    return TEST_SUMMARY();
}
