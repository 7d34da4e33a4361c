/* Rolling evaluation: what a system retrained at the start of every month
 * would have scored. For each month M in [from, to], every algorithm is
 * trained on the purchases before M and evaluated (eval_model_window) on the
 * purchases in M. Beside them: the test-period-popularity oracle, the top-k
 * products by buyers in M itself, which is the ceiling for any list that is
 * the same for every user. Rates carry 95% Wilson intervals. */
#ifndef RECSYS_ENGINE_ROLLING_H
#define RECSYS_ENGINE_ROLLING_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

#define ROLLING_ORACLE     "oracle"
#define ROLLING_MAX_MONTHS 240
#define ROLLING_MAX_ALGOS  8

struct rolling_cell {
    int64_t users, hits;
    double hit_rate, lo, hi; /* hits / users and its 95% Wilson interval */
    double precision, recall, ndcg;
};

struct rolling_row {
    char month[8]; /* "YYYY-MM" */
    char algorithm[32];
    double train_seconds;
    struct rolling_cell all, warm; /* every buyer of the month; those with history before it */
};

/* Called before each algorithm of each month (for progress lines). */
typedef void (*rolling_progress_fn)(void *ctx, const char *month, const char *algorithm, int done,
                                    int total);

struct rolling_options {
    const char *from, *to;    /* "YYYY-MM", inclusive */
    const char *const *algos; /* without "oracle"; popularity is added when missing */
    int n_algos;
    int k;
    const struct algo_params *params;
    rolling_progress_fn progress; /* may be NULL */
    void *progress_ctx;
};

/* "YYYY-MM" -> months since year 0 (y * 12 + m - 1); -1 when malformed. */
int rolling_parse_month(const char *s);
/* Months since year 0 -> "YYYY-MM" and the day (since 1970) of its first. */
void rolling_format_month(int month, char out[8]);
int32_t rolling_month_first_day(int month);

/* Runs the evaluation on ds. *rows (malloc'd, caller frees) gets months x
 * (algorithms + oracle) rows, month by month, in the order of o->algos
 * with the oracle last. A month without purchases is skipped. Returns 0,
 * or ERR_INVALID (bad months, from after to, unknown algorithm, no month
 * with purchases), ERR_NOMEM, or what training reports, with err. */
int rolling_run(const struct dataset *ds, const struct rolling_options *o,
                struct rolling_row **rows, int *n_rows, char *err, size_t errlen);

#endif
