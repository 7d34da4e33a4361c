/* Model selection on validation (`recsys-tui tune`): chooses an algorithm's
 * default configuration on rolling validation cutoffs strictly before the
 * training cutoff, and never reads the test period. The dataset is cut at
 * the training cutoff before anything else (a shallow view whose events end
 * there, with prices recomputed from those events), so nothing on or after
 * it can shape the choice. Validation cutoffs are the firsts of the
 * n_cutoffs months before the training cutoff; each is scored on the
 * purchases from it to the next first (or the training cutoff).
 *
 * The search is a coordinate descent from the base parameters: for each
 * parameter in turn (popularity windows and blend, repurchase policy,
 * neighbour counts, the weights of the candidate sources) every listed
 * value is tried with the others held at the best so far, and a value
 * replaces the best so far only when its mean hit-rate@k over all
 * validation users is higher and it is higher on more cutoffs than it is
 * lower (with equal hit-rates everywhere: the same on NDCG@k, differences
 * under 1e-4 being ties). Parameters that change only the ranking reuse the
 * fitted models; the others refit. */
#ifndef RECSYS_ENGINE_TUNE_H
#define RECSYS_ENGINE_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

#define TUNE_MAX_CUTOFFS     6
#define TUNE_MAX_CONFIGS     64
#define TUNE_MAX_VALUES      6
#define TUNE_DEFAULT_CUTOFFS 4

/* One parameter of the search and the values it tries. */
struct tune_dim {
    const char *name; /* the algo_params field, as in params JSON */
    size_t offset;    /* offsetof(struct algo_params, field) */
    int is_int;       /* int field, else double */
    int refit;        /* 1 when the value changes the fitted model */
    int n_values;
    double values[TUNE_MAX_VALUES];
};

/* The search space of the hybrid (and, without its hybrid-only parameters,
 * of the other algorithms): *n gets its length. */
const struct tune_dim *tune_dims(int *n);

struct tune_cell {
    int64_t users, warm_users;
    double hr_all, ndcg_all, hr_warm, ndcg_warm;
};

struct tune_config {
    char dim[32]; /* the parameter this row varied ("base" for the start) */
    double value; /* its value in this row */
    struct algo_params p;
    struct tune_cell cell[TUNE_MAX_CUTOFFS];
    struct tune_cell mean; /* over the cutoffs (users: summed) */
    int kept;              /* 1 when this value was kept for its parameter */
};

/* Called before each row is scored (for progress lines). */
typedef void (*tune_progress_fn)(void *ctx, const char *dim, double value, int done, int total);

struct tune_options {
    const char *cutoff; /* training cutoff "YYYY-MM-DD"; validation strictly before it */
    const char *algo;   /* NULL: "hybrid" */
    int n_cutoffs;      /* validation months, 1..TUNE_MAX_CUTOFFS (0: TUNE_DEFAULT_CUTOFFS) */
    int k;              /* 0: 10 */
    const struct algo_params *base; /* NULL: the defaults */
    const char *const *only;        /* non-NULL: search only these parameters */
    int n_only;
    tune_progress_fn progress; /* may be NULL */
    void *progress_ctx;
};

struct tune_result {
    char algo[32];
    char cutoff[11];
    int k;
    int n_cutoffs;
    char cutoffs[TUNE_MAX_CUTOFFS][11]; /* validation cutoffs, oldest first */
    char until[TUNE_MAX_CUTOFFS][11];   /* each one's window end (exclusive) */
    int n_configs;
    struct tune_config configs[TUNE_MAX_CONFIGS]; /* configs[0]: the base */
    int chosen;                                   /* index of the chosen row */
    struct algo_params params;                    /* the chosen configuration */
    char reason[384];
    double seconds;
};

/* Runs the search on ds (loaded with every event; only those before
 * o->cutoff are read) into *r. Returns 0, or ERR_INVALID (malformed cutoff,
 * unknown algorithm or parameter, no validation month with purchases),
 * ERR_NOMEM, or what training reports, with err. */
int tune_run(const struct dataset *ds, const struct tune_options *o, struct tune_result *r,
             char *err, size_t errlen);

/* {"algo":..,"cutoff":..,"k":..,"cutoffs":[..],"chosen":i,"reason":..,
 * "params":{..},"table":[{"dim":..,"value":..,"kept":..,"mean":{..},
 * "cutoffs":[{..},..]},..]}, malloc'd; NULL on OOM. */
char *tune_result_json(const struct tune_result *r);

/* Sets the field dim names in p to v (ints rounded). ERR_INVALID when p has
 * no such field in the search space. */
int tune_set_param(struct algo_params *p, const char *dim, double v);

#endif
