/* The dataset: CSR building, day numbers, and loading the tiny shop from
 * SQLite (both the view and the in-memory join). */
#include <stdio.h>
#include <string.h>

#include "engine/dataset.h"
#include "engine_fixture.h"
#include "test.h"

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
    CHECK_INT(dataset_parse_day("1970-01-02"), 1);
    CHECK_INT(dataset_parse_day("2018-01-01 00:00:01") - dataset_parse_day("2017-12-31"), 1);
    CHECK_INT(dataset_parse_day("2018-13-01"), -1);
    CHECK_INT(dataset_parse_day("2018/01/01"), -1);
    CHECK_INT(dataset_parse_day(NULL), -1);
    dataset_format_day(dataset_parse_day("2016-02-29"), s);
    CHECK_STR(s, "2016-02-29");
}

/* dataset_parse_day against a table of dates: days since 1970-01-01 computed
 * with another calendar (Python's datetime), -1 for anything that is not a
 * date on the calendar. */
static void test_date_table(void)
{
    static const struct {
        const char *in;
        int32_t day;
    } cases[] = {
        {"1970-01-01", 0},
        {"2000-02-29", 11016}, /* divisible by 400: leap */
        {"2000-03-01", 11017},
        {"2016-02-29", 16860}, /* divisible by 4: leap */
        {"2018-02-28", 17590},
        {"2018-03-01", 17591},
        {"2018-04-30", 17651},
        {"2018-12-31", 17896},
        {"2019-02-28", 17955},
        {"2200-12-31", 84370},
        {"2018-01-31", 17562},
        {"2018-02-31", -1}, /* the bug: was accepted as 2018-03-03 */
        {"2018-02-30", -1},
        {"2018-02-29", -1}, /* not a leap year */
        {"2100-02-29", -1}, /* divisible by 100, not by 400: not leap */
        {"2018-04-31", -1},
        {"2018-06-31", -1},
        {"2018-09-31", -1},
        {"2018-11-31", -1},
        {"2018-01-32", -1},
        {"2018-01-00", -1},
        {"2018-00-10", -1},
        {"2018-13-01", -1},
        {"1969-12-31", -1}, /* before 1970: out of range, never a negative day */
        {"1900-01-01", -1},
        {"2201-01-01", -1},
        /* what may follow the date: nothing, or a time after ' ' or 'T' */
        {"2018-01-31 23:59:59", 17562},
        {"2018-01-31T23:59:59", 17562},
        {"2018-02-31 10:00:00", -1},
        {"2018-01-31x", -1},
        {"2018-01-31\n", -1},
        /* junk */
        {"", -1},
        {"2018", -1},
        {"2018-1-31", -1},
        {"2018-01-1", -1},
        {"20180131", -1},
        {"2018/01/31", -1},
        {" 2018-01-31", -1},
        {"+018-01-31", -1},
        {"2018-0a-31", -1},
        {"abcd-ef-gh", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t got = dataset_parse_day(cases[i].in);
        if (got != cases[i].day)
            printf("#   \"%s\"\n", cases[i].in);
        CHECK_INT(got, cases[i].day);
    }
}

/* Every day from 1970 to 2200 formats and parses back to itself, and the
 * number of valid YYYY-MM-DD strings (days 01..31 of every month) is the
 * number of days: no invalid day of the month gets through. */
static void test_date_round_trip(void)
{
    char s[11], t[40];
    int32_t first = dataset_parse_day("1970-01-01"), last = dataset_parse_day("2200-12-31");
    int bad = 0;
    for (int32_t d = first; d <= last; d++) {
        dataset_format_day(d, s);
        bad += dataset_parse_day(s) != d;
    }
    CHECK_INT(bad, 0);
    int32_t valid = 0;
    for (int y = 1970; y <= 2200; y++)
        for (int m = 1; m <= 12; m++)
            for (int d = 1; d <= 31; d++) {
                snprintf(t, sizeof t, "%04d-%02d-%02d", y, m, d);
                valid += dataset_parse_day(t) >= 0;
            }
    CHECK_INT(valid, last - first + 1);
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
    CHECK_STR(ds.cats[ds.item_cat[dataset_idmap_find(&ds.items, a)]], "telephony");
    id(a, 0xB000, HEADSET);
    CHECK_STR(ds.cats[ds.item_cat[dataset_idmap_find(&ds.items, a)]], "eletronicos");
    CHECK_NEAR(ds.item_price[dataset_idmap_find(&ds.items, a)], 60.5, 1e-4);
    /* the in-memory join gives exactly the rows of the interactions view */
    struct dataset dv;
    char err[256];
    CHECK_INT(dataset_load_mode(db_path, &dv, 1, err, sizeof err), 0);
    CHECK_INT(dv.n_events, ds.n_events);
    /* the view has no seller (-1); the join gives each order item's: the
     * fixture's one seller */
    CHECK_INT(ds.sellers.n, 1);
    CHECK_INT(dv.sellers.n, 0);
    int same = dv.n_events == ds.n_events;
    for (int64_t k = 0; same && k < ds.n_events; k++) {
        same = ds.events[k].seller == 0 && dv.events[k].seller == -1;
        dv.events[k].seller = 0;
    }
    CHECK(same && !memcmp(dv.events, ds.events, (size_t)ds.n_events * sizeof *ds.events));
    dataset_free(&dv);
    dataset_free(&ds);
}

/* Category labels through the loader's label hash: 300 new ones (the hash
 * grows past its first 256 slots) and one longer than a label holds.
 * Every product keeps its own label (truncated to DS_CAT_LEN - 1 bytes) and
 * ds->cats stays sorted and distinct. Adds rows: runs last. */
static void test_many_categories(void)
{
    sqlite3 *db;
    char sql[512], pid[33], want[DS_CAT_LEN];
    char long_label[100];
    memset(long_label, 'z', sizeof long_label - 1);
    long_label[sizeof long_label - 1] = 0;
    CHECK_INT(sqlite3_open(db_path, &db), SQLITE_OK);
    exec(db, "BEGIN");
    for (int k = 0; k < 301; k++) {
        id(pid, 0xE000, (unsigned)k);
        if (k == 300)
            snprintf(sql, sizeof sql,
                     "INSERT INTO products(product_id, product_category_name)"
                     " VALUES('%s', '%s')",
                     pid, long_label);
        else /* descending, so first-seen order is not the sorted order */
            snprintf(sql, sizeof sql,
                     "INSERT INTO products(product_id, product_category_name)"
                     " VALUES('%s', 'cat_%03d')",
                     pid, 299 - k);
        exec(db, sql);
    }
    exec(db, "COMMIT");
    sqlite3_close(db);
    struct dataset ds;
    if (load_ds(&ds) < 0) {
        CHECK(0);
        return;
    }
    int sorted = 1, right = 1;
    for (int c = 1; c < ds.n_cats; c++)
        sorted &= strcmp(ds.cats[c - 1], ds.cats[c]) < 0;
    for (int k = 0; k < 301; k++) {
        id(pid, 0xE000, (unsigned)k);
        int32_t i = dataset_idmap_find(&ds.items, pid);
        if (k == 300) {
            memcpy(want, long_label, DS_CAT_LEN - 1);
            want[DS_CAT_LEN - 1] = 0;
        } else
            snprintf(want, sizeof want, "cat_%03d", 299 - k);
        right &= i >= 0 && !strcmp(ds.cats[ds.item_cat[i]], want);
    }
    CHECK(sorted);
    CHECK(right);
    CHECK(ds.n_cats >= 302); /* 300 + the long one + the fixture's */
    dataset_free(&ds);
}

int main(void)
{
    fixture_make_db();
    RUN(test_csr_merges_duplicates);
    RUN(test_dates);
    RUN(test_date_table);
    RUN(test_date_round_trip);
    RUN(test_dataset_from_sqlite);
    RUN(test_many_categories);
    fixture_remove();
    return TEST_SUMMARY();
}
