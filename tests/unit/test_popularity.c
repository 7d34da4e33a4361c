/* Popularity: the cold-start list for an unknown user, alone and through the
 * hybrid. */
#include <string.h>

#include "engine/popularity.h"
#include "engine_fixture.h"
#include "test.h"

static void test_cold_start_popularity(void)
{
    struct dataset ds;
    struct model m;
    char err[256];
    if (load_ds(&ds) < 0 || model_train(&ds, "hybrid", NULL, dataset_parse_day("2018-01-01"), &m,
                                        err, sizeof err) < 0) {
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

int main(void)
{
    fixture_make_db();
    RUN(test_cold_start_popularity);
    fixture_remove();
    return TEST_SUMMARY();
}
