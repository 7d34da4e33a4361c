/* The inserting side of ingest: one input file's rows, as the read-ahead
 * thread hands them over (already validated and sorted by primary key), go
 * into the file's table in multi-row INSERT groups. Exact duplicate rows are
 * dropped and counted; a key clash with different values is an error naming
 * the later line. */
#ifndef RECSYS_INGEST_LOADER_H
#define RECSYS_INGEST_LOADER_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stddef.h>

#include "ingest/olist.h"
#include "ingest/readahead.h"

/* What one file's load stored and counted. */
struct loader_result {
    long long inserted;            /* rows stored */
    long long duplicates;          /* exact duplicate rows dropped */
    long rows;                     /* data rows read from the file */
    struct olist_counts counts;    /* the reader's cleaning counts */
    double price_sum, price_sumsq; /* over the OLIST_PRICE column of the stored rows */
    long long price_n;
};

/* Inserts every chunk of `file` (enum ingest_file) from ra into its table of
 * db, whose schema exists; fname names the file in errors. Gives up between
 * rows once interrupt (NULL: never) is raised. 0 and *out filled, or a
 * negative err_code with err naming file, line and column. */
int loader_load_file(sqlite3 *db, int file, const char *fname, struct readahead *ra,
                     const atomic_int *interrupt, struct loader_result *out, char *err,
                     size_t errlen);

#endif
