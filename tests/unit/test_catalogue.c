/* The catalogue engines share (engine/catalogue.h): an activation reopens
 * the engine with the previous one's customers, histories and product
 * details when the database's data are unchanged, and answers exactly as a
 * fresh engine_open would; any change to the data or the file reads
 * everything again. Reference counts: the catalogue outlives the engine
 * that read it (ASan and valgrind check the frees). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/modelstore.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "util/error.h"
#include "util/sbuf.h"
#include "test.h"

static struct engine *open_db(const char *path, struct engine *prev)
{
    char err[512] = "";
    struct engine *e = NULL;
    if (engine_reopen(path, prev, &e, err, sizeof err) < 0)
        printf("# engine_reopen %s: %s\n", path, err);
    return e;
}

static int shared(const struct engine *e)
{
    struct engine_load_stats st;
    engine_get_load_stats(e, &st);
    return st.catalogue_shared;
}

static void copy_db(const char *to)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", db_path, to);
    CHECK_INT(system(cmd), 0);
}

static void sql_on(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    exec(db, sql);
    sqlite3_close(db);
}

/* 1 when a and b give the same recommendations, profiles and product
 * details for every person, customer id and product of the fixture (and a
 * stranger); prints the first difference. */
static int same_answers(struct engine *a, struct engine *b)
{
    char err[256], who[33];
    struct rec_result ra, rb;
    struct user_profile pa, pb;
    struct product_detail da, db;
    for (int k = 0; k <= 11; k++) { /* people, then customer ids; 11 is nobody */
        unsigned n = k < 5 ? (unsigned)k : k == 10 ? 10u : k == 11 ? 99u : (unsigned)k - 5;
        id(who, k < 5 ? 0xA000 : 0xC000, n);
        struct rec_request req = {.user = who, .count = 5, .explain = 1};
        if (engine_recommend(a, &req, &ra, err, sizeof err) < 0 ||
            engine_recommend(b, &req, &rb, err, sizeof err) < 0 || ra.n_items != rb.n_items ||
            ra.known != rb.known || strcmp(ra.state, rb.state) || strcmp(ra.explain, rb.explain)) {
            printf("# recommendations for %s differ\n", who);
            return 0;
        }
        for (int i = 0; i < ra.n_items; i++)
            if (strcmp(ra.items[i].product_id, rb.items[i].product_id) ||
                ra.items[i].price != rb.items[i].price ||
                ra.items[i].n_ratings != rb.items[i].n_ratings ||
                ra.items[i].fixed_len != rb.items[i].fixed_len || !ra.items[i].fixed ||
                !rb.items[i].fixed ||
                memcmp(ra.items[i].fixed, rb.items[i].fixed, ra.items[i].fixed_len)) {
                printf("# item %d for %s differs\n", i, who);
                return 0;
            }
        int ea = engine_user_profile(a, who, &pa, err, sizeof err);
        int eb = engine_user_profile(b, who, &pb, err, sizeof err);
        int same = ea == eb &&
                   (ea < 0 || (pa.n_purchases == pb.n_purchases &&
                               pa.recency_days == pb.recency_days && !strcmp(pa.city, pb.city) &&
                               pa.orders == pb.orders && pa.monetary == pb.monetary));
        for (int i = 0; same && ea == 0 && i < pa.n_purchases; i++)
            same = !memcmp(&pa.purchases[i], &pb.purchases[i], sizeof pa.purchases[i]);
        engine_user_profile_free(&pa);
        engine_user_profile_free(&pb);
        if (!same) {
            printf("# profiles of %s differ\n", who);
            return 0;
        }
    }
    for (int p = PHONE; p <= CABLE; p++) {
        id(who, 0xB000, (unsigned)p);
        int ea = engine_product_detail(a, who, &da, err, sizeof err);
        int eb = engine_product_detail(b, who, &db, err, sizeof err);
        if (ea != eb ||
            (ea == 0 && (da.price != db.price || da.avg_rating != db.avg_rating ||
                         da.n_ratings != db.n_ratings || da.popularity_rank != db.popularity_rank ||
                         strcmp(da.category_pt, db.category_pt)))) {
            printf("# details of product %d differ\n", p);
            return 0;
        }
    }
    return 1;
}

