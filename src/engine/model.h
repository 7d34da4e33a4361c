/* A model's life: fitted from a dataset (model_train), or loaded from a blob
 * (modelstore.c), then freed (model_free). See struct model in algo.h. */
#ifndef RECSYS_ENGINE_MODEL_H
#define RECSYS_ENGINE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

/* Fits algorithm algo on the events of ds before cutoff_day into *m (which
 * owns copies of everything it needs). p NULL: the defaults. ERR_INVALID
 * for an unknown algorithm or bad parameters; ERR_NOMEM; *m is left empty on
 * failure. */
int model_train(const struct dataset *ds, const char *algo, const struct algo_params *p,
                int32_t cutoff_day, struct model *m, char *err, size_t errlen);

/* model_train for a dataset not needed afterwards (train --no-eval): the
 * model takes ds's id maps and tables instead of copying them, and ds's
 * events are freed before the algorithm's fit, so the fit's peak memory is
 * the model alone. *ds is left empty (freed) whatever the outcome. */
int model_train_take(struct dataset *ds, const char *algo, const struct algo_params *p,
                     int32_t cutoff_day, struct model *m, char *err, size_t errlen);

/* Frees everything m owns and zeroes it; NULL and zeroed models are fine. */
void model_free(struct model *m);

#endif
