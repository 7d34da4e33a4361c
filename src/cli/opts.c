/* Option and number parsing shared by the commands. */
#include "cli/opts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/exitcode.h"

int opts_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int opts_parse_int(const char *s, int lo, int hi, int *out)
{
    long v;
    if (opts_parse_long(s, lo, hi, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

int opts_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    if (!s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    /* !(in range) also rejects NaN */
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int opts_parse_interval(const char *s, double *out)
{
    return opts_parse_double(s, OPTS_INTERVAL_MIN, OPTS_INTERVAL_MAX, out);
}

int opts_value(int argc, char **argv, int *i, const char *name, const char **value)
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

int opts_run_flag(const char *arg, struct opts_run_flags *f)
{
    if (!strcmp(arg, "--json"))
        f->json = 1;
    else if (!strcmp(arg, "--quiet") || !strcmp(arg, "-q"))
        f->quiet = 1;
    else if (!strcmp(arg, "--no-store"))
        f->store = 0;
    else
        return 0;
    return 1;
}

int opts_usage_error(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "recsys-tui %s: %s%s%s\nTry `recsys-tui %s --help`.\n", cmd, msg,
            arg ? ": " : "", arg ? arg : "", cmd);
    return EXIT_USAGE;
}
