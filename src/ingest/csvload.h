/* Streaming CSV reader for the Olist files: libcsv over zlib's gzread, so
 * `.csv.gz` and plain `.csv` read the same way. Handles a UTF-8 BOM, CRLF,
 * quoted commas, quotes and newlines; an empty field is reported as NULL.
 * The header is validated by name and may list the columns in any order;
 * rows reach the callback in the caller's column order with the physical
 * line number where the record starts. Every size has a hard maximum. */
#ifndef RECSYS_INGEST_CSVLOAD_H
#define RECSYS_INGEST_CSVLOAD_H

#include <stddef.h>

#define CSVLOAD_MAX_COLS  32
#define CSVLOAD_MAX_FIELD (64 * 1024)  /* bytes in one field */
#define CSVLOAD_MAX_ROW   (512 * 1024) /* bytes in one record, all fields */

struct csvload_row {
    const char *file;                    /* display name (base name of the path) */
    long line;                           /* physical line where the record starts; header = 1 */
    int nfields;                         /* the caller's ncols */
    const char *field[CSVLOAD_MAX_COLS]; /* NUL-terminated; NULL when empty */
    size_t len[CSVLOAD_MAX_COLS];
    int column[CSVLOAD_MAX_COLS]; /* 1-based position in the file */
    const char *const *name;      /* the caller's column names */
};

/* Returns 0 to go on, negative (with err filled) to stop the whole read. */
typedef int (*csvload_row_fn)(void *ctx, const struct csvload_row *row, char *err, size_t errlen);

/* Reads path (plain or gzip) whose header must hold exactly the ncols names
 * in columns (any order), calling fn once per data row. *rows receives the
 * number of data rows delivered. With show_progress, draws per-file progress
 * (util/progress.h decides whether a terminal is there). Returns 0, or -1 with
 * a sentence naming the file, line and column: unreadable file, not a CSV
 * (binary data, HTML), bad header, wrong field count, malformed quoting, a
 * field or record over the limits, or the callback's own error. */
int csvload_file(const char *path, const char *const *columns, int ncols, csvload_row_fn fn,
                 void *ctx, int show_progress, long *rows, char *err, size_t errlen);

/* Fills err with "FILE line L column C (NAME): <message>" for field i of row.
 * Always returns -1. */
int csvload_field_error(char *err, size_t errlen, const struct csvload_row *row, int i,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
