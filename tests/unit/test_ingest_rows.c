/* The pieces ingest's fast path is built from: rowbatch (typed rows copied,
 * sorted by key the way SQLite orders them, ties by line, bounded memory,
 * reused across files), olist's number and timestamp parsing (the fast paths
 * must agree with strtod/strtoll bit for bit) and row validation, and the
 * schema's per-table index statements. */
#include <stdlib.h>

#include "ingest/olist.h"
#include "ingest/rowbatch.h"
#include "ingest/schema.h"
#include "test.h"
#include "util/error.h"

static struct rowbatch_val text(const char *s)
{
    return (struct rowbatch_val){.type = RB_TEXT, .len = (uint32_t)strlen(s), .u.s = s};
}

static struct rowbatch_val integer(long long i)
{
    return (struct rowbatch_val){.type = RB_INT, .u.i = i};
}

static void test_rowbatch_sorts_like_sqlite(void)
{
    struct rowbatch b;
    rowbatch_init(&b, 3, 1 << 20);
    /* (key text, key int, payload): pushed out of order, with a duplicate
     * key on lines 5 and 2, a prefix pair ("ab" < "abc") and a long shared
     * prefix that the 8-byte shortcut cannot decide */
    static const struct {
        const char *k;
        long long n;
        long line;
    } in[] = {{"b", 1, 1},  {"abc", 1, 3}, {"a", 2, 5},           {"a", 2, 2},
              {"ab", 9, 4}, {"a", 1, 6},   {"0123456789z", 1, 7}, {"0123456789a", 1, 8}};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char payload[16];
        snprintf(payload, sizeof payload, "row%zu", i);
        struct rowbatch_val v[3] = {text(in[i].k), integer(in[i].n), text(payload)};
        CHECK_INT(rowbatch_push(&b, in[i].line, v), 0);
    }
    CHECK_INT(b.nrows, 8);
    CHECK_INT(rowbatch_sort(&b, 2), 0);
    static const char *const want_key[] = {"0123456789a", "0123456789z", "a",   "a",
                                           "a",           "ab",          "abc", "b"};
    static const long want_line[] = {8, 7, 6, 2, 5, 4, 3, 1};
    for (size_t k = 0; k < b.nrows; k++) {
        long line = 0;
        const struct rowbatch_val *v = rowbatch_row(&b, k, &line);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)v[0].len, v[0].u.s);
        CHECK_STR(key, want_key[k]);
        CHECK_INT(line, want_line[k]);
    }
    /* the copy is the batch's own: payload text survives the caller's buffer */
    long line;
    const struct rowbatch_val *v = rowbatch_row(&b, 7, &line);
    CHECK(v[2].len == 4 && memcmp(v[2].u.s, "row0", 4) == 0);
    rowbatch_free(&b);
}

static void test_rowbatch_types_and_nulls(void)
{
    struct rowbatch b;
    rowbatch_init(&b, 1, 1 << 20);
    struct rowbatch_val vals[] = {
        text("x"), integer(3), {.type = RB_NULL}, {.type = RB_REAL, .u.d = 2.5}, integer(-7)};
    for (size_t i = 0; i < 5; i++)
        CHECK_INT(rowbatch_push(&b, (long)i + 1, &vals[i]), 0);
    CHECK_INT(rowbatch_sort(&b, 1), 0);
    /* SQLite: NULL < numbers (by value, int and real mixed) < text */
    static const long want[] = {3, 5, 4, 2, 1};
    for (size_t k = 0; k < 5; k++) {
        long line;
        rowbatch_row(&b, k, &line);
        CHECK_INT(line, want[k]);
    }
    rowbatch_free(&b);
}

static void test_rowbatch_bounded_and_reusable(void)
{
    struct rowbatch b;
    char big[4000];
    memset(big, 'q', sizeof big);
    big[sizeof big - 1] = '\0';
    rowbatch_init(&b, 2, 64 * 1024);
    struct rowbatch_val v[2] = {text(big), integer(1)};
    int rc = 0, pushed = 0;
    while ((rc = rowbatch_push(&b, pushed + 1, v)) == 0 && pushed < 1000)
        pushed++;
    CHECK_INT(rc, 1); /* full long before 1000 rows of 4 kB */
    CHECK(pushed > 5 && pushed < 20);
    CHECK(b.bytes <= (size_t)64 * 1024 + ROWBATCH_CHUNK);
    rowbatch_reset(&b, 1);
    CHECK_INT(b.nrows, 0);
    CHECK_INT(b.ncols, 1);
    CHECK_INT(rowbatch_push(&b, 1, v), 0);
    long line;
    const struct rowbatch_val *r = rowbatch_row(&b, 0, &line);
    CHECK_INT(line, 1);
    CHECK_INT(r[0].len, sizeof big - 1);
    /* a single row larger than the limit still goes into an empty batch */
    struct rowbatch small;
    rowbatch_init(&small, 1, 100);
    CHECK_INT(rowbatch_push(&small, 1, v), 0);
    CHECK_INT(rowbatch_push(&small, 2, v), 1);
    rowbatch_free(&small);
    rowbatch_free(&b);
}

