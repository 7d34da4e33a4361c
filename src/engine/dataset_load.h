/* Loading a dataset from olist.db (see dataset_load.c for how it is made fast). */
#ifndef RECSYS_ENGINE_DATASET_LOAD_H
#define RECSYS_ENGINE_DATASET_LOAD_H

#include <stddef.h>

#include "engine/dataset.h"

/* How long a connection waits for another connection's lock (a writer's
 * commit: train, activate, rollback) before failing with "database is
 * locked". Every connection the program opens sets it. */
#define DS_BUSY_MS 10000

struct sqlite3;
/* Opens the database at path read-only with the busy timeout. 0, or
 * ERR_FAIL with err naming the file (*db is then NULL). */
int dataset_open_ro(const char *path, struct sqlite3 **db, char *err, size_t errlen);
/* The same for a connection only one thread uses at a time (the loader's):
 * no per-call mutex, which was 8% of a load's CPU. */
int dataset_load_open(const char *path, struct sqlite3 **db, char *err, size_t errlen);

/* Reads customers, products (product_catalog), sellers and the interactions
 * (order items joined to orders and customers as the interactions view does,
 * with each order item's seller) of the database at path. Returns 0, or -1 (ERR_FAIL) with err
 * naming the table at fault; ds is left empty. */
int dataset_load(const char *path, struct dataset *ds, char *err, size_t errlen);
/* via_view = 1 reads the interactions view itself instead of joining the
 * tables in memory (slower; used to check that both agree). The view has no
 * seller: its events' sellers are -1 and ds->sellers stays empty. */
int dataset_load_mode(const char *path, struct dataset *ds, int via_view, char *err, size_t errlen);

#endif
