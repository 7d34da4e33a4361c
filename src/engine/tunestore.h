/* Tuning runs in the `tune_runs` table of olist.db: each `recsys-tui tune`
 * stores the configuration it chose and the validation table that chose it
 * (tune_result_json); `train` starts from the latest run for its algorithm
 * and stores that run with the model (in its params JSON, member "tuning"),
 * so `models show` and a model store's manifest say why. */
#ifndef RECSYS_ENGINE_TUNESTORE_H
#define RECSYS_ENGINE_TUNESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"
#include "engine/tune.h"

#define TUNESTORE_SCHEMA                                                                           \
    "CREATE TABLE IF NOT EXISTS tune_runs(id INTEGER PRIMARY KEY, created_at TEXT NOT NULL,"       \
    " algorithm TEXT NOT NULL, cutoff TEXT NOT NULL, report TEXT NOT NULL);"

struct tune_run {
    int64_t id;
    char created_at[24];
    char algorithm[32];
    char cutoff[11];
    char *report; /* tune_result_json text, malloc'd */
};

/* Stores r as a new run; *id gets its number. ERR_FAIL when the database
 * cannot be opened or written, ERR_BUSY past the busy timeout, ERR_NOMEM. */
int tunestore_save(const char *db_path, const struct tune_result *r, int64_t *id, char *err,
                   size_t errlen);

/* The latest run for algorithm into *out (free with tunestore_run_free).
 * 0 when found, 1 when there is none (or no table, or no database), a
 * negative err_code when the table cannot be read. */
int tunestore_latest(const char *db_path, const char *algorithm, struct tune_run *out, char *err,
                     size_t errlen);
void tunestore_run_free(struct tune_run *r);

/* Sets in p every tuned parameter named in the "params" object of a
 * report (tune_result_json text); the others keep their values. Returns
 * how many were set, or ERR_CORRUPT when the report has no params object. */
int tunestore_apply(const char *report, struct algo_params *p);

/* {"run":id,"created_at":..,"report":<report>} for a model's params JSON,
 * malloc'd; NULL on OOM. */
char *tunestore_run_json(const struct tune_run *r);

/* The params JSON of a model trained with p (modelstore_params_json) and,
 * when r is not NULL, the run that chose them as its member "tuning" (what
 * `models show` prints), malloc'd; NULL on OOM. */
char *tunestore_params_json(const struct algo_params *p, const struct tune_run *r);

#endif
