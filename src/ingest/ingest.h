/* Olist CSVs -> SQLite (schema.h), atomically: the database is built in a
 * temporary file beside the target and renamed over it only when every file
 * loaded, validated and cross-checked. Tables the old database had and the
 * schema does not (the engine's `models`, ...) are copied over first, so a
 * re-ingest never loses trained models. Knows nothing of terminals: progress
 * goes through util/progress.h, messages through the err buffer.
 * How it is fast: a second thread parses and validates (readahead.h) while
 * this one inserts; each file's rows are sorted by primary key and inserted
 * in groups (B-tree appends, not random inserts), and each table is indexed
 * as soon as it is loaded, while the next file is parsed. */
#ifndef RECSYS_INGEST_INGEST_H
#define RECSYS_INGEST_INGEST_H

#include <stdatomic.h>
#include <stddef.h>

/* Index of each input in ingest_summary.rows and ingest_file_base(). */
enum ingest_file {
    INGEST_TRANSLATION,
    INGEST_CUSTOMERS,
    INGEST_SELLERS,
    INGEST_PRODUCTS,
    INGEST_ORDERS,
    INGEST_ITEMS,
    INGEST_PAYMENTS,
    INGEST_REVIEWS,     /* optional */
    INGEST_GEOLOCATION, /* optional */
    INGEST_NFILES
};

/* Marker file gen-sample writes into its output directory; ingest records
 * meta.dataset = 'sample' when it is there, 'real' otherwise. */
#define INGEST_SAMPLE_MARKER "GENERATED_SAMPLE.txt"

/* The pragmas of the temporary database; `ingest --print-pragmas` prints them
 * so bench/ingest gives the sqlite3 shell exactly the same. */
#define INGEST_PRAGMAS                                                                             \
    "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE; "             \
    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8192;"

struct ingest_options {
    const char *data_dir; /* holds the nine files, .csv or .csv.gz */
    const char *db_path;  /* target database (replaced atomically) */
    int quiet;            /* no per-file progress even on a terminal */
    /* NULL, or a flag (raised by a SIGINT/SIGTERM handler, say) that both
     * threads poll between rows and SQLite polls while it builds indexes:
     * once it is non-zero the run fails with ERR_INTERRUPTED through its
     * normal error path, so the temporary file is removed and the old
     * database is untouched. A flag already raised fails the run at once. */
    const atomic_int *interrupt;
};

struct ingest_summary {
    long long rows[INGEST_NFILES]; /* rows stored per table (after dedupe) */
    long long duplicates;          /* exact duplicate rows removed */
    long long outros;              /* empty product category -> 'outros' */
    long long outliers;            /* items flagged price_outlier */
    long long null_timestamps;     /* empty timestamp fields stored as NULL */
    long long untranslated;        /* categories without an English name */
    double outlier_threshold;      /* mean + 3 sd of item price */
    double seconds;                /* wall time of the whole run */
    int present[INGEST_NFILES];    /* 1 when the file was found and loaded */
    int sample;                    /* 1 when the dir came from gen-sample */
    int carried_tables;            /* tables copied from the old database */
    char warnings[512];            /* "reviews absent; ..." or "" */
    /* Temporary files a killed ingest left beside the database, removed
     * before this run started (ingest/tmpdb.h): how many, their names, and
     * any that could not be removed (with why). Filled even when the run
     * then fails. */
    int stale_removed;
    char stale[512];
    char stale_failed[512];
};

/* Runs the whole ingest. First removes the temporary files of killed
 * earlier runs (s->stale). Returns 0 and fills *s, or a negative err_code
 * (ERR_INTERRUPTED when o->interrupt stopped it) with err naming the file,
 * line and column at fault; on failure the old database is untouched and no
 * temporary file remains. */
int ingest_run(const struct ingest_options *o, struct ingest_summary *s, char *err, size_t errlen);

/* 1 when dir holds the seven required Olist files (.csv or .csv.gz), else 0. */
int ingest_data_present(const char *dir);

/* "olist_orders_dataset" etc. (no extension). */
const char *ingest_file_base(int file);

#endif
