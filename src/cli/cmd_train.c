/* `recsys-tui train`: train a recommender and store it as a new, active model version.
 * Parses the options, calls the engine and prints; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/algo_opts.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "cli/storecmd.h"
#include "engine/train.h"
#include "engine/tunestore.h"
#include "util/clock.h"
#include "util/error.h"

/* 1 when argv sets an algorithm option (they override the tuned values). */
static int explicit_params(int argc, char **argv)
{
    struct algo_params scratch;
    algo_params_default(&scratch);
    for (int i = 1; i < argc; i++) {
        int r = algo_opts_parse(argc, argv, &i, &scratch);
        if (r)
            return 1;
    }
    return 0;
}

/* The parameters of the latest tune run for the --algo of argv, from the
 * --db of argv, into *p (and the run into *tr), unless --no-tune. 1 when
 * applied, 0 when there is none (or --help), -1 (message printed) when the
 * run cannot be read. */
static int train_tuned_defaults(int argc, char **argv, struct algo_params *p, struct tune_run *tr)
{
    const char *db = OPTS_DEFAULT_DB, *algo = "hybrid";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-tune") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 0; /* --help reads no database */
        if (i + 1 < argc && !strcmp(argv[i], "--db"))
            db = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--algo"))
            algo = argv[++i];
    }
    char err[ERR_LEN];
    int rc = tunestore_latest(db, algo, tr, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "recsys-tui train: %s\n", err);
        return -1;
    }
    if (rc == 1)
        return 0;
    if (tunestore_apply(tr->report, p) < 0) {
        fprintf(stderr,
                "recsys-tui train: tune run %lld has no params; --no-tune trains "
                "with the defaults\n",
                (long long)tr->id);
        tunestore_run_free(tr);
        return -1;
    }
    return 1;
}

int cmd_train(int argc, char **argv)
{
    struct train_options o = {.db_path = OPTS_DEFAULT_DB, .algo = "hybrid"};
    struct algo_params p;
    const char *publish = NULL;
    struct tune_run tr = {0};
    algo_params_default(&p);
    int tuned = train_tuned_defaults(argc, argv, &p, &tr);
    if (tuned < 0)
        return EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui train [--db PATH] [--algo NAME] [--cutoff YYYY-MM-DD]\n"
                   "                        [--quiet] [--no-eval] [--no-tune] [--publish URL]\n"
                   "                        [algorithm options]\n\n"
                   "Trains a recommender on the purchases before the cutoff (default: all\n"
                   "data), evaluates it on a temporal split, stores it in the models table as\n"
                   "a new version and activates it. --publish s3://BUCKET/PREFIX then uploads\n"
                   "it to that model store and makes it the store's active version.\n"
                   "The parameters start from the latest `recsys-tui tune` run for NAME in\n"
                   "the database (stored with the model; --no-tune: the built-in defaults);\n"
                   "the options below override them one by one.\n"
                   "NAME: popularity, usercf, itemcf, als, content, hybrid (default).\n\n%s",
                   algo_opts_help());
            return EXIT_OK;
        } else if ((r = algo_opts_parse(argc, argv, &i, &p)) != 0) {
            if (r < 0)
                return opts_usage_error("train", "bad value for", a);
        } else if (!strcmp(a, "--db") && v)
            o.db_path = argv[++i];
        else if (!strcmp(a, "--algo") && v)
            o.algo = argv[++i];
        else if (!strcmp(a, "--cutoff") && v)
            o.cutoff = argv[++i];
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
            o.quiet = 1;
        else if (!strcmp(a, "--no-tune"))
            continue; /* read by train_tuned_defaults */
        else if (!strcmp(a, "--no-eval"))
            o.no_eval = 1;
        else if (!strcmp(a, "--publish") && v)
            publish = argv[++i];
        else
            return opts_usage_error("train", "unknown option or missing value", a);
    }
    if (!algo_find(o.algo))
        return opts_usage_error("train", "unknown algorithm", o.algo);
    if (o.cutoff && dataset_parse_day(o.cutoff) < 0)
        return opts_usage_error("train", "--cutoff must be YYYY-MM-DD", o.cutoff);
    o.params = &p;
    char *tjson = tuned ? tunestore_run_json(&tr) : NULL;
    o.tuning_json = tjson;
    if (tuned) /* printed even with --quiet: which configuration a model has matters */
        printf("configuration: tune run %lld (%s, cutoff %s)%s\n", (long long)tr.id, tr.created_at,
               tr.cutoff, explicit_params(argc, argv) ? ", options on top" : "");
    else
        printf("configuration: built-in defaults%s\n",
               explicit_params(argc, argv) ? ", options on top" : "");
    char err[ERR_LEN];
    int64_t v = 0;
    double ph[4] = {0};
    o.phase_seconds = ph;
    double t0 = clock_monotonic();
    int trc = train_run(&o, &v, err, sizeof err);
    free(tjson);
    tunestore_run_free(&tr);
    if (trc < 0) {
        fprintf(stderr, "recsys-tui train: %s\n", err);
        return EXIT_FAIL;
    }
    printf("trained %s as model version %lld in %.2f s (active): load %.2f s, fit %.2f s, "
           "evaluate %.2f s, store %.2f s\n",
           o.algo, (long long)v, clock_monotonic() - t0, ph[0], ph[1], ph[2], ph[3]);
    if (publish) {
        fflush(stdout);
        return storecmd_publish("train", o.db_path, v, publish, 1, o.quiet);
    }
    return EXIT_OK;
}
