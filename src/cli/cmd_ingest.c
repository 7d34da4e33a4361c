/* `recsys-tui ingest` and `recsys-tui gen-sample`: option parsing and the
 * printed summary. The work is in engine/ingest.c and engine/sample.c. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "ingest/ingest.h"
#include "ingest/sample.h"
#include "ingest/schema.h"
#include "util/error.h"
#include "util/progress.h"

#define DEFAULT_DATA_DIR "../shared/olist"
#define DEFAULT_DB       "olist.db"

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
    "  --db PATH    database to create or replace (default " DEFAULT_DB ")\n"
    "  --quiet, -q  no progress lines (they appear only on a terminal anyway)\n"
    "  --help, -h   this text\n"
    "\n"
    "Interrupting it (Ctrl-C, SIGINT, SIGTERM) stops it cleanly: the temporary file\n"
    "is removed and PATH is left as it was.\n"
    "\n"
    "Exit status: 0 success, 1 bad or missing input (the message names file, line\n"
    "and column), 2 usage error, 130 interrupted by SIGINT, 143 by SIGTERM.\n";

static const char gen_usage[] =
    "usage: recsys-tui gen-sample --out DIR [--customers N] [--seed S]\n"
    "\n"
    "Writes deterministic Olist-shaped sample CSVs (all nine files, original headers)\n"
    "into DIR, for running recsys-tui without the real dataset. The same N and S\n"
    "always give identical files.\n"
    "\n"
    "  --out DIR        output directory (created when missing)\n"
    "  --customers N    number of people (default 5000, 10..10000000)\n"
    "  --seed S         random seed (default 42)\n"
    "  --help, -h       this text\n";

/* Matches "--name VALUE" or "--name=VALUE"; advances *i past the value. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *value = NULL;
        return 1;
    }
    *value = argv[++*i];
    return 1;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The signal that interrupted the ingest (0: none). The handler only records
 * it and raises ingest's flag; the loader notices between rows and unwinds
 * through its normal error path. SA_RESETHAND: a second Ctrl-C kills at once. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
    ingest_interrupt();
}

static void catch_stop_signals(int on)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_stop_signal : SIG_DFL;
    sa.sa_flags = on ? SA_RESETHAND : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
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
    struct ingest_options o = {NULL, DEFAULT_DB, 0};
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
        } else if (opt_value(argc, argv, &i, "--data", &v)) {
            if (!v || !*v)
                goto usage;
            o.data_dir = v;
        } else if (opt_value(argc, argv, &i, "--db", &v)) {
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
    catch_stop_signals(1);
    int rc = ingest_run(&o, &s, err, sizeof err);
    catch_stop_signals(0);
    if (rc < 0) {
        if (ingest_interrupted() && !o.quiet && isatty(STDERR_FILENO))
            fputc('\n', stderr); /* end the progress line the interrupt cut short */
        fprintf(stderr, "recsys-tui ingest: %s\n", err);
        fprintf(stderr, "recsys-tui ingest: %s left unchanged\n", o.db_path);
        /* 128 + signal, as a shell reports a command killed by it */
        return ingest_interrupted() && stop_signal ? 128 + stop_signal : EXIT_FAIL;
    }
    if (s.warnings[0])
        fprintf(stderr, "recsys-tui ingest: warning: %s\n", s.warnings);
    print_summary(&o, &s);
    return EXIT_OK;
usage:
    fputs(ingest_usage, stderr);
    return EXIT_USAGE;
}

int cmd_gen_sample(int argc, char **argv)
{
    const char *out = NULL;
    long customers = SAMPLE_DEFAULT_CUSTOMERS, seed = 42;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(gen_usage, stdout);
            return EXIT_OK;
        } else if (opt_value(argc, argv, &i, "--out", &v)) {
            if (!v || !*v)
                goto usage;
            out = v;
        } else if (opt_value(argc, argv, &i, "--customers", &v)) {
            if (parse_long(v, 10, SAMPLE_MAX_CUSTOMERS, &customers) < 0) {
                fprintf(stderr,
                        "recsys-tui gen-sample: --customers wants a number from 10 "
                        "to %d\n",
                        SAMPLE_MAX_CUSTOMERS);
                goto usage;
            }
        } else if (opt_value(argc, argv, &i, "--seed", &v)) {
            if (parse_long(v, 0, 4294967295L, &seed) < 0) {
                fprintf(stderr, "recsys-tui gen-sample: --seed wants a number from 0 to "
                                "4294967295\n");
                goto usage;
            }
        } else {
            fprintf(stderr, "recsys-tui gen-sample: unknown option '%s'\n", argv[i]);
            goto usage;
        }
    }
    if (!out) {
        fprintf(stderr, "recsys-tui gen-sample: --out DIR is required\n");
        goto usage;
    }
    char err[ERR_LEN];
    if (sample_generate(out, (int)customers, (unsigned)seed, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui gen-sample: %s\n", err);
        return EXIT_FAIL;
    }
    printf("wrote sample data for %ld customers (seed %ld) to %s\n", customers, seed, out);
    return EXIT_OK;
usage:
    fputs(gen_usage, stderr);
    return EXIT_USAGE;
}
