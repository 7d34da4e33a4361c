/* ALS: same seed, same factors; another seed, other factors; both solvers
 * rank the product a neighbour bought first. */
#include <string.h>

#include "engine/als.h"
#include "engine_fixture.h"
#include "test.h"

static void test_als_deterministic(void)
{
    struct dataset ds;
    struct model a, b, c;
    struct algo_params p;
    char err[256];
    int32_t cut = dataset_parse_day("2018-01-01");
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

int main(void)
{
    fixture_make_db();
    RUN(test_als_deterministic);
    fixture_remove();
    return TEST_SUMMARY();
}
