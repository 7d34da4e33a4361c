/* ingest + sample on real files and real SQLite databases: cleaning counts
 * on a fixture with known answers, every bad input (message names file,
 * line and column; old database byte-identical; no temporary file left),
 * trained models carried over a re-ingest, gzip input, optional files, and
 * gen-sample determinism. Fixtures: tests/fixtures/ingest/good and bad/. */
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest/ingest.h"
#include "ingest/sample.h"
#include "test.h"
#include "util/error.h"

#define GOOD "tests/fixtures/ingest/good"
#define BAD  "tests/fixtures/ingest/bad"

static char tmp[] = "/tmp/test_ingest.XXXXXX";

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return system(cmd);
}

static long long q(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        printf("#   query failed: %s: %s\n", sql, sqlite3_errmsg(h));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static char *qs(const char *db, const char *sql, char *out, size_t n)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static int count_temp_files(const char *d)
{
    DIR *dir = opendir(d);
    int n = 0;
    struct dirent *e;
    while (dir && (e = readdir(dir)))
        n += strstr(e->d_name, ".tmp-") != NULL;
    if (dir)
        closedir(dir);
    return n;
}

/* The interrupt flag every run() passes in (ingest_options.interrupt). */
static atomic_int interrupt_flag;

static int run(const char *data, const char *db, struct ingest_summary *s, char *err)
{
    struct ingest_options o = {
        .data_dir = data, .db_path = db, .quiet = 1, .interrupt = &interrupt_flag};
    return ingest_run(&o, s, err, ERR_LEN);
}

static void test_good_fixture_counts(void)
{
    char db[300], err[ERR_LEN] = "", buf[256];
    struct ingest_summary s;
    snprintf(db, sizeof db, "%s/good.db", tmp);
    CHECK_INT(run(GOOD, db, &s, err), 0);
    if (err[0])
        printf("#   %s\n", err);
    CHECK_INT(s.rows[INGEST_TRANSLATION], 4);
    CHECK_INT(s.rows[INGEST_CUSTOMERS], 7);
    CHECK_INT(s.rows[INGEST_SELLERS], 3);
    CHECK_INT(s.rows[INGEST_PRODUCTS], 6);
    CHECK_INT(s.rows[INGEST_ORDERS], 7);
    CHECK_INT(s.rows[INGEST_ITEMS], 12);
    CHECK_INT(s.rows[INGEST_PAYMENTS], 8);
    CHECK_INT(s.rows[INGEST_REVIEWS], 4);
    CHECK_INT(s.rows[INGEST_GEOLOCATION], 3);
    /* known answers: 1 duplicate customer + 1 duplicate geolocation row; p03
     * without category; one price of 1000.00 among 12 (threshold 950.53);
     * 6 empty order timestamps + 1 empty shipping_limit_date */
    CHECK_INT(s.duplicates, 2);
    CHECK_INT(s.outros, 1);
    CHECK_INT(s.outliers, 1);
    CHECK_NEAR(s.outlier_threshold, 950.53, 0.01);
    CHECK_INT(s.null_timestamps, 7);
    CHECK_INT(s.untranslated, 2); /* pc_gamer and outros */
    CHECK_INT(s.sample, 0);
    CHECK_INT(q(db, "SELECT count(*) FROM customers"), 7);
    CHECK_INT(q(db, "SELECT count(DISTINCT customer_unique_id) FROM customers"), 6);
    CHECK_INT(q(db, "SELECT count(*) FROM geolocation"), 3);
    CHECK_INT(q(db, "SELECT count(*) FROM order_items WHERE price_outlier = 1 AND price = 1000"),
              1);
    /* 12 items - canceled o04 - unavailable o07 - the outlier */
    CHECK_INT(q(db, "SELECT count(*) FROM interactions"), 9);
    CHECK_INT(q(db, "SELECT count(DISTINCT user_id) FROM interactions"), 4);
    CHECK_INT(q(db, "SELECT count(*) FROM orders WHERE order_approved_at IS NULL"), 1);
    CHECK_INT(q(db, "SELECT count(*) FROM orders WHERE order_delivered_customer_date IS NULL"), 3);
    CHECK_INT(q(db, "SELECT typeof(price) = 'real' AND typeof(order_item_id) = 'integer' "
                    "FROM order_items LIMIT 1"),
              1);
    CHECK_STR(qs(db, "SELECT category FROM product_catalog WHERE product_id LIKE '%p01'", buf,
                 sizeof buf),
              "bed_bath_table");
    CHECK_STR(qs(db, "SELECT category FROM product_catalog WHERE product_id LIKE '%p03'", buf,
                 sizeof buf),
              "outros");
    CHECK_STR(qs(db, "SELECT category FROM product_catalog WHERE product_id LIKE '%p06'", buf,
                 sizeof buf),
              "pc_gamer");
    CHECK_STR(qs(db,
                 "SELECT review_comment_message FROM order_reviews WHERE review_id LIKE "
                 "'%r02'",
                 buf, sizeof buf),
              "Chegou r\xC3\xA1pido.\r\nObrigado, volto a comprar!");
    CHECK_STR(qs(db,
                 "SELECT review_comment_message FROM order_reviews WHERE review_id LIKE "
                 "'%r01'",
                 buf, sizeof buf),
              "Muito bom, recomendo \"demais\"");
    CHECK_STR(qs(db, "SELECT customer_zip_code_prefix FROM customers LIMIT 1", buf, sizeof buf),
              "01037");
    CHECK_INT(q(db, "SELECT count FROM ingest_report WHERE rule = 'duplicate_removed' AND "
                    "file = 'olist_customers_dataset.csv'"),
              1);
    CHECK_INT(q(db, "SELECT count FROM ingest_report WHERE rule = 'empty_category_outros'"), 1);
    CHECK_INT(q(db, "SELECT count FROM ingest_report WHERE rule = 'price_outlier_flagged'"), 1);
    CHECK_INT(q(db, "SELECT sum(count) FROM ingest_report WHERE rule = 'empty_timestamp_null'"), 7);
    CHECK_STR(qs(db, "SELECT value FROM meta WHERE key = 'dataset'", buf, sizeof buf), "real");
    CHECK_INT(q(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    CHECK_INT(q(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = "
                    "'order_items_product_id'"),
              1);
    CHECK_INT(count_temp_files(tmp), 0);
}

/* Each bad overlay over the good fixture: a sentence naming the file, the
 * line and the column; the previous database stays byte for byte. */
static void test_bad_inputs_leave_old_db(void)
{
    static const struct {
        const char *dir, *want;
    } cases[] = {
        {"renamed_column", "olist_order_items_dataset.csv line 1 column 6: unexpected column "
                           "'prize' (expected 'price')"},
        {"missing_column",
         "olist_customers_dataset.csv line 1 column 5: missing column 'customer_state'"},
        {"field_count", "olist_orders_dataset.csv line 4 column 8: expected 8 fields, found 7"},
        {"bad_price",
         "olist_order_items_dataset.csv line 3 column 6 (price): '12,50' is not a number"},
        {"bad_date", "olist_orders_dataset.csv line 3 column 4 (order_purchase_timestamp): "
                     "'24/07/2018 20:41' is not a timestamp"},
        {"binary", "olist_products_dataset.csv line 3 column 1: not a CSV file (binary data"},
        {"html", "olist_sellers_dataset.csv line 1 column 1: not a CSV file"},
        {"unterminated_quote", "olist_order_reviews_dataset.csv line 7 column 5: malformed CSV"},
        {"missing_parent",
         "olist_order_items_dataset.csv line 10 column 3 (product_id): "
         "'00000000000000000000000000000p99' is not in olist_products_dataset.csv"},
        {"conflicting_duplicate",
         "olist_customers_dataset.csv line 7 column 1 (customer_id): duplicate key"},
        {"empty_required",
         "olist_orders_dataset.csv line 5 column 2 (customer_id): empty, but a value is required"},
        {NULL, "missing file: "},
    };
    char db[300], data[300], err[ERR_LEN], before_path[300];
    struct ingest_summary s;
    snprintf(db, sizeof db, "%s/keep/olist.db", tmp);
    snprintf(data, sizeof data, "%s/overlay", tmp);
    sh("mkdir -p '%s' && true '%s'", tmp, "");
    snprintf(before_path, sizeof before_path, "%s/keep", tmp);
    mkdir(before_path, 0755);
    CHECK_INT(run(GOOD, db, &s, err), 0);
    size_t blen = 0, alen = 0;
    char *before = slurp(db, &blen);
    CHECK(before != NULL && blen > 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sh("rm -rf '%s' && cp -r " GOOD " '%s'", data, data);
        if (cases[i].dir) {
            char src[300];
            snprintf(src, sizeof src, BAD "/%s", cases[i].dir);
            sh("cp '%s'/* '%s'/", src, data);
        } else {
            sh("rm '%s/olist_orders_dataset.csv' %s", data, "");
        }
        err[0] = '\0';
        CHECK_INT(run(data, db, &s, err), -1);
        if (!strstr(err, cases[i].want))
            printf("#   case %s: got \"%s\"\n", cases[i].dir ? cases[i].dir : "missing", err);
        CHECK(strstr(err, cases[i].want) != NULL);
        char *after = slurp(db, &alen);
        CHECK(after && alen == blen && memcmp(after, before, blen) == 0);
        free(after);
        CHECK_INT(count_temp_files(before_path), 0);
    }
    free(before);
}

static void test_models_survive_reingest(void)
{
    char db[300], err[ERR_LEN] = "";
    struct ingest_summary s;
    snprintf(db, sizeof db, "%s/models.db", tmp);
    CHECK_INT(run(GOOD, db, &s, err), 0);
    sqlite3 *h;
    CHECK_INT(sqlite3_open(db, &h), SQLITE_OK);
    CHECK_INT(sqlite3_exec(h,
                           "CREATE TABLE models(version INTEGER PRIMARY KEY AUTOINCREMENT, "
                           "algorithm TEXT NOT NULL, active INTEGER, blob BLOB);"
                           "CREATE INDEX models_active ON models(active);"
                           "INSERT INTO models(algorithm, active, blob) VALUES "
                           "('popularity', 0, x'0102'), ('als', 1, zeroblob(5000));",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(h);
    CHECK_INT(run(GOOD, db, &s, err), 0);
    CHECK_INT(s.carried_tables, 1);
    CHECK_INT(q(db, "SELECT count(*) FROM models"), 2);
    CHECK_INT(q(db, "SELECT length(blob) FROM models WHERE active = 1"), 5000);
    CHECK_INT(q(db, "SELECT count(*) FROM sqlite_master WHERE name = 'models_active'"), 1);
    CHECK_INT(q(db, "SELECT count(*) FROM orders"), 7);
    /* and once more: still there, not doubled */
    CHECK_INT(run(GOOD, db, &s, err), 0);
    CHECK_INT(q(db, "SELECT count(*) FROM models"), 2);
}

static void test_not_a_database_is_not_replaced(void)
{
    char db[300], err[ERR_LEN] = "";
    struct ingest_summary s;
    snprintf(db, sizeof db, "%s/notes.db", tmp);
    FILE *f = fopen(db, "w");
    fputs("my precious notes, not SQLite\n", f);
    fclose(f);
    CHECK_INT(run(GOOD, db, &s, err), -1);
    CHECK(strstr(err, "refusing to replace it") != NULL);
    size_t n = 0;
    char *b = slurp(db, &n);
    CHECK(b && strcmp(b, "my precious notes, not SQLite\n") == 0);
    free(b);
}

static void test_gzip_and_optional_files(void)
{
    static const char *const names[] = {"product_category_name_translation",
                                        "olist_customers_dataset",
                                        "olist_sellers_dataset",
                                        "olist_products_dataset",
                                        "olist_orders_dataset",
                                        "olist_order_items_dataset",
                                        "olist_order_payments_dataset"};
    char dir[300], db[300], err[ERR_LEN] = "";
    snprintf(dir, sizeof dir, "%s/gz", tmp);
    mkdir(dir, 0755);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char src[300], dst[700];
        size_t n;
        snprintf(src, sizeof src, GOOD "/%s.csv", names[i]);
        snprintf(dst, sizeof dst, "%s/%s.csv.gz", dir, names[i]);
        char *b = slurp(src, &n);
        gzFile gz = gzopen(dst, "wb9");
        gzwrite(gz, b, (unsigned)n);
        gzclose(gz);
        free(b);
    }
    CHECK_INT(ingest_data_present(dir), 1);
    CHECK_INT(ingest_data_present(BAD "/html"), 0);
    struct ingest_summary s;
    snprintf(db, sizeof db, "%s/gz.db", tmp);
    CHECK_INT(run(dir, db, &s, err), 0);
    CHECK_INT(s.rows[INGEST_ITEMS], 12);
    CHECK_INT(s.present[INGEST_REVIEWS], 0);
    CHECK_INT(s.present[INGEST_GEOLOCATION], 0);
    CHECK(strstr(s.warnings, "olist_order_reviews_dataset.csv absent") != NULL);
    CHECK(strstr(s.warnings, "olist_geolocation_dataset.csv absent") != NULL);
    CHECK_INT(q(db, "SELECT count(*) FROM ingest_report WHERE rule = 'file_absent'"), 2);
}

static void test_sample_deterministic_and_ingestible(void)
{
    char a[300], b[300], c[300], db[300], err[ERR_LEN] = "", buf[64];
    snprintf(a, sizeof a, "%s/sa", tmp);
    snprintf(b, sizeof b, "%s/sb", tmp);
    snprintf(c, sizeof c, "%s/sc", tmp);
    CHECK_INT(sample_generate(a, 400, 7, err, sizeof err), 0);
    CHECK_INT(sample_generate(b, 400, 7, err, sizeof err), 0);
    CHECK_INT(sample_generate(c, 400, 8, err, sizeof err), 0);
    CHECK_INT(sh("diff -r '%s' '%s' >/dev/null", a, b), 0);
    CHECK(sh("diff -q '%s/olist_orders_dataset.csv' '%s/olist_orders_dataset.csv' >/dev/null", a,
             c) != 0);
    CHECK_INT(sample_generate(a, 5, 7, err, sizeof err), -1);
    err[0] = '\0';
    struct ingest_summary s;
    snprintf(db, sizeof db, "%s/sample.db", tmp);
    CHECK_INT(run(a, db, &s, err), 0);
    if (err[0])
        printf("#   %s\n", err);
    CHECK_INT(s.sample, 1);
    CHECK_INT(s.rows[INGEST_TRANSLATION], 71);
    CHECK(s.rows[INGEST_ORDERS] >= 400);
    CHECK(s.outros > 0);
    CHECK(s.null_timestamps > 0);
    CHECK_STR(qs(db, "SELECT value FROM meta WHERE key = 'sample_seed'", buf, sizeof buf), "7");
    CHECK_INT(q(db, "SELECT count(DISTINCT customer_unique_id) FROM customers"), 400);
    /* most people buy once, some come back */
    long long repeat = q(db, "SELECT count(*) FROM (SELECT customer_unique_id FROM customers "
                             "GROUP BY 1 HAVING count(*) > 1)");
    CHECK(repeat > 0 && repeat < 400 / 10);
    CHECK(q(db, "SELECT count(*) FROM orders WHERE order_status = 'canceled'") <
          q(db, "SELECT count(*) FROM orders WHERE order_status = 'delivered'") / 20);
    CHECK(q(db, "SELECT count(*) FROM customers WHERE customer_state = 'SP'") >
          q(db, "SELECT count(*) FROM customers WHERE customer_state = 'RJ'"));
    CHECK(q(db, "SELECT min(order_purchase_timestamp) >= '2016-09' AND "
                "max(order_purchase_timestamp) < '2018-11' FROM orders") == 1);
    CHECK(q(db, "SELECT count(*) FROM order_reviews WHERE review_comment_message LIKE '%,%'") > 0);
}

/* An interrupt (the flag a SIGINT handler raises) fails the run through the
 * normal error path: ERR_INTERRUPTED, "interrupted", old database
 * byte-identical, no temporary file; once cleared, the same run succeeds. */
static void test_interrupt_leaves_old_db(void)
{
    char dir[300], db[400], err[ERR_LEN] = "";
    struct ingest_summary s;
    snprintf(dir, sizeof dir, "%s/intr", tmp);
    mkdir(dir, 0755);
    snprintf(db, sizeof db, "%s/olist.db", dir);
    CHECK_INT(run(GOOD, db, &s, err), 0);
    size_t blen = 0, alen = 0;
    char *before = slurp(db, &blen);
    atomic_store(&interrupt_flag, 2); /* SIGINT */
    CHECK_INT(run(GOOD, db, &s, err), ERR_INTERRUPTED);
    CHECK(strstr(err, "interrupted") != NULL);
    char *after = slurp(db, &alen);
    CHECK(before && after && alen == blen && memcmp(after, before, blen) == 0);
    CHECK_INT(count_temp_files(dir), 0);
    atomic_store(&interrupt_flag, 0);
    CHECK_INT(run(GOOD, db, &s, err), 0);
    free(before);
    free(after);
}

/* A data "directory" that is a file: the message says so, whatever errno
 * happened to hold before. */
static void test_data_dir_not_a_directory(void)
{
    char file[300], db[400], err[ERR_LEN] = "";
    struct ingest_summary s;
    snprintf(file, sizeof file, "%s/plainfile", tmp);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    snprintf(db, sizeof db, "%s/nd.db", tmp);
    errno = ENOENT;
    CHECK_INT(run(file, db, &s, err), -1);
    CHECK(strstr(err, "not a directory") != NULL);
    CHECK(strstr(err, "No such file") == NULL);
}

int main(void)
{
    if (!mkdtemp(tmp))
        return 1;
    RUN(test_good_fixture_counts);
    RUN(test_bad_inputs_leave_old_db);
    RUN(test_models_survive_reingest);
    RUN(test_not_a_database_is_not_replaced);
    RUN(test_gzip_and_optional_files);
    RUN(test_sample_deterministic_and_ingestible);
    RUN(test_interrupt_leaves_old_db);
    RUN(test_data_dir_not_a_directory);
    sh("rm -rf '%s' %s", tmp, "");
    return TEST_SUMMARY();
}
