/* The ids of a table as an idmap: 32-hex ids parsed into 128-bit keys
 * (struct ds_key) are sorted as integers, and the distinct ones kept in
 * order. Used by the dataset loader for people, products and sellers. */
#ifndef RECSYS_ENGINE_DATASET_IDS_H
#define RECSYS_ENGINE_DATASET_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/dataset.h"

struct sqlite3;

/* Sorts the keys of rows 0..n-1 (a struct ds_key at the start of each row,
 * stride bytes apart) and fills ids with the distinct ones in order;
 * *first_row[j] (malloc'd, caller frees) is the first row carrying id j, and
 * row_id (optional, n entries) maps each row to its id. Returns the number of
 * distinct ids, or -1 out of memory (ids->ids may then need freeing). */
int32_t dataset_ids_distinct(const void *rows, size_t stride, int32_t n, struct idmap *ids,
                             int32_t **first_row, int32_t *row_id);

/* Row-count estimate for pre-sizing from a "SELECT MAX(rowid) FROM t" query
 * (one B-tree descent): that plus one, or 4096 when unknown. */
size_t dataset_ids_table_rows(struct sqlite3 *db, const char *sql);

#endif
