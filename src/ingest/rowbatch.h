/* A batch of validated, typed rows held in memory so ingest can insert them
 * in primary-key order. Why: SQLite appends to a B-tree far faster than it
 * inserts at random places, and Olist ids are random hex, so a file inserted
 * in CSV order splits and seeks all over its key index. Rows keep the CSV line
 * they came from, so errors found at insert time still name it.
 * Storage is a list of fixed chunks (never realloc'd, so values never move and
 * nothing is copied twice) that rowbatch_reset keeps for the next file.
 * Every size is bounded: rowbatch_push refuses (returns 1) once the batch
 * holds max_bytes, and the caller flushes and starts over. */
#ifndef RECSYS_INGEST_ROWBATCH_H
#define RECSYS_INGEST_ROWBATCH_H

#include <stddef.h>
#include <stdint.h>

#define ROWBATCH_MAX_COLS 16
#define ROWBATCH_MAX_ROWS (1u << 30)
#define ROWBATCH_CHUNK    ((size_t)2 << 20) /* also the alignment: a huge page */

enum rowbatch_type { RB_NULL, RB_INT, RB_REAL, RB_TEXT };

struct rowbatch_val {
    int type;     /* enum rowbatch_type */
    uint32_t len; /* RB_TEXT: bytes (not NUL-terminated) */
    union {
        int64_t i;
        double d;
        const char *s; /* RB_TEXT: on push the bytes to copy, in the batch the copy */
    } u;
};

struct rowbatch_chunk;

struct rowbatch {
    int ncols;
    size_t max_bytes;
    size_t nrows, rows_cap;
    struct rowbatch_val **rows;    /* each: ncols values, preceded by its CSV line */
    struct rowbatch_chunk *chunks; /* in use, newest first */
    struct rowbatch_chunk *spare;  /* emptied, kept for reuse */
    size_t bytes;                  /* bytes of rows held (chunk tails add at most
                                      one record's size each) */
};

/* ncols: 1..ROWBATCH_MAX_COLS; max_bytes: the memory the batch may hold. */
void rowbatch_init(struct rowbatch *b, int ncols, size_t max_bytes);
void rowbatch_free(struct rowbatch *b);
/* Empties the batch (keeping its memory) for rows of ncols values. */
void rowbatch_reset(struct rowbatch *b, int ncols);

/* Copies one row of ncols values (text bytes included). Returns 0, 1 when the
 * batch is full (flush it and push again; a row alone over max_bytes is
 * still taken into an empty batch), or -1 when out of memory. */
int rowbatch_push(struct rowbatch *b, long line, const struct rowbatch_val *vals);

/* Orders the rows by their first nkeys columns (NULL first, numbers by value,
 * text by bytes as SQLite's BINARY collation), ties by line, so a duplicate
 * key meets its earlier row first. nkeys 0 keeps the input order. -1 when out
 * of memory (the batch is unchanged). */
int rowbatch_sort(struct rowbatch *b, int nkeys);

/* The k-th row (k < nrows) in the current order: ncols values. */
static inline const struct rowbatch_val *rowbatch_row(const struct rowbatch *b, size_t k,
                                                      long *line)
{
    const struct rowbatch_val *v = b->rows[k];
    if (line)
        *line = *(const long *)(const void *)(v - 1);
    return v;
}

#endif
