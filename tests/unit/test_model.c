/* model_train_take (train --no-eval): the model it fits from a dataset it
 * takes over is byte for byte the one model_train fits from a copy, and the
 * dataset is left empty, also when the algorithm is unknown. */
#include <stdlib.h>

#include "engine/model.h"
#include "engine/modelformat.h"
#include "engine_fixture.h"
#include "test.h"

static void test_take_fits_the_same_model(void)
{
    const char *algos[] = {"usercf", "hybrid", "als", "popularity"};
    int32_t cut = dataset_parse_day("2018-01-01");
    char err[256];
    for (size_t a = 0; a < sizeof algos / sizeof *algos; a++) {
        struct dataset ds, ds2;
        struct model m1, m2;
        uint8_t *b1 = NULL, *b2 = NULL;
        size_t n1 = 0, n2 = 0;
        if (load_ds(&ds) < 0 || load_ds(&ds2) < 0) {
            CHECK(0);
            return;
        }
        CHECK_INT(model_train(&ds, algos[a], NULL, cut, &m1, err, sizeof err), 0);
        CHECK_INT(model_train_take(&ds2, algos[a], NULL, cut, &m2, err, sizeof err), 0);
        CHECK(ds2.events == NULL && ds2.users.ids == NULL && ds2.n_events == 0);
        CHECK(m2.ctx.events == NULL && m2.ctx.sellers.n == 0);
        CHECK_INT(modelformat_serialize(&m1, &b1, &n1, err, sizeof err), 0);
        CHECK_INT(modelformat_serialize(&m2, &b2, &n2, err, sizeof err), 0);
        CHECK(n1 == n2 && n1 > 0 && !memcmp(b1, b2, n1));
        free(b1);
        free(b2);
        model_free(&m1);
        model_free(&m2);
        dataset_free(&ds);
    }
    struct dataset ds;
    struct model m;
    if (load_ds(&ds) < 0) {
        CHECK(0);
        return;
    }
    CHECK(model_train_take(&ds, "nope", NULL, cut, &m, err, sizeof err) < 0);
    CHECK(ds.users.ids == NULL && ds.events == NULL);
    CHECK(strstr(err, "nope") != NULL);
}

int main(void)
{
    fixture_make_db();
    RUN(test_take_fits_the_same_model);
    fixture_remove();
    return TEST_SUMMARY();
}
