/* Offline evaluation on a temporal split: train on purchases before the
 * cutoff, test on the purchases after it, ranking against the whole
 * catalogue (no sampled negatives). */
#ifndef RECSYS_ENGINE_EVAL_H
#define RECSYS_ENGINE_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

struct eval_metrics {
    double precision, recall, hit_rate, ndcg, coverage;
    int64_t users;
};

struct eval_result {
    char algorithm[32];
    int k;
    int allow_repurchase;
    double train_seconds;
    struct eval_metrics all, warm; /* every test user; those with training history */
};

/* Metrics of one ranking against a sorted truth set, added into *acc
 * (precision, recall, hit, ndcg; users += 1). */
void eval_score_ranking(const int32_t *ranked, int n, const int32_t *truth, int n_truth, int k,
                        struct eval_metrics *acc);

/* Evaluates model m (trained on ds before cutoff_day) on the purchases of ds
 * on or after cutoff_day. Returns 0, or with err: ERR_INVALID when k is out
 * of range or there are no test purchases, ERR_NOMEM. */
int eval_model(const struct model *m, const struct dataset *ds, int32_t cutoff_day, int k,
               int allow_repurchase, struct eval_result *out, char *err, size_t errlen);

/* Which purchases an evaluation scores, and what it reports per user. */
struct eval_window {
    int32_t from_day;     /* test purchases: from_day <= day ... */
    int32_t to_day;       /* ... < to_day; <= 0: no end */
    const int32_t *fixed; /* non-NULL: this list (n_fixed items) for every user, not m's */
    int n_fixed;
    int8_t *user_hit;     /* optional out [users.n]: -1 no test purchase, 0 miss, 1 hit */
};

/* eval_model over the window w (m trained before w->from_day; warm users
 * are those with a row in m->ui). Same errors as eval_model. */
int eval_model_window(const struct model *m, const struct dataset *ds, const struct eval_window *w,
                      int k, int allow_repurchase, struct eval_result *out, char *err,
                      size_t errlen);

/* {"k":10,"cutoff":"...","all":{...},"warm":{...}} for one result, malloc'd. */
char *eval_result_json(const struct eval_result *r, const char *cutoff);

#endif
