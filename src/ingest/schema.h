/* The SQLite schema of an ingested Olist database: the contract between
 * ingest (which fills it) and the engine (which reads it). Table and column
 * names are the original Kaggle ones, typos included (`product_name_lenght`). */
#ifndef RECSYS_INGEST_SCHEMA_H
#define RECSYS_INGEST_SCHEMA_H

#include <stddef.h>

/* Tables and views, no indexes: ingest creates the tables, loads the rows,
 * then runs schema_index_sql() (building indexes after the load is faster).
 * Static strings; never NULL. */
const char *schema_sql(void);
const char *schema_index_sql(void);

/* The statements of schema_index_sql() that index one table, copied into out
 * (NUL-terminated; "" when none), so ingest can index each table as soon as
 * it is loaded. Returns 0, or -1 when out is too small. */
int schema_table_index_sql(const char *table, char *out, size_t outlen);

#endif
