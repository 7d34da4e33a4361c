/* Pruning the stored model versions of a serving database: the engine's
 * modelstore_prune with the versions running A/B experiments serve pinned,
 * so a prune never takes a model from under an experiment. Used by the
 * retraining scheduler (regions.conf retrain_keep) and `recsys-tui models
 * prune`. Opens the database itself; call it off the event loops. */
#ifndef RECSYS_NET_MODELPRUNE_H
#define RECSYS_NET_MODELPRUNE_H

#include <stddef.h>

#include "engine/modelstore.h"

/* Keeps the `keep` newest versions, the active one and every version a
 * running experiment names (the experiments tables, when present); deletes
 * the rest. 0 or a negative err_code with err (modelstore_prune's). */
int modelprune_run(const char *db_path, int keep, struct modelstore_pruned *out, char *err,
                   size_t errlen);

#endif
