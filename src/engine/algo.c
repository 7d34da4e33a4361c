/* Algorithm parameters and the registry of every algorithm. */
#include "engine/algo.h"

#include <string.h>

#include "engine/als.h"
#include "engine/content.h"
#include "engine/hybrid.h"
#include "engine/itemcf.h"
#include "engine/popularity.h"
#include "engine/usercf.h"

void algo_params_default(struct algo_params *p)
{
    *p = (struct algo_params){.window_days = 30,
                              .state_window = 90,
                              .long_window = 90,
                              .neighbours = 50,
                              .threshold = 0.3,
                              .max_postings = 200,
                              .item_neighbours = 50,
                              .factors = 32,
                              .reg = 0.1,
                              .alpha = 40.0,
                              .iterations = 10,
                              .cg_steps = 3,
                              .seed = 42,
                              .price_tiers = 5,
                              .state_weight = 0.0,
                              .seller_weight = 0.0001,
                              .repurchase_weight = 1.0,
                              .copurchase_weight = 0.001,
                              .itemcf_weight = 1.0,
                              .popularity_weight = 0.0};
}

const char *const algo_names[] = {"popularity", "usercf", "itemcf", "als",
                                  "content",    "hybrid", NULL};

const struct algo_ops *algo_find(const char *name)
{
    static const struct algo_ops *const all[] = {&algo_popularity, &algo_usercf,  &algo_itemcf,
                                                 &algo_als,        &algo_content, &algo_hybrid};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}

int algo_repurchase_default(const char *algo, const struct algo_params *p)
{
    return !strcmp(algo, "hybrid") && p->repurchase_weight > 0;
}
