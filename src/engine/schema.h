/* The SQLite schema of an ingested Olist database: the contract between
 * ingest (which fills it) and the engine (which reads it). Table and column
 * names are the original Kaggle ones, typos included (`product_name_lenght`). */
#ifndef RECSYS_ENGINE_SCHEMA_H
#define RECSYS_ENGINE_SCHEMA_H

/* Tables and views, no indexes: ingest creates the tables, loads the rows,
 * then runs schema_index_sql() (building indexes after the load is faster).
 * Static strings; never NULL. */
const char *schema_sql(void);
const char *schema_index_sql(void);

#endif
