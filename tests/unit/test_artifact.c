/* engine/artifact: a version exported from the tiny shop serves exactly as
 * the database it came from, alone, with only that version in it. */
#include <sqlite3.h>

#include "engine/artifact.h"
#include "engine/engine.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "util/error.h"
#include "test.h"

static char art[160];

static int64_t count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_export_serves_alone(void)
{
    char err[512];
    int64_t v = 0;
    struct train_options o = {.db_path = db_path, .algo = "popularity", .quiet = 1};
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    o.algo = "itemcf";
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    CHECK_INT(v, 2);
    struct model_meta mm;
    /* version 1 is no longer active in the database: the artifact makes it so */
    CHECK_INT(artifact_export(db_path, 1, art, &mm, err, sizeof err), 0);
    CHECK_INT(mm.version, 1);
    CHECK_STR(mm.algorithm, "popularity");
    modelstore_meta_free(&mm);
    CHECK_INT(count(art, "SELECT COUNT(*) FROM models"), 1);
    CHECK_INT(count(art, "SELECT version FROM models WHERE active = 1"), 1);
    CHECK_INT(count(art, "SELECT COUNT(DISTINCT version) FROM model_parts"), 1);
    CHECK_INT(count(art, "SELECT COUNT(*) FROM order_reviews WHERE review_comment_message"
                         " IS NOT NULL"),
              0);
    CHECK_INT(count(art, "SELECT COUNT(*) FROM interactions"),
              count(db_path, "SELECT COUNT(*) FROM interactions"));

    /* version 2 through the engine: the same answers from the artifact */
    CHECK_INT(artifact_export(db_path, 2, art, &mm, err, sizeof err), 0);
    modelstore_meta_free(&mm);
    struct engine *a = NULL, *b = NULL;
    CHECK_INT(engine_open(art, &a, err, sizeof err), 0);
    CHECK_INT(engine_open(db_path, &b, err, sizeof err), 0);
    if (!a || !b) {
        engine_release(a);
        engine_release(b);
        return;
    }
    CHECK(engine_warning(a) == NULL);
    struct engine_info ia, ib;
    engine_get_info(a, &ia);
    engine_get_info(b, &ib);
    CHECK_INT(ia.version, 2);
    CHECK_STR(ia.algorithm, "itemcf");
    CHECK_INT(ia.users, ib.users);
    CHECK_INT(ia.products, ib.products);
    static struct rec_result ra, rb;
    char user[33];
    id(user, 0xA000, 0);
    struct rec_request rq = {.user = user, .count = 5};
    CHECK_INT(engine_recommend(a, &rq, &ra, err, sizeof err), 0);
    CHECK_INT(engine_recommend(b, &rq, &rb, err, sizeof err), 0);
    CHECK_INT(ra.n_items, rb.n_items);
    for (int i = 0; i < ra.n_items && i < rb.n_items; i++) {
        CHECK_STR(ra.items[i].product_id, rb.items[i].product_id);
        CHECK_NEAR(ra.items[i].price, rb.items[i].price, 1e-9);
        CHECK_NEAR(ra.items[i].avg_rating, rb.items[i].avg_rating, 1e-9);
    }
    struct user_profile pa, pb;
    CHECK_INT(engine_user_profile(a, user, &pa, err, sizeof err), 0);
    CHECK_INT(engine_user_profile(b, user, &pb, err, sizeof err), 0);
    CHECK_INT(pa.n_purchases, pb.n_purchases);
    CHECK_STR(pa.city, pb.city);
    engine_user_profile_free(&pa);
    engine_user_profile_free(&pb);
    engine_release(a);
    engine_release(b);
}

static void test_export_errors(void)
{
    char err[512], bad[200];
    struct model_meta mm;
    CHECK_INT(artifact_export(db_path, 99, art, &mm, err, sizeof err), ERR_NOT_FOUND);
    CHECK(strstr(err, "99") != NULL);
    snprintf(bad, sizeof bad, "%s/no/such/dir/a.db", dir);
    CHECK(artifact_export(db_path, 1, bad, &mm, err, sizeof err) < 0);
    CHECK(strstr(err, bad) != NULL);
    /* the artifact from before is untouched by the failures */
    CHECK_INT(count(art, "SELECT version FROM models WHERE active = 1"), 2);
}

int main(void)
{
    fixture_make_db();
    snprintf(art, sizeof art, "%s/artifact.db", dir);
    RUN(test_export_serves_alone);
    RUN(test_export_errors);
    fixture_remove();
    return TEST_SUMMARY();
}