/* What the server's renderer shows of an item (net/render.c), in short. */
static void render(struct sbuf *b, const struct rec_item *it)
{
    sbuf_printf(b, "%s %s %.2f %.3f %d", it->product_id, it->category, it->price, it->avg_rating,
                it->n_ratings);
}

/* The rendered part of product p in e's recommendations for person k. */
static const char *fixed_of(struct engine *e, int k, int p)
{
    char err[256], who[33], pid[33];
    static struct rec_result r;
    id(who, 0xA000, (unsigned)k);
    id(pid, 0xB000, (unsigned)p);
    struct rec_request req = {.user = who, .count = 5};
    if (engine_recommend(e, &req, &r, err, sizeof err) < 0)
        return NULL;
    for (int i = 0; i < r.n_items; i++)
        if (!strcmp(r.items[i].product_id, pid))
            return r.items[i].fixed;
    return NULL;
}

/* Version 1 (popularity) and version 2 (hybrid, active). */
static void test_train_two_models(void)
{
    char err[512];
    int64_t v = 0;
    struct train_options o = {.db_path = db_path, .algo = "popularity", .quiet = 1};
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    o.algo = "hybrid";
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    CHECK_INT(v, 2);
}

/* Activating another version loads only its model: the catalogue is the
 * previous engine's, and every answer is the one a full open gives. */
static void test_activation_shares_catalogue(void)
{
    char err[512] = "";
    struct engine_info info;
    struct engine *e1 = open_db(db_path, NULL), *e2 = NULL, *e3 = NULL, *e4 = NULL;
    if (!e1) {
        CHECK(0);
        return;
    }
    CHECK_INT(shared(e1), 0);
    CHECK_INT(modelstore_activate(db_path, 1, err, sizeof err), 0);
    e2 = open_db(db_path, e1);
    e3 = open_db(db_path, NULL);
    if (!e2 || !e3) {
        CHECK(0);
        goto out;
    }
    CHECK_INT(shared(e2), 1);
    CHECK_INT(shared(e3), 0);
    /* the items render the same in both models: e2 took e1's rendering,
     * e3 (read afresh) made its own */
    CHECK(fixed_of(e2, 3, PHONE) != NULL);
    CHECK(fixed_of(e2, 3, PHONE) == fixed_of(e1, 3, PHONE));
    CHECK(fixed_of(e3, 3, PHONE) != fixed_of(e1, 3, PHONE));
    engine_get_info(e2, &info);
    CHECK_INT(info.version, 1);
    CHECK_STR(info.algorithm, "popularity");
    engine_release(e1); /* the catalogue lives on in e2 */
    e1 = NULL;
    CHECK(same_answers(e2, e3));
    /* and back to the hybrid, from an engine whose catalogue it shares */
    CHECK_INT(modelstore_activate(db_path, 2, err, sizeof err), 0);
    e4 = open_db(db_path, e2);
    engine_release(e3);
    e3 = open_db(db_path, NULL);
    CHECK(e4 && e3 && shared(e4) && same_answers(e4, e3));
    if (e4) {
        engine_get_info(e4, &info);
        CHECK_INT(info.version, 2);
    }
out:
    engine_release(e1);
    engine_release(e2);
    engine_release(e3);
    engine_release(e4);
}

/* Each change of the data or the file makes the reopen read everything
 * (and see the change); with no change the catalogue is shared. */