static void test_parse_real_matches_strtod(void)
{
    static const char *const cases[] = {"0",        "0.0",     "1",
                                        "1.5",      "-2.25",   "19.9",
                                        "0.1",      "1234.56", "6735.00",
                                        "13664.08", ".5",      "5.",
                                        "-0",       "0.3",     "99999999999.9999",
                                        "1e3",      "-1.5e-2", "123456789012345678",
                                        "  7",      "inf",     "nan",
                                        "12,50",    "1.2.3",   "-",
                                        "abc"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = cases[i];
        char *end;
        double want = strtod(s, &end);
        int want_ok = *end == '\0' && end != s && isfinite(want);
        double got = -1;
        int ok = olist_parse_real(s, strlen(s), &got) == 0;
        if (ok != want_ok || (ok && memcmp(&got, &want, sizeof got) != 0))
            printf("#   '%s': got %d %.17g, strtod %d %.17g\n", s, ok, got, want_ok, want);
        CHECK_INT(ok, want_ok);
        if (ok && want_ok)
            CHECK(memcmp(&got, &want, sizeof got) == 0);
    }
    /* every price-shaped number with 1..13 digits agrees exactly */
    unsigned x = 12345;
    int mismatches = 0;
    for (int i = 0; i < 200000; i++) {
        x = x * 1103515245u + 12345u;
        char s[40];
        snprintf(s, sizeof s, "%u.%02u", x % 100000u, (x >> 8) % 100u);
        double got, want = strtod(s, NULL);
        if (olist_parse_real(s, strlen(s), &got) != 0 || memcmp(&got, &want, sizeof got) != 0)
            mismatches++;
    }
    CHECK_INT(mismatches, 0);
}

static void test_parse_int_and_timestamp(void)
{
    long long v = 0;
    CHECK_INT(olist_parse_int("42", 2, &v), 0);
    CHECK_INT(v, 42);
    CHECK_INT(olist_parse_int("-17", 3, &v), 0);
    CHECK_INT(v, -17);
    CHECK_INT(olist_parse_int("9223372036854775807", 19, &v), 0);
    CHECK(v == 9223372036854775807LL);
    CHECK_INT(olist_parse_int("9223372036854775808", 19, &v), -1); /* overflow */
    CHECK_INT(olist_parse_int("4.0", 3, &v), -1);
    CHECK_INT(olist_parse_int("-", 1, &v), -1);
    CHECK_INT(olist_parse_int("12a", 3, &v), -1);
    CHECK_INT(olist_valid_timestamp("2017-10-02 10:56:33", 19), 1);
    CHECK_INT(olist_valid_timestamp("2016-02-29 00:00:00", 19), 1);
    CHECK_INT(olist_valid_timestamp("2017-02-29 00:00:00", 19), 0);
    CHECK_INT(olist_valid_timestamp("2000-02-29 23:59:59", 19), 1);
    CHECK_INT(olist_valid_timestamp("1900-02-29 23:59:59", 19), 0);
    CHECK_INT(olist_valid_timestamp("2017-13-02 10:56:33", 19), 0);
    CHECK_INT(olist_valid_timestamp("2017-10-02 24:00:00", 19), 0);
    CHECK_INT(olist_valid_timestamp("2017-10-02T10:56:33", 19), 0);
    CHECK_INT(olist_valid_timestamp("2017-10-02 10:56", 16), 0);
}

/* One order_items row through olist_check_row: typed values, the foreign
 * keys looked up, and a missing parent named with file, line and column. */
