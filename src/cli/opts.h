/* Option and number parsing shared by the commands, so every command accepts
 * the same spellings and rejects the same junk. */
#ifndef RECSYS_CLI_OPTS_H
#define RECSYS_CLI_OPTS_H

/* The database the commands use without --db. */
#define OPTS_DEFAULT_DB "olist.db"

/* The dashboard poll interval in seconds (main job and --monitor). */
#define OPTS_INTERVAL_MIN 0.05
#define OPTS_INTERVAL_MAX 3600.0

/* Parse a whole decimal string s (NULL fails) into *out when it lies in
 * [lo, hi]. Leading blanks and a sign are allowed (strtol/strtod); trailing
 * characters, an empty string, overflow, NaN and out-of-range values are
 * not. Return 0, or -1 leaving *out unchanged. */
int opts_parse_long(const char *s, long lo, long hi, long *out);
int opts_parse_int(const char *s, int lo, int hi, int *out);
int opts_parse_double(const char *s, double lo, double hi, double *out);

/* The database the commands use without --db. */
#define OPTS_DEFAULT_DB "olist.db"

/* The dashboard poll interval: opts_parse_double over OPTS_INTERVAL_MIN..MAX. */
int opts_parse_interval(const char *s, double *out);

/* Match argv[*i] against "--name VALUE" or "--name=VALUE". Return 1 and set
 * *value (NULL when VALUE is missing), advancing *i past a separate VALUE;
 * 0 when argv[*i] is another option. */
int opts_value(int argc, char **argv, int *i, const char *name, const char **value);

/* The flags of the commands that run an evaluation and store it (eval, tune). */
struct opts_run_flags {
    int json;  /* --json: the result as JSON on stdout, no progress */
    int quiet; /* --quiet, -q: no progress on stderr */
    int store; /* 1 unless --no-store: keep the run in the database */
};

/* Set the flag arg names in *f. Return 1 when arg is --json, --quiet, -q or
 * --no-store, 0 (f unchanged) for any other argument. */
int opts_run_flag(const char *arg, struct opts_run_flags *f);

/* Print "recsys-tui CMD: MSG[: ARG]" and a pointer to --help on stderr;
 * return EXIT_USAGE for the command to return. */
int opts_usage_error(const char *cmd, const char *msg, const char *arg);

#endif
