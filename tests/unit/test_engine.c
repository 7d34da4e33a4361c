/* Engine unit tests on hand-built data with hand-computed answers: SHA-256
 * vectors, CSR building, cosine similarity and neighbour selection, owned-item
 * exclusion, cold start, metrics, ALS determinism, and the model store
 * (save, load, activate, rollback, corruption fallback) on real SQLite files. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/algo.h"
#include "engine/eval.h"
#include "engine/modelstore.h"
#include "engine/recommend.h"
#include "ingest/schema.h"
#include "util/sha256.h"
#include "engine/train.h"
#include "engine/usercf.h"
#include "test.h"

static char dir[64], db_path[128];

/* ids: people A.., customers C.., products B.., orders D.. */
static void id(char out[33], unsigned base, unsigned k)
{
    snprintf(out, 33, "%032x", base + k);
}

enum { PHONE = 1, LAPTOP, MOUSE, KEYBOARD, TABLET, HEADSET, CABLE };

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        printf("# sql failed: %s\n", msg);
        sqlite3_free(msg);
    }
}

static void order(sqlite3 *db, int o, int cust, const char *status, const char *ts,
                  const int *products, int n)
{
    char oid[33], cid[33], pid[33], sql[512];
    id(oid, 0xD000, (unsigned)o);
    id(cid, 0xC000, (unsigned)cust);
    snprintf(sql, sizeof sql,
             "INSERT INTO orders(order_id, customer_id, order_status, order_purchase_timestamp)"
             " VALUES('%s', '%s', '%s', '%s')",
             oid, cid, status, ts);
    exec(db, sql);
    for (int i = 0; i < n; i++) {
        id(pid, 0xB000, (unsigned)products[i]);
        snprintf(
            sql, sizeof sql,
            "INSERT INTO order_items VALUES('%s', %d, '%s', 'ffffffffffffffffffffffffffffffff',"
            " NULL, %d.5, 1.0, 0)",
            oid, i + 1, pid, 10 * products[i]);
        exec(db, sql);
    }
}

/* The tiny shop of the tests (see the comments for the hand-computed answers). */
static void make_db(void)
{
    sqlite3 *db;
    char sql[512], a[33], b[33];
    snprintf(dir, sizeof dir, "/tmp/recsys-test-engine.XXXXXX");
    if (!mkdtemp(dir))
        return;
    snprintf(db_path, sizeof db_path, "%s/olist.db", dir);
    sqlite3_open(db_path, &db);
    exec(db, schema_sql());
    exec(db,
         "INSERT INTO product_category_name_translation VALUES('telefonia','telephony'),"
         "('informatica_acessorios','computers_accessories');"
         "INSERT INTO sellers VALUES('ffffffffffffffffffffffffffffffff','01000','sao paulo','SP')");
    static const char *const cat[] = {"",
                                      "telefonia",
                                      "informatica_acessorios",
                                      "informatica_acessorios",
                                      "informatica_acessorios",
                                      "telefonia",
                                      "eletronicos",
                                      "informatica_acessorios"};
    for (int p = PHONE; p <= CABLE; p++) {
        id(a, 0xB000, (unsigned)p);
        snprintf(sql, sizeof sql,
                 "INSERT INTO products(product_id, product_category_name)"
                 " VALUES('%s', '%s')",
                 a, cat[p]);
        exec(db, sql);
    }
    /* people 0..4; person 0 has two customer ids (0 and 10) */
    static const char *const st[] = {"SP", "RJ", "SP", "MG", "SP"};
    for (int k = 0; k <= 10; k++) {
        if (k > 4 && k < 10)
            continue;
        id(a, 0xC000, (unsigned)k);
        id(b, 0xA000, (unsigned)(k == 10 ? 0 : k));
        snprintf(sql, sizeof sql, "INSERT INTO customers VALUES('%s', '%s', '01000', 'x', '%s')", a,
                 b, st[k == 10 ? 0 : k]);
        exec(db, sql);
    }
    order(db, 1, 0, "delivered", "2017-10-01 10:00:00", (int[]){PHONE, LAPTOP}, 2);
    order(db, 2, 10, "delivered", "2017-11-01 10:00:00", (int[]){MOUSE, KEYBOARD}, 2);
    order(db, 3, 1, "delivered", "2017-11-10 10:00:00", (int[]){PHONE, LAPTOP, TABLET}, 3);
    order(db, 4, 2, "delivered", "2017-12-01 10:00:00", (int[]){PHONE}, 1);
    order(db, 5, 3, "delivered", "2017-12-15 10:00:00", (int[]){HEADSET}, 1);
    order(db, 6, 4, "delivered", "2018-02-01 10:00:00", (int[]){TABLET}, 1);
    order(db, 7, 1, "delivered", "2018-03-01 10:00:00", (int[]){HEADSET}, 1);
    order(db, 8, 3, "canceled", "2017-12-20 10:00:00", (int[]){LAPTOP}, 1);
    id(a, 0xD000, 3);
    snprintf(sql, sizeof sql,
             "INSERT INTO order_reviews(review_id, order_id, review_score)"
             " VALUES('r1', '%s', 5)",
             a);
    exec(db, sql);
    sqlite3_close(db);
}

