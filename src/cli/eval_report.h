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

/* The paired comparison of a and b for all users and warm ones: text on
 * stdout, or (json) an object added to root as "paired". */
void eval_report_paired(const char *a, const char *b, const struct evalstats_paired *all,
                        const struct evalstats_paired *warm, cJSON *root);

#endif
