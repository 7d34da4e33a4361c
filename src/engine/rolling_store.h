/* Rolling evaluation results in the database, so the insights route (and
 * anyone with sqlite3) can show the latest run without recomputing it.
 * Table eval_rolling: one row per run, month, algorithm and segment. */
#ifndef RECSYS_ENGINE_ROLLING_STORE_H
#define RECSYS_ENGINE_ROLLING_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/rolling.h"

#define ROLLING_STORE_SCHEMA                                                                       \
    "CREATE TABLE IF NOT EXISTS eval_rolling (\n"                                                  \
    "  run_id INTEGER NOT NULL,\n"                                                                 \
    "  created_at TEXT NOT NULL,\n"                                                                \
    "  month TEXT NOT NULL,\n"                                                                     \
    "  algorithm TEXT NOT NULL,\n"                                                                 \
    "  segment TEXT NOT NULL, -- 'all' or 'warm' (history before the month)\n"                     \
    "  k INTEGER NOT NULL,\n"                                                                      \
    "  users INTEGER NOT NULL,\n"                                                                  \
    "  hits INTEGER NOT NULL,\n"                                                                   \
    "  hit_rate REAL NOT NULL,\n"                                                                  \
    "  hr_low REAL NOT NULL, -- 95% Wilson interval\n"                                             \
    "  hr_high REAL NOT NULL,\n"                                                                   \
    "  precision REAL NOT NULL,\n"                                                                 \
    "  recall REAL NOT NULL,\n"                                                                    \
    "  ndcg REAL NOT NULL,\n"                                                                      \
    "  PRIMARY KEY (run_id, month, algorithm, segment)\n"                                          \
    ");\n"

/* Stores rows as a new run (run_id = the largest so far + 1) in one
 * transaction, creating the table when missing. 0 and *run_id, or a
 * negative err_code with err (ERR_BUSY when the database stays locked). */
int rolling_store_save(const char *db_path, const struct rolling_row *rows, int n, int k,
                       int64_t *run_id, char *err, size_t errlen);

#endif