static int32_t item_of(const struct model *m, int p)
{
    char a[33];
    id(a, 0xB000, (unsigned)p);
    return idmap_find(&m->ctx.items, a);
}
static int32_t user_of(const struct model *m, int k)
{
    char a[33];
    id(a, 0xA000, (unsigned)k);
    return idmap_find(&m->ctx.users, a);
}

static void test_sha256_vectors(void)
{
    char hex[65];
    sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(m448, strlen(m448), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', streamed in uneven chunks */
    static char buf[1000000];
    memset(buf, 'a', sizeof buf);
    struct sha256_ctx c;
    uint8_t d[32];
    sha256_init(&c);
    for (size_t off = 0, step = 1; off < sizeof buf; off += step, step = step * 3 % 997 + 1)
        sha256_update(&c, buf + off, off + step > sizeof buf ? sizeof buf - off : step);
    sha256_final(&c, d);
    CHECK_INT(d[0], 0xcd);
    CHECK_INT(d[1], 0xc7);
    CHECK_INT(d[31], 0xd0);
    sha256_hex(buf, sizeof buf, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_csr_merges_duplicates(void)
{
    int32_t r[] = {1, 0, 1, 1, 0}, c[] = {2, 1, 0, 2, 1};
    struct csr m, t;
    CHECK_INT(csr_from_pairs(2, 3, 5, r, c, &m, NULL, 0), 0);
    CHECK_INT(m.nnz, 3);
    CHECK_INT(m.ptr[1], 1);
    CHECK_INT(m.idx[0], 1);
    CHECK_NEAR(m.val[0], 2, 0);
    CHECK_INT(m.idx[1], 0);
    CHECK_INT(m.idx[2], 2);
    CHECK_NEAR(m.val[2], 2, 0);
    CHECK_INT(csr_transpose(&m, &t, NULL, 0), 0);
    CHECK_INT(t.n_rows, 3);
    CHECK_INT(t.ptr[3], 3);
    CHECK_INT(t.idx[t.ptr[2]], 1); /* column 2 bought by row 1 */
    csr_free(&m);
    csr_free(&t);
}

static void test_dates(void)
{
    char s[11];
    CHECK_INT(ds_parse_day("1970-01-02"), 1);
    CHECK_INT(ds_parse_day("2018-01-01 00:00:01") - ds_parse_day("2017-12-31"), 1);
    CHECK_INT(ds_parse_day("2018-13-01"), -1);
    CHECK_INT(ds_parse_day("2018/01/01"), -1);
    CHECK_INT(ds_parse_day(NULL), -1);
    ds_format_day(ds_parse_day("2016-02-29"), s);
    CHECK_STR(s, "2016-02-29");
}

/* {Phone, Laptop, Mouse, Keyboard} . {Phone, Laptop, Tablet} = 2 / (2 sqrt 3) */
static void test_cosine_hand_computed(void)
{
    int32_t r[] = {0, 0, 0, 0, 1, 1, 1}, c[] = {0, 1, 2, 3, 0, 1, 4};
    struct csr ui, iu;
    double cos;
    csr_from_pairs(2, 5, 7, r, c, &ui, NULL, 0);
    csr_transpose(&ui, &iu, NULL, 0);
    usercf_similarity(&ui, &iu, 0, 1, &cos);
    CHECK_NEAR(cos, 2.0 / (2.0 * sqrt(3.0)), 1e-12);
    CHECK_NEAR(cos, 0.577, 0.0005);
    struct knn k;
    CHECK_INT(usercf_fit_knn(&ui, &iu, 50, 0.3, 200, &k, NULL, 0), 0);
    CHECK_INT(k.ptr[1] - k.ptr[0], 1);
    CHECK_INT(k.idx[0], 1);
    CHECK_NEAR(k.sim[0], 0.57735, 1e-5);
    knn_free(&k);
    csr_free(&ui);
    csr_free(&iu);
}

/* user 0 = {A,B,C,D}; 1 = {A,B,E} (0.577); 2 = {A} (0.5); 3 = {F} (0) */
static void test_neighbour_threshold_and_topk(void)
{
    int32_t r[] = {0, 0, 0, 0, 1, 1, 1, 2, 3}, c[] = {0, 1, 2, 3, 0, 1, 4, 0, 5};
    struct csr ui, iu;
    struct knn k;
    csr_from_pairs(4, 6, 9, r, c, &ui, NULL, 0);
    csr_transpose(&ui, &iu, NULL, 0);
    usercf_fit_knn(&ui, &iu, 50, 0.3, 200, &k, NULL, 0);
    CHECK_INT(k.ptr[1] - k.ptr[0], 2);
    CHECK_INT(k.idx[0], 1); /* best first */
    CHECK_INT(k.idx[1], 2);
    CHECK_NEAR(k.sim[1], 0.5, 1e-6);
    CHECK_INT(k.ptr[4] - k.ptr[3], 0); /* user 3 shares nothing */
    knn_free(&k);
    usercf_fit_knn(&ui, &iu, 50, 0.55, 200, &k, NULL, 0);
    CHECK_INT(k.ptr[1] - k.ptr[0], 1);
    knn_free(&k);
    usercf_fit_knn(&ui, &iu, 1, 0.3, 200, &k, NULL, 0);
    CHECK_INT(k.ptr[1] - k.ptr[0], 1);
    CHECK_INT(k.idx[0], 1);
    /* user 2 = {A}: cos with 0 is 0.5, with 1 is 0.577 -> top-1 is user 1 */
    CHECK_INT(k.idx[k.ptr[2]], 1);
    knn_free(&k);
    /* a cap of 1 posting per product still finds a neighbour, never more work */
    usercf_fit_knn(&ui, &iu, 50, 0.0, 1, &k, NULL, 0);
    CHECK(k.ptr[1] - k.ptr[0] <= 1);
    knn_free(&k);
    csr_free(&ui);
    csr_free(&iu);
}

static void test_metrics_hand_computed(void)
{
    struct eval_metrics m = {0};
    int32_t ranked[] = {1, 2, 3}, truth[] = {2, 5};
    eval_score_ranking(ranked, 3, truth, 2, 3, &m);
    CHECK_NEAR(m.precision, 1.0 / 3, 1e-12);
    CHECK_NEAR(m.recall, 0.5, 1e-12);
    CHECK_NEAR(m.hit_rate, 1, 0);
    CHECK_NEAR(m.ndcg, (1 / log2(3)) / (1 + 1 / log2(3)), 1e-12);
    int32_t miss[] = {7, 8};
    eval_score_ranking(miss, 2, truth, 2, 3, &m);
    CHECK_INT(m.users, 2);
    CHECK_NEAR(m.hit_rate, 1, 0); /* sums until finished */
    struct eval_metrics p = {0};
    int32_t perfect[] = {2, 5}, t2[] = {2, 5};
    eval_score_ranking(perfect, 2, t2, 2, 2, &p);
    CHECK_NEAR(p.ndcg, 1, 1e-12);
    CHECK_NEAR(p.precision, 1, 1e-12);
}

static int load_ds(struct dataset *ds)
{
    char err[256];
    int rc = dataset_load(db_path, ds, err, sizeof err);
    if (rc < 0)
        printf("# %s\n", err);
    return rc;
}

static void test_dataset_from_sqlite(void)
{
    struct dataset ds;
    if (load_ds(&ds) < 0) {
        CHECK(0);
        return;
    }
    CHECK_INT(ds.users.n, 5);
    CHECK_INT(ds.items.n, 7);
    CHECK_INT(ds.n_events, 11); /* the canceled order is not an interaction */
    CHECK_INT(ds.n_states, 3);
    char a[33];
    id(a, 0xB000, PHONE);
    CHECK_STR(ds.cats[ds.item_cat[idmap_find(&ds.items, a)]], "telephony");
    id(a, 0xB000, HEADSET);
    CHECK_STR(ds.cats[ds.item_cat[idmap_find(&ds.items, a)]], "eletronicos");
    CHECK_NEAR(ds.item_price[idmap_find(&ds.items, a)], 60.5, 1e-4);
    /* the in-memory join gives exactly the rows of the interactions view */
    struct dataset dv;
    char err[256];
    CHECK_INT(dataset_load_mode(db_path, &dv, 1, err, sizeof err), 0);
    CHECK_INT(dv.n_events, ds.n_events);
    CHECK(dv.n_events == ds.n_events &&
          !memcmp(dv.events, ds.events, (size_t)ds.n_events * sizeof *ds.events));
    dataset_free(&dv);
    dataset_free(&ds);
}

static void test_usercf_excludes_owned_and_scores(void)
{
    struct dataset ds;
    struct model m;
    char err[256];
    if (load_ds(&ds) < 0 ||
        model_train(&ds, "usercf", NULL, ds_parse_day("2018-01-01"), &m, err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    struct rec_query q = {.user = user_of(&m, 0), .state = -1, .n = 5};
    struct rec_list out = {0};
    m.ops->recommend(&m, &q, &out);
    CHECK_INT(out.n, 3); /* 7 products, 4 owned */
    /* neighbours of person 0: 1 (0.577) and 2 (0.5); the only unowned
     * candidate is Tablet: 0.577 / 1.077 x (1 + 1 purchase) */
    CHECK_INT(out.items[0].item, item_of(&m, TABLET));
    CHECK_STR(out.items[0].source, "usercf");
    CHECK_NEAR(out.items[0].score, 2 * (1 / sqrt(3)) / (1 / sqrt(3) + 0.5), 1e-5);
    for (int i = 0; i < out.n; i++) {
        CHECK(!model_owns(&m, q.user, out.items[i].item));
        for (int j = 0; j < i; j++)
            CHECK(out.items[i].item != out.items[j].item);
    }
    /* repurchase allowed: owned products may come back (Phone, Laptop from neighbours) */
    q.allow_repurchase = 1;
    out.n = 0;
    m.ops->recommend(&m, &q, &out);
    int owned = 0;
    for (int i = 0; i < out.n; i++)
        owned += model_owns(&m, q.user, out.items[i].item);
    CHECK(owned > 0);
    model_free(&m);
    dataset_free(&ds);
}

static void test_cold_start_popularity(void)
{
    struct dataset ds;
    struct model m;
    char err[256];
    if (load_ds(&ds) < 0 ||
        model_train(&ds, "hybrid", NULL, ds_parse_day("2018-01-01"), &m, err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    /* window [2017-12-02, 2018-01-01): Headset once; then all-time Phone 3, Laptop 2 */
    struct rec_query q = {.user = -1, .state = -1, .n = 3};
    struct rec_list out = {0};
    algo_popularity.recommend(&m, &q, &out);
    CHECK_INT(out.n, 3);
    CHECK_INT(out.items[0].item, item_of(&m, HEADSET));
    CHECK_INT(out.items[1].item, item_of(&m, PHONE));
    CHECK_INT(out.items[2].item, item_of(&m, LAPTOP));
    CHECK_STR(out.items[0].source, "popularity:global");
    /* the hybrid gives an unknown user a full list, all from popularity */
    out.n = 0;
    q.n = 7;
    m.ops->recommend(&m, &q, &out);
    CHECK_INT(out.n, 7);
    for (int i = 0; i < out.n; i++)
        CHECK(!strncmp(out.items[i].source, "popularity", 10));
    model_free(&m);
    dataset_free(&ds);
}

static void test_eval_hand_computed(void)
{
    struct dataset ds;
    struct model m;
    struct eval_result r;
    char err[256];
    int32_t cut = ds_parse_day("2018-01-01");
    if (load_ds(&ds) < 0 || model_train(&ds, "popularity", NULL, cut, &m, err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    /* test users: person 4 (Tablet; gets Headset, Phone, Laptop: miss) and
     * person 1 (Headset; owns Phone, Laptop, Tablet; gets Headset first: hit) */
    CHECK_INT(eval_model(&m, &ds, cut, 3, 0, &r, err, sizeof err), 0);
    CHECK_INT(r.all.users, 2);
    CHECK_NEAR(r.all.hit_rate, 0.5, 1e-12);
    CHECK_NEAR(r.all.precision, (1.0 / 3) / 2, 1e-12);
    CHECK_NEAR(r.all.recall, 0.5, 1e-12);
    CHECK_NEAR(r.all.ndcg, 0.5, 1e-12);
    CHECK_INT(r.warm.users, 1);
    CHECK_NEAR(r.warm.hit_rate, 1, 1e-12);
    CHECK_INT(eval_model(&m, &ds, ds_parse_day("2019-01-01"), 3, 0, &r, err, sizeof err), -1);
    model_free(&m);
    dataset_free(&ds);
}

static void test_als_deterministic(void)
{
    struct dataset ds;
    struct model a, b, c;
    struct algo_params p;
    char err[256];
    int32_t cut = ds_parse_day("2018-01-01");
    algo_params_default(&p);
    p.factors = 4;
    p.iterations = 5;
    if (load_ds(&ds) < 0 || model_train(&ds, "als", &p, cut, &a, err, sizeof err) < 0 ||
        model_train(&ds, "als", &p, cut, &b, err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    size_t nu = (size_t)a.ctx.users.n * 4, ni = (size_t)a.ctx.items.n * 4;
    CHECK(!memcmp(a.als_u, b.als_u, nu * sizeof(float)));
    CHECK(!memcmp(a.als_v, b.als_v, ni * sizeof(float)));
    p.seed = 7;
    model_train(&ds, "als", &p, cut, &c, err, sizeof err);
    CHECK(memcmp(a.als_v, c.als_v, ni * sizeof(float)) != 0);
    /* person 0 prefers Tablet (bought by its neighbour) to Headset */
    struct cand_buf cb = {0};
    struct rec_query q = {.user = user_of(&a, 0), .state = -1, .n = 5};
    als_scores(&a, &q, 5, &cb);
    CHECK(cb.n >= 2);
    CHECK_INT(cb.c[0].item, item_of(&a, TABLET));
    cand_free(&cb);
    model_free(&c);
    /* the exact Cholesky solver agrees in ranking */
    p.seed = 42;
    p.cg_steps = 0;
    model_train(&ds, "als", &p, cut, &c, err, sizeof err);
    als_scores(&c, &q, 5, &cb);
    CHECK(cb.n >= 1 && cb.c[0].item == item_of(&a, TABLET));
    cand_free(&cb);
    model_free(&a);
    model_free(&b);
    model_free(&c);
    dataset_free(&ds);
}

static void test_serialize_roundtrip(void)
{
    struct dataset ds;
    struct model m, l;
    uint8_t *blob;
    size_t len;
    char err[256];
    if (load_ds(&ds) < 0 ||
        model_train(&ds, "hybrid", NULL, ds_parse_day("2018-01-01"), &m, err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    CHECK_INT(modelstore_serialize(&m, &blob, &len, err, sizeof err), 0);
    if (modelstore_deserialize(blob, len, &l, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        free(blob);
        model_free(&m);
        dataset_free(&ds);
        return;
    }
    struct rec_query q = {.user = user_of(&m, 0), .state = 0, .n = 6};
    struct rec_list x = {0}, y = {0};
    m.ops->recommend(&m, &q, &x);
    l.ops->recommend(&l, &q, &y);
    CHECK_INT(x.n, y.n);
    for (int i = 0; i < x.n && i < y.n; i++) {
        CHECK_INT(x.items[i].item, y.items[i].item);
        CHECK_STR(x.items[i].source, y.items[i].source);
    }
    /* every truncation is rejected, never read past */
    int bad = 0;
    for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
        struct model t;
        if (modelstore_deserialize(blob, cut, &t, err, sizeof err) == 0) {
            bad++;
            model_free(&t);
        }
    }
    CHECK_INT(bad, 0);
    free(blob);
    model_free(&l);
    model_free(&m);
    dataset_free(&ds);
}

static void test_models_save_activate_rollback(void)
{
    char err[512];
    int64_t v1 = 0, v2 = 0, now = 0, act = 0;
    struct train_options o = {.db_path = db_path, .algo = "popularity", .quiet = 1};
    CHECK_INT(models_active_version(db_path, &act), 0);
    CHECK_INT(act, 0);
    CHECK_INT(train_run(&o, &v1, err, sizeof err), 0);
    o.algo = "hybrid";
    CHECK_INT(train_run(&o, &v2, err, sizeof err), 0);
    CHECK_INT(v1, 1);
    CHECK_INT(v2, 2);
    models_active_version(db_path, &act);
    CHECK_INT(act, 2);
    cJSON *l = models_list_json(db_path, err, sizeof err);
    CHECK(l != NULL);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(l, "models")), 2);
    CHECK_INT(cJSON_GetObjectItem(l, "active")->valueint, 2);
    /* metrics were stored: evaluated at 2018-01-01 with the baseline */
    cJSON *m2 = cJSON_GetArrayItem(cJSON_GetObjectItem(l, "models"), 1);
    cJSON *hr = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m2, "metrics"), "baseline"),
                            "all"),
        "hit_rate");
    CHECK(cJSON_IsNumber(hr));
    CHECK_STR(cJSON_GetObjectItem(m2, "sha256")->valuestring[64] == 0 ? "64" : "?", "64");
    cJSON_Delete(l);
    CHECK_INT(models_rollback(db_path, &now, err, sizeof err), 0);
    CHECK_INT(now, 1);
    models_active_version(db_path, &act);
    CHECK_INT(act, 1);
    CHECK_INT(models_activate(db_path, 2, err, sizeof err), 0);
    CHECK_INT(models_activate(db_path, 99, err, sizeof err), -1);
    CHECK(strstr(err, "99") != NULL);
    CHECK_INT(models_rollback(db_path, &now, err, sizeof err), 0);
    CHECK_INT(now, 1);
    CHECK_INT(models_rollback(db_path, &now, err, sizeof err), -1);
    CHECK_INT(models_activate(db_path, 2, err, sizeof err), 0);
    /* bad options */
    o.algo = "magic";
    CHECK_INT(train_run(&o, NULL, err, sizeof err), -1);
    o.algo = "hybrid";
    o.cutoff = "01/01/2018";
    CHECK_INT(train_run(&o, NULL, err, sizeof err), -1);
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
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), -1);
    req.user = p0;
    req.count = 0;
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), -1);
    req.count = 101;
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), -1);
    /* JSON renderings */
    req.count = 2;
    engine_recommend(e, &req, &r, err, sizeof err);
    cJSON *j = rec_result_to_json(&r);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "recommendations")), 2);
    CHECK_STR(cJSON_GetObjectItem(j, "user_id")->valuestring, p0);
    cJSON_Delete(j);
    int found = 0;
    j = engine_user_json(e, c0b, &found, err, sizeof err);
    CHECK_INT(found, 1);
    CHECK_INT(cJSON_GetObjectItem(j, "orders")->valueint, 2);
    CHECK_INT(cJSON_GetObjectItem(j, "products")->valueint, 4);
    CHECK_STR(cJSON_GetObjectItem(j, "first_purchase")->valuestring, "2017-10-01 10:00:00");
    cJSON_Delete(j);
    j = engine_user_json(e, "0123456789abcdef0123456789abcdef", &found, err, sizeof err);
    CHECK(j == NULL);
    CHECK_INT(found, 0);
    j = engine_product_json(e, phone, &found, err, sizeof err);
    CHECK_INT(found, 1);
    CHECK_STR(cJSON_GetObjectItem(j, "category_pt")->valuestring, "telefonia");
    CHECK_NEAR(cJSON_GetObjectItem(j, "avg_rating")->valuedouble, 5, 1e-9);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "similar")) > 0);
    cJSON_Delete(j);
    j = engine_info_to_json(e);
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(j, "metrics")));
    cJSON_Delete(j);
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

    models_active_version(db_path, &before);
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
    CHECK_INT(models_activate(db_path, before, err, sizeof err), 0);

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

