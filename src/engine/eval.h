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

/* {"k":10,"cutoff":"...","all":{...},"warm":{...}} for one result, malloc'd. */
char *eval_result_json(const struct eval_result *r, const char *cutoff);

#endif
