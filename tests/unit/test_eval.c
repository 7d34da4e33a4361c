/* Ranking metrics on hand-computed rankings, and a whole evaluation of the
 * popularity model on the tiny shop. */
#include <math.h>

#include "engine/eval.h"
#include "util/error.h"
#include "engine_fixture.h"
#include "test.h"

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

static void test_eval_hand_computed(void)
{
    struct dataset ds;
    struct model m;
    struct eval_result r;
    char err[256];
    int32_t cut = dataset_parse_day("2018-01-01");
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
    CHECK_INT(eval_model(&m, &ds, dataset_parse_day("2019-01-01"), 3, 0, &r, err, sizeof err),
              ERR_INVALID);
    model_free(&m);
    dataset_free(&ds);
}

int main(void)
{
    fixture_make_db();
    RUN(test_metrics_hand_computed);
    RUN(test_eval_hand_computed);
    fixture_remove();
    return TEST_SUMMARY();
}
