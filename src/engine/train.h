/* Training: data -> fitted model -> evaluation -> stored, active version. */
#ifndef RECSYS_ENGINE_TRAIN_H
#define RECSYS_ENGINE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

struct train_options {
    const char *db_path;
    const char *algo;   /* default "hybrid" */
    const char *cutoff; /* "YYYY-MM-DD"; NULL = all data */
    int quiet;
    const struct algo_params *params; /* NULL = defaults */
    int no_eval;                      /* skip the evaluation */
    int no_activate;                  /* store without activating */
    double *phase_seconds;            /* optional out [4]: load, fit, evaluate, store */
    /* JSON object stored with the model as its params' "tuning" member: the tune run the
     * params came from (tunestore_run_json); NULL: none */
    const char *tuning_json;
};

#define TRAIN_EVAL_CUTOFF "2018-01-01"

/* Trains, evaluates when possible (on the purchases after the cutoff, or
 * with a held-out model at TRAIN_EVAL_CUTOFF when training on all data),
 * stores a new version and activates it. ERR_INVALID for an unknown
 * algorithm, bad parameters or a malformed cutoff; other codes as the
 * dataset, the model and the store report them. */
int train_run(const struct train_options *o, int64_t *version_out, char *err, size_t errlen);

/* The day after the last event: the cutoff meaning "all data". */
int32_t train_all_data_cutoff(const struct dataset *ds);

#endif
