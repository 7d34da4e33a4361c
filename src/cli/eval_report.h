/* The two longer parts of `recsys-tui eval`: the rolling monthly
 * evaluation (run, print, store) and the paired comparison's printout. */
#ifndef RECSYS_CLI_EVAL_REPORT_H
#define RECSYS_CLI_EVAL_REPORT_H

#include <cjson/cJSON.h>

#include "engine/algo.h"
#include "engine/evalstats.h"

struct eval_report_rolling {
    const char *db, *from, *to;
    const char *const *algos; /* default usercf, itemcf, popularity when n_algos == 0 */
    int n_algos, k, json, quiet, store;
    const struct algo_params *params;
};

/* `eval --rolling monthly`: loads the dataset once, runs rolling_run with
 * progress lines on stderr (unless quiet or json), prints the table (or
 * JSON) on stdout and stores the run (unless store is 0). Returns an exit
 * code (EXIT_OK, EXIT_FAIL, EXIT_USAGE for bad months). */
int eval_report_rolling_run(const struct eval_report_rolling *o);

/* One result row of `eval --json`, all test users and warm ones. */
struct eval_report_row {
    const char *month; /* the rolling evaluation's month; NULL: none */
    const char *algorithm;
    int repurchase;       /* allow_repurchase (0 or 1); -1: not part of the row */
    double train_seconds; /* < 0: not part of the row (pooled rows) */
};

/* Appends {"month", "algorithm", "allow_repurchase", "train_seconds", "all",
 * "warm"} (the keys r leaves out skipped) to the array arr; takes all and
 * warm, the metric objects, whose fields each table chooses. */
void eval_report_row_json(cJSON *arr, const struct eval_report_row *r, cJSON *all, cJSON *warm);

/* The paired comparison of a and b for all users and warm ones: text on
 * stdout, or (json) an object added to root as "paired". */
void eval_report_paired(const char *a, const char *b, const struct evalstats_paired *all,
                        const struct evalstats_paired *warm, cJSON *root);

#endif