static void test_check_row(void)
{
    struct keyset sets[INGEST_NFILES];
    for (int i = 0; i < INGEST_NFILES; i++)
        keyset_init(&sets[i]);
    keyset_add(&sets[INGEST_ORDERS], "o1", 2);
    keyset_add(&sets[INGEST_PRODUCTS], "p1", 2);
    keyset_add(&sets[INGEST_SELLERS], "s1", 2);
    const struct olist_file *sp = &OLIST_FILES[INGEST_ITEMS];
    const char *names[OLIST_MAX_COLS];
    for (int i = 0; i < sp->ncols; i++)
        names[i] = sp->cols[i].name;
    struct csvload_row row = {
        .file = "olist_order_items_dataset.csv", .line = 7, .nfields = sp->ncols, .name = names};
    const char *f[] = {"o1", "2", "p1", "s1", NULL, "58.90", "13.29"};
    for (int i = 0; i < sp->ncols; i++) {
        row.field[i] = f[i];
        row.len[i] = f[i] ? strlen(f[i]) : 0;
        row.column[i] = i + 1;
    }
    struct olist_counts n;
    memset(&n, 0, sizeof n);
    struct rowbatch_val v[ROWBATCH_MAX_COLS];
    char err[ERR_LEN] = "";
    CHECK_INT(olist_check_row(INGEST_ITEMS, &row, sets, &n, v, err, sizeof err), 0);
    CHECK_INT(v[0].type, RB_TEXT);
    CHECK_INT(v[1].type, RB_INT);
    CHECK_INT(v[1].u.i, 2);
    CHECK_INT(v[4].type, RB_NULL);
    CHECK_INT(v[5].type, RB_REAL);
    CHECK_NEAR(v[5].u.d, 58.90, 1e-12);
    CHECK_INT(n.null_ts, 1);
    CHECK_INT(n.null_ts_col[4], 1);
    row.field[2] = "p2";
    CHECK_INT(olist_check_row(INGEST_ITEMS, &row, sets, &n, v, err, sizeof err), -1);
    CHECK_STR(err, "olist_order_items_dataset.csv line 7 column 3 (product_id): 'p2' is not in "
                   "olist_products_dataset.csv");
    row.field[2] = "p1";
    row.field[5] = "-1.00";
    CHECK_INT(olist_check_row(INGEST_ITEMS, &row, sets, &n, v, err, sizeof err), -1);
    CHECK(strstr(err, "column 6 (price): negative price") != NULL);
    for (int i = 0; i < INGEST_NFILES; i++)
        keyset_free(&sets[i]);
}

/* Olist ids (inline 128-bit table) and any other key (arena table), through
 * several growths; near misses are absent. */
static void test_keyset(void)
{
    struct keyset k;
    keyset_init(&k);
    char key[40];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "%016x%016x", i * 2654435761u, i + 1);
        CHECK_INT(keyset_add(&k, key, 32), 0);
        snprintf(key, sizeof key, "id-%d", i);
        CHECK_INT(keyset_add(&k, key, strlen(key)), 0);
    }
    CHECK_INT(keyset_add(&k, "00000000000000000000000000000000", 32), 0); /* the 0,0 id */
    CHECK_INT(keyset_add(&k, "000000000000000000000000000000AB", 32), 0); /* upper case */
    int missing = 0, false_hits = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "%016x%016x", i * 2654435761u, i + 1);
        missing += !keyset_has(&k, key, 32);
        snprintf(key, sizeof key, "%016x%016x", i * 2654435761u, i + 7000);
        false_hits += keyset_has(&k, key, 32);
        snprintf(key, sizeof key, "id-%d", i);
        missing += !keyset_has(&k, key, strlen(key));
        snprintf(key, sizeof key, "id-%d", i + 5000);
        false_hits += keyset_has(&k, key, strlen(key));
    }
    CHECK_INT(missing, 0);
    CHECK_INT(false_hits, 0);
    CHECK_INT(keyset_has(&k, "00000000000000000000000000000000", 32), 1);
    CHECK_INT(keyset_has(&k, "000000000000000000000000000000AB", 32), 1);
    CHECK_INT(keyset_has(&k, "000000000000000000000000000000ab", 32), 0);
    CHECK_INT(keyset_has(&k, "0000000000000000000000000000000", 31), 0);
    CHECK_INT(k.hex_count, 5000);
    CHECK_INT(k.count, 5002);
    CHECK_INT(keyset_add(&k, "twice", 5), 0);
    CHECK_INT(keyset_add(&k, "twice", 5), 0);
    CHECK_INT(k.count, 5003);
    keyset_free(&k);
}

static void test_schema_table_indexes(void)
{
    char sql[2048];
    CHECK_INT(schema_table_index_sql("customers", sql, sizeof sql), 0);
    CHECK_STR(sql, "CREATE INDEX customers_unique_id ON customers(customer_unique_id);\n"
                   "CREATE INDEX customers_state ON customers(customer_state);\n");
    CHECK_INT(schema_table_index_sql("sellers", sql, sizeof sql), 0);
    CHECK_STR(sql, "");
    CHECK_INT(schema_table_index_sql("customers", sql, 20), -1);
    /* every index statement belongs to exactly one ingested table */
    size_t total = 0;
    for (int i = 0; i < INGEST_NFILES; i++) {
        CHECK_INT(schema_table_index_sql(OLIST_FILES[i].table, sql, sizeof sql), 0);
        total += strlen(sql);
    }
    CHECK_INT(total, strlen(schema_index_sql()));
}

int main(void)
{
    RUN(test_rowbatch_sorts_like_sqlite);
    RUN(test_rowbatch_types_and_nulls);
    RUN(test_rowbatch_bounded_and_reusable);
    RUN(test_parse_real_matches_strtod);
    RUN(test_parse_int_and_timestamp);
    RUN(test_check_row);
    RUN(test_keyset);
    RUN(test_schema_table_indexes);
    return TEST_SUMMARY();
}