static void test_changes_read_again(void)
{
    static const struct {
        const char *what, *sql; /* sql NULL: the file is replaced by a copy */
        int shared;
    } cases[] = {
        {"nothing changed", "SELECT 1", 1},
        {"a model activated", "UPDATE models SET active = (version = 1)", 1},
        {"a customer added",
         "INSERT INTO customers VALUES('c0000000000000000000000000000077',"
         " 'a0000000000000000000000000000077', '01000', 'y', 'RJ')",
         0},
        {"a new ingest stamp", "INSERT OR REPLACE INTO meta VALUES('ingested_at', '2030-01-01')",
         0},
        {"an order added",
         "INSERT INTO orders(order_id, customer_id, order_status, order_purchase_timestamp)"
         " VALUES('d0000000000000000000000000000077', '0000000000000000000000000000c000',"
         " 'delivered', '2018-04-01 10:00:00')",
         0},
        {"the file replaced", NULL, 0},
    };
    char copy[160], tmp[170], cmd[800], err[256];
    snprintf(copy, sizeof copy, "%s/changes.db", dir);
    snprintf(tmp, sizeof tmp, "%s.new", copy);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        copy_db(copy);
        struct engine *a = open_db(copy, NULL), *b = NULL;
        if (!a) {
            CHECK(0);
            continue;
        }
        if (cases[c].sql) {
            sql_on(copy, cases[c].sql);
        } else {
            snprintf(cmd, sizeof cmd, "cp '%s' '%s' && mv '%s' '%s'", copy, tmp, tmp, copy);
            CHECK_INT(system(cmd), 0);
        }
        b = open_db(copy, a);
        if (!b || shared(b) != cases[c].shared) {
            printf("# %s: shared %d, expected %d\n", cases[c].what, b ? shared(b) : -1,
                   cases[c].shared);
            CHECK(0);
        }
        engine_release(a);
        engine_release(b);
    }
    /* what the reopen read is the new data: the added customer is known */
    copy_db(copy);
    struct engine *a = open_db(copy, NULL), *b = NULL;
    struct user_profile up;
    sql_on(copy, cases[2].sql);
    b = open_db(copy, a);
    CHECK(a && b);
    if (a && b) {
        CHECK_INT(engine_user_profile(a, "c0000000000000000000000000000077", &up, err, sizeof err),
                  ERR_NOT_FOUND);
        CHECK_INT(engine_user_profile(b, "c0000000000000000000000000000077", &up, err, sizeof err),
                  0);
        CHECK_STR(up.city, "y");
        CHECK_STR(up.state, "RJ");
        engine_user_profile_free(&up);
    }
    engine_release(a);
    engine_release(b);
    /* another database entirely is never shared */
    a = open_db(copy, NULL);
    b = a ? open_db(db_path, a) : NULL;
    CHECK(b && !shared(b));
    engine_release(a);
    engine_release(b);
    unlink(copy);
}

/* An A/B variant holds only its model; recency counts from the latest
 * purchase in the interactions view (the canceled order 8 is not one). */
static void test_variant_and_latest(void)
{
    char err[256], p3[33], phone[33];
    struct engine *base = open_db(db_path, NULL), *v = NULL;
    struct user_profile up;
    struct product_detail pd;
    if (!base) {
        CHECK(0);
        return;
    }
    CHECK_INT(engine_open_variant(base, 1, &v, err, sizeof err), 0);
    engine_release(base); /* the variant keeps the catalogue */
    if (!v)
        return;
    CHECK_INT(shared(v), 1);
    id(p3, 0xA000, 3);
    CHECK_INT(engine_user_profile(v, p3, &up, err, sizeof err), 0);
    CHECK_STR(up.last_purchase, "2017-12-15 10:00:00");
    CHECK_INT(up.has_recency, 1);
    CHECK_INT(up.recency_days, 76); /* to 2018-03-01 */
    engine_user_profile_free(&up);
    id(phone, 0xB000, PHONE); /* bought in order 3, reviewed 5 */
    CHECK_INT(engine_product_detail(v, phone, &pd, err, sizeof err), 0);
    CHECK_INT(pd.n_ratings, 1);
    CHECK_NEAR(pd.avg_rating, 5.0, 1e-9);
    CHECK_NEAR(pd.price, 10.5, 1e-9);
    engine_release(v);
}

