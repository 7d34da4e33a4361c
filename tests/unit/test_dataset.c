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
    CHECK_INT(ds_parse_day("1970-01-02"), 1);
    CHECK_INT(ds_parse_day("2018-01-01 00:00:01") - ds_parse_day("2017-12-31"), 1);
    CHECK_INT(ds_parse_day("2018-13-01"), -1);
    CHECK_INT(ds_parse_day("2018/01/01"), -1);
    CHECK_INT(ds_parse_day(NULL), -1);
    ds_format_day(ds_parse_day("2016-02-29"), s);
    CHECK_STR(s, "2016-02-29");
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

int main(void)
{
    fixture_make_db();
    RUN(test_csr_merges_duplicates);
    RUN(test_dates);
    RUN(test_dataset_from_sqlite);
    fixture_remove();
    return TEST_SUMMARY();
}
