/* `recsys-tui gen-sample`: option parsing; the work is in ingest/sample.c. */
#include "cli/cmd_gen_sample.h"

#include <stdio.h>
#include <string.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "ingest/sample.h"
#include "util/error.h"

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

int cmd_gen_sample(int argc, char **argv)
{
    const char *out = NULL;
    long customers = SAMPLE_DEFAULT_CUSTOMERS, seed = 42;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(gen_usage, stdout);
            return EXIT_OK;
        } else if (opts_value(argc, argv, &i, "--out", &v)) {
            if (!v || !*v)
                goto usage;
            out = v;
        } else if (opts_value(argc, argv, &i, "--customers", &v)) {
            if (opts_parse_long(v, 10, SAMPLE_MAX_CUSTOMERS, &customers) < 0) {
                fprintf(stderr,
                        "recsys-tui gen-sample: --customers wants a number from 10 "
                        "to %d\n",
                        SAMPLE_MAX_CUSTOMERS);
                goto usage;
            }
        } else if (opts_value(argc, argv, &i, "--seed", &v)) {
            if (opts_parse_long(v, 0, 4294967295L, &seed) < 0) {
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