/* Ids that are not 32 lowercase hexadecimal characters (interned as
 * strings, not as numbers) are listed as stored all the same. */
static void test_odd_order_ids(void)
{
    char copy[160], sql[400], o7[33], p1[33], err[256];
    struct user_profile up;
    snprintf(copy, sizeof copy, "%s/odd_ids.db", dir);
    copy_db(copy);
    id(o7, 0xD000, 7);
    snprintf(sql, sizeof sql,
             "UPDATE orders SET order_id = 'ORDER-7' WHERE order_id = '%s';"
             "UPDATE order_items SET order_id = 'ORDER-7' WHERE order_id = '%s'",
             o7, o7);
    sql_on(copy, sql);
    struct engine *e = open_db(copy, NULL);
    id(p1, 0xA000, 1); /* orders 3 and 7 (the latest) */
    CHECK(e != NULL);
    if (e && engine_user_profile(e, p1, &up, err, sizeof err) == 0) {
        CHECK_INT(up.n_purchases, 4);
        CHECK_INT(up.orders, 2);
        if (up.n_purchases == 4) {
            CHECK_STR(up.purchases[3].order_id, "ORDER-7");
            CHECK_STR(up.purchases[0].order_id, "0000000000000000000000000000d003");
        }
        engine_user_profile_free(&up);
    } else {
        CHECK(0);
    }
    engine_release(e);
    unlink(copy);
}

/* An SQL error part-way through a table fails the open with a message
 * naming the table and the file, instead of a catalogue that lacks the
 * rows after it. The generated column fails on the row of customer 4 (or
 * the one review) only, so the other readers of those tables still work. */
static void test_sql_error_mid_table(void)
{
    static const struct {
        const char *what, *sql;
    } cases[] = {
        {"customers",
         "PRAGMA legacy_alter_table = ON;"
         "CREATE TABLE c2(customer_id TEXT, customer_unique_id TEXT,"
         " customer_zip_code_prefix TEXT, customer_city TEXT, st TEXT);"
         "INSERT INTO c2 SELECT * FROM customers ORDER BY rowid;"
         "ALTER TABLE c2 ADD COLUMN customer_state TEXT AS (CASE WHEN customer_id LIKE '%c004'"
         " THEN abs(-9223372036854775808) ELSE st END);"
         "DROP TABLE customers; ALTER TABLE c2 RENAME TO customers"},
        {"product details",
         "PRAGMA legacy_alter_table = ON;"
         "CREATE TABLE r2(review_id TEXT, order_id TEXT, score INTEGER);"
         "INSERT INTO r2 SELECT review_id, order_id, review_score FROM order_reviews;"
         "ALTER TABLE r2 ADD COLUMN review_score INTEGER AS (CASE WHEN score IS NOT NULL"
         " THEN abs(-9223372036854775808) END);"
         "DROP TABLE order_reviews; ALTER TABLE r2 RENAME TO order_reviews"},
    };
    char copy[160], err[512];
    snprintf(copy, sizeof copy, "%s/sql_error.db", dir);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        struct engine *e = NULL;
        copy_db(copy);
        sql_on(copy, cases[c].sql);
        err[0] = 0;
        int rc = engine_reopen(copy, NULL, &e, err, sizeof err);
        if (rc >= 0 || !strstr(err, cases[c].what) || !strstr(err, copy))
            printf("# %s: rc %d, err \"%s\"\n", cases[c].what, rc, err);
        CHECK(rc < 0);
        CHECK(strstr(err, cases[c].what) != NULL);
        CHECK(strstr(err, copy) != NULL);
        CHECK(e == NULL);
        engine_release(e);
    }
    unlink(copy);
}

int main(void)
{
    engine_set_item_renderer(render);
    fixture_make_db();
    RUN(test_train_two_models);
    RUN(test_activation_shares_catalogue);
    RUN(test_changes_read_again);
    RUN(test_variant_and_latest);
    RUN(test_odd_order_ids);
    RUN(test_sql_error_mid_table);
    fixture_remove();
    return TEST_SUMMARY();
}
