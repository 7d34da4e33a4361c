/* `recsys-tui ingest`: option parsing and the printed summary; the work is
 * in ingest/ingest.c. */
#include "cli/cmd_ingest.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "cli/signals.h"
#include "ingest/ingest.h"
#include "ingest/schema.h"
#include "util/error.h"
#include "util/progress.h"

#define DEFAULT_DATA_DIR "../shared/olist"

static const char ingest_usage[] =
    "usage: recsys-tui ingest [--data DIR] [--db PATH] [--quiet]\n"
    "\n"
    "Loads the nine Olist CSV files (original Kaggle names, .csv or .csv.gz) from DIR\n"
    "into the SQLite database PATH, cleaning as it goes: exact duplicate rows removed,\n"
    "empty product category set to 'outros', item prices above mean + 3 sd flagged as\n"
    "outliers (kept, left out of recommendations), empty timestamps stored as NULL.\n"
    "The counts go to the ingest_report table and are printed as a summary.\n"
    "The database is built beside PATH and renamed over it only on success; tables the\n"
    "old database has beyond the schema (trained models) are carried over.\n"
    "Reviews and geolocation are optional (a warning when absent).\n"
    "\n"
    "  --data DIR   input directory (default " DEFAULT_DATA_DIR " when it exists)\n"
    "  --db PATH    database to create or replace (default " OPTS_DEFAULT_DB ")\n"
    "  --quiet, -q  no progress lines (they appear only on a terminal anyway)\n"
    "  --help, -h   this text\n"
    "\n"
    "Interrupting it (Ctrl-C, SIGINT, SIGTERM) stops it cleanly: the temporary file\n"
    "is removed and PATH is left as it was.\n"
    "\n"
    "Exit status: 0 success, 1 bad or missing input (the message names file, line\n"
    "and column), 2 usage error, 130 interrupted by SIGINT, 143 by SIGTERM.\n";

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void print_summary(const struct ingest_options *o, const struct ingest_summary *s)
{
    static const char *const label[INGEST_NFILES] = {
        "category translations", "customers", "sellers", "products",   "orders",
        "order items",           "payments",  "reviews", "geolocation"};
    printf("ingested %s into %s in %.2f s (%s data)\n", o->data_dir, o->db_path, s->seconds,
           s->sample ? "sample" : "real");
    for (int i = 0; i < INGEST_NFILES; i++) {
        if (s->present[i])
            printf("  %-22s %10lld\n", label[i], s->rows[i]);
        else
            printf("  %-22s %10s\n", label[i], "absent");
    }
    printf("cleaning:\n");
    printf("  %-38s %8lld\n", "exact duplicate rows removed", s->duplicates);
    printf("  %-38s %8lld\n", "empty category set to 'outros'", s->outros);
    char buf[64];
    snprintf(buf, sizeof buf, "price outliers flagged (> %.2f)", s->outlier_threshold);
    printf("  %-38s %8lld\n", buf, s->outliers);
    printf("  %-38s %8lld\n", "empty timestamps stored as NULL", s->null_timestamps);
    printf("  %-38s %8lld\n", "categories without English name", s->untranslated);
    if (s->carried_tables)
        printf("kept %d table%s from the previous database (trained models)\n", s->carried_tables,
               s->carried_tables == 1 ? "" : "s");
}

int cmd_ingest(int argc, char **argv)
{
    struct ingest_options o = {.db_path = OPTS_DEFAULT_DB};
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(ingest_usage, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--print-schema")) {
            /* Hidden: the DDL for bench/ingest (tables, then indexes). */
            fputs(schema_sql(), stdout);
            fputs(schema_index_sql(), stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--print-pragmas")) {
            puts(INGEST_PRAGMAS); /* hidden: what bench/ingest gives the shell */
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--print-schema-tables")) {
            fputs(schema_sql(), stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--print-schema-indexes")) {
            fputs(schema_index_sql(), stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            o.quiet = 1;
        } else if (opts_value(argc, argv, &i, "--data", &v)) {
            if (!v || !*v)
                goto usage;
            o.data_dir = v;
        } else if (opts_value(argc, argv, &i, "--db", &v)) {
            if (!v || !*v)
                goto usage;
            o.db_path = v;
        } else {
            fprintf(stderr, "recsys-tui ingest: unknown option '%s'\n", argv[i]);
            goto usage;
        }
    }
    if (!o.data_dir) {
        if (!is_dir(DEFAULT_DATA_DIR)) {
            fprintf(stderr,
                    "recsys-tui ingest: no --data DIR given and %s does not exist "
                    "(try `recsys-tui gen-sample --out DIR` for sample data)\n",
                    DEFAULT_DATA_DIR);
            return EXIT_USAGE;
        }
        o.data_dir = DEFAULT_DATA_DIR;
    }
    progress_set_quiet(o.quiet);
    struct ingest_summary s;
    char err[ERR_LEN];
    /* The handler only raises the flag; the loader notices it between rows
     * and unwinds through its normal error path. ONESHOT: a second Ctrl-C
     * kills at once. */
    if (signals_install(SIGNALS_ONESHOT, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui ingest: %s\n", err);
        return EXIT_FAIL;
    }
    o.interrupt = signals_stop_flag();
    int rc = ingest_run(&o, &s, err, sizeof err);
    signals_restore();
    if (s.stale_removed)
        fprintf(stderr,
                "recsys-tui ingest: removed stale temporary file%s %s (left by an "
                "ingest that was killed)\n",
                s.stale_removed == 1 ? "" : "s", s.stale);
    if (s.stale_failed[0])
        fprintf(stderr, "recsys-tui ingest: warning: cannot remove stale temporary file %s\n",
                s.stale_failed);
    if (rc < 0) {
        if (rc == ERR_INTERRUPTED && !o.quiet && isatty(STDERR_FILENO))
            fputc('\n', stderr); /* end the progress line the interrupt cut short */
        fprintf(stderr, "recsys-tui ingest: %s\n", err);
        fprintf(stderr, "recsys-tui ingest: %s left unchanged\n", o.db_path);
        return rc == ERR_INTERRUPTED ? signals_exit_status(EXIT_FAIL) : EXIT_FAIL;
    }
    if (s.warnings[0])
        fprintf(stderr, "recsys-tui ingest: warning: %s\n", s.warnings);
    print_summary(&o, &s);
    return EXIT_OK;
usage:
    fputs(ingest_usage, stderr);
    return EXIT_USAGE;
}