/* A model stored in many small parts (RECSYS_MODEL_PART) loads back whole:
 * same recommendations as the one stored in a single part. */
static void test_model_in_parts(void)
{
    char err[512], p0[33];
    int64_t v1 = 0, v2 = 0, before = 0;
    struct engine *e;
    struct rec_result a, b;
    id(p0, 0xA000, 0);
    struct rec_request req = {.user = p0, .count = 5};
    struct train_options o = {.db_path = db_path, .algo = "hybrid", .quiet = 1, .no_eval = 1};
    models_active_version(db_path, &before);
    CHECK_INT(train_run(&o, &v1, err, sizeof err), 0);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK_INT(engine_recommend(e, &req, &a, err, sizeof err), 0);
    engine_release(e);
    setenv("RECSYS_MODEL_PART", "100", 1);
    CHECK_INT(train_run(&o, &v2, err, sizeof err), 0);
    unsetenv("RECSYS_MODEL_PART");
    sqlite3 *db;
    sqlite3_stmt *st;
    int parts = 0, big = 0;
    sqlite3_open(db_path, &db);
    if (sqlite3_prepare_v2(db,
                           "SELECT COUNT(*), MAX(length(blob)) FROM model_parts"
                           " WHERE version = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, v2);
        if (sqlite3_step(st) == SQLITE_ROW)
            parts = sqlite3_column_int(st, 0), big = sqlite3_column_int(st, 1);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    CHECK(parts > 10);
    CHECK_INT(big, 100);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK(engine_warning(e) == NULL);
    CHECK_INT(engine_recommend(e, &req, &b, err, sizeof err), 0);
    CHECK_INT(a.n_items, b.n_items);
    for (int i = 0; i < a.n_items && i < b.n_items; i++)
        CHECK_STR(a.items[i].product_id, b.items[i].product_id);
    engine_release(e);
    CHECK_INT(models_activate(db_path, before, err, sizeof err), 0);
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

/* A known user whose purchases cannot be read (the database went away after
 * the engine loaded) is a failure (found = 1, NULL: HTTP 500), not an
 * unknown user (found = 0: HTTP 404). */
static void test_user_json_failure_is_not_a_miss(void)
{
    char err[512] = "", copy[160], c0b[33], cmd[400];
    struct engine *e;
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", db_path, copy);
    CHECK_INT(system(cmd), 0);
    if (engine_open(copy, &e, err, sizeof err) < 0) {
        printf("# %s\n", err);
        CHECK(0);
        return;
    }
    CHECK_INT(unlink(copy), 0);
    id(c0b, 0xC000, 10);
    int found = 0;
    err[0] = 0;
    cJSON *j = engine_user_json(e, c0b, &found, err, sizeof err);
    CHECK(j == NULL);
    CHECK_INT(found, 1);
    CHECK(err[0] != 0);
    cJSON_Delete(j);
    /* an unknown user is still a miss */
    j = engine_user_json(e, "0123456789abcdef0123456789abcdef", &found, err, sizeof err);
    CHECK(j == NULL);
    CHECK_INT(found, 0);
    engine_release(e);
}

/* Single-byte corruptions of a valid blob (as if the checksum had matched):
 * each is rejected or yields a model that recommends within bounds (ASan
 * checks the reads) for every user. */
static void test_flipped_blob_never_crashes(void)
{
    struct dataset ds;
    struct model m;
    uint8_t *blob;
    size_t len;
    char err[256];
    if (load_ds(&ds) < 0 ||
        model_train(&ds, "hybrid", NULL, ds_parse_day("2018-01-01"), &m, err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    CHECK_INT(modelstore_serialize(&m, &blob, &len, err, sizeof err), 0);
    int rejected = 0;
    for (size_t at = 0; at < len; at++) {
        static const uint8_t flips[] = {0x01, 0x80, 0xff};
        for (size_t f = 0; f < sizeof flips; f++) {
            struct model t;
            blob[at] ^= flips[f];
            if (modelstore_deserialize(blob, len, &t, err, sizeof err) == 0) {
                for (int32_t u = -1; u < t.ctx.users.n; u++) {
                    struct rec_query q = {
                        .user = u, .state = u % 2 ? 0 : -1, .n = 10, .explain = 1};
                    if (q.state >= t.ctx.n_states)
                        q.state = -1;
                    struct rec_list out = {0};
                    t.ops->recommend(&t, &q, &out);
                    for (int i = 0; i < out.n; i++)
                        if (out.items[i].item < 0 || out.items[i].item >= t.ctx.items.n)
                            rejected = -1000000;
                }
                model_free(&t);
            } else
                rejected++;
            blob[at] ^= flips[f];
        }
    }
    CHECK(rejected > 0); /* most corruptions are caught; none returns a bad item */
    free(blob);
    model_free(&m);
    dataset_free(&ds);
}

static void test_corrupted_blob_falls_back(void)
{
    char err[512], sql[256];
    sqlite3 *db;
    struct engine *e;
    struct engine_info in;
    struct rec_result r;
    sqlite3_open(db_path, &db);
    /* same length, one byte changed: only the checksum can tell */
    exec(db, "UPDATE model_parts SET blob = CAST(substr(blob, 1, 1000) || x'ff' ||"
             " substr(blob, 1002) AS BLOB) WHERE part = 0 AND version = (SELECT version"
             " FROM models WHERE active = 1)");
    sqlite3_close(db);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK(engine_warning(e) && strstr(engine_warning(e), "sha256"));
    engine_get_info(e, &in);
    CHECK_INT(in.fallback, 1);
    CHECK_INT(in.version, 0);
    char p0[33];
    id(p0, 0xA000, 0);
    struct rec_request req = {.user = p0, .count = 3};
    CHECK_INT(engine_recommend(e, &req, &r, err, sizeof err), 0);
    CHECK_INT(r.n_items, 3);
    CHECK_STR(r.items[0].source, "popularity:global");
    engine_release(e);
    /* truncated */
    sqlite3_open(db_path, &db);
    snprintf(sql, sizeof sql,
             "UPDATE model_parts SET blob = substr(blob, 1, 100) WHERE"
             " version = (SELECT version FROM models WHERE active = 1)");
    exec(db, sql);
    sqlite3_close(db);
    CHECK_INT(engine_open(db_path, &e, err, sizeof err), 0);
    CHECK(engine_warning(e) && strstr(engine_warning(e), "truncated"));
    engine_release(e);
    /* a missing database is an error, not a fallback */
    CHECK_INT(engine_open("/nonexistent/olist.db", &e, err, sizeof err), -1);
}

int main(void)
{
    make_db();
    RUN(test_sha256_vectors);
    RUN(test_csr_merges_duplicates);
    RUN(test_dates);
    RUN(test_cosine_hand_computed);
    RUN(test_neighbour_threshold_and_topk);
    RUN(test_metrics_hand_computed);
    RUN(test_dataset_from_sqlite);
    RUN(test_usercf_excludes_owned_and_scores);
    RUN(test_cold_start_popularity);
    RUN(test_eval_hand_computed);
    RUN(test_als_deterministic);
    RUN(test_serialize_roundtrip);
    RUN(test_models_save_activate_rollback);
    RUN(test_engine_recommend_contract);
    RUN(test_engine_random_user);
    RUN(test_model_in_parts);
    RUN(test_engine_shared_by_threads);
    RUN(test_user_json_failure_is_not_a_miss);
    RUN(test_flipped_blob_never_crashes);
    RUN(test_corrupted_blob_falls_back);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return TEST_SUMMARY();
}
