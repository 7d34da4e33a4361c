/* The nine Olist input files as data: names, columns, types, keys, cleaning
 * flags, and the validation that turns one CSV row into typed values for
 * SQLite. Ingest is generic over this table, so the per-file differences
 * live here and nowhere else. */
#ifndef RECSYS_INGEST_OLIST_H
#define RECSYS_INGEST_OLIST_H

#include <stddef.h>

#include "ingest/csvload.h"
#include "ingest/ingest.h"
#include "ingest/keyset.h"
#include "ingest/rowbatch.h"

#define OLIST_MAX_COLS 9

enum olist_type { OLIST_TEXT, OLIST_INT, OLIST_REAL, OLIST_TS };
enum olist_flag {
    OLIST_REQ = 1,   /* empty is an error */
    OLIST_CAT = 2,   /* empty becomes 'outros' */
    OLIST_PRICE = 4, /* feeds the outlier statistics */
};

struct olist_col {
    const char *name;
    unsigned char type, flags;
    unsigned char ref; /* 1 + the file whose keys this column must name; 0 none */
};

struct olist_file {
    const char *base; /* "olist_orders_dataset" (no extension) */
    const char *table;
    int required;
    int npk;    /* the primary key is the first npk columns (0: none) */
    int parent; /* other files refer to its first column */
    int ncols;
    struct olist_col cols[OLIST_MAX_COLS];
};

extern const struct olist_file OLIST_FILES[INGEST_NFILES];

/* What validation changed, per file. */
struct olist_counts {
    long long outros;  /* empty category -> 'outros' */
    long long null_ts; /* empty timestamps -> NULL */
    long long null_ts_col[OLIST_MAX_COLS];
};

/* Validates row (of OLIST_FILES[file], columns in spec order) into v[ncols]:
 * required fields present, integers, finite non-negative prices, strict
 * 'YYYY-MM-DD HH:MM:SS' timestamps, foreign keys present in sets[parent].
 * Text values point into row. Returns 0, or -1 with err naming file, line,
 * column and field. */
int olist_check_row(int file, const struct csvload_row *row, const struct keyset *sets,
                    struct olist_counts *n, struct rowbatch_val *v, char *err, size_t errlen);

/* Exposed for the unit tests: whole-field parses, 0 ok / -1 not a number. */
int olist_parse_int(const char *f, size_t len, long long *out);
int olist_parse_real(const char *f, size_t len, double *out);
int olist_valid_timestamp(const char *s, size_t len);

#endif
