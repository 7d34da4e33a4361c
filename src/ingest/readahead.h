/* Reads and validates ingest's input files on a second thread, one batch
 * ahead of the thread inserting into SQLite, so parsing and checking overlap
 * with the inserts instead of adding to them. Files are read in enum
 * ingest_file order (parents before children); rows are validated against
 * the parents' keys (olist_check_row), batched and sorted by primary key, and
 * handed over in order. Two batches circulate, so memory is bounded by
 * 2 x READAHEAD_BATCH_BYTES whatever the input size. */
#ifndef RECSYS_INGEST_READAHEAD_H
#define RECSYS_INGEST_READAHEAD_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>

#include "ingest/ingest.h"
#include "ingest/olist.h"
#include "ingest/rowbatch.h"

/* The real Olist files fit in one batch each; bigger input is loaded in
 * several sorted runs (still correct: duplicates across runs are caught by
 * SQLite's primary key). */
#define READAHEAD_BATCH_BYTES ((size_t)128 << 20)

struct readahead_chunk {
    struct rowbatch batch; /* validated rows, sorted by the file's key */
    int file;              /* enum ingest_file */
    int last;              /* the file's final chunk: rows and counts are final */
    int key_column;        /* 1-based position of the key column in the file */
    long rows;             /* data rows read from the file so far */
    struct olist_counts counts;
};

struct readahead;

/* Starts the reader over paths[INGEST_NFILES] ("" = absent, skipped). It
 * gives up between rows once *interrupt (NULL: never) is non-zero, failing
 * with interrupt_error(). 0 and *out, or -1 with err (out of memory, no
 * thread). */
int readahead_start(struct readahead **out, const char (*paths)[PATH_MAX], int show_progress,
                    const atomic_int *interrupt, char *err, size_t errlen);

/* Waits for the next chunk in file order. NULL with err when the reader
 * failed (the message names file, line and column) or stopped. */
struct readahead_chunk *readahead_next(struct readahead *r, char *err, size_t errlen);

/* Gives a chunk from readahead_next back for reuse. */
void readahead_release(struct readahead *r, struct readahead_chunk *c);

/* Stops the reader (wherever it is), joins it and frees everything. NULL ok. */
void readahead_finish(struct readahead *r);

#endif
