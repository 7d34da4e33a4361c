/* `recsys-tui train`: train a recommender and store it as a new, active model version.
 * Parses the options, calls the engine and prints; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_train.h"

#include <stdio.h>
#include <string.h>

#include "cli/algo_opts.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "cli/storecmd.h"
#include "engine/train.h"
#include "util/clock.h"
#include "util/error.h"

int cmd_train(int argc, char **argv)
{
    struct train_options o = {.db_path = OPTS_DEFAULT_DB, .algo = "hybrid"};
    struct algo_params p;
    const char *publish = NULL;
    algo_params_default(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui train [--db PATH] [--algo NAME] [--cutoff YYYY-MM-DD]\n"
                   "                        [--quiet] [--no-eval] [--publish URL]\n"
                   "                        [algorithm options]\n\n"
                   "Trains a recommender on the purchases before the cutoff (default: all\n"
                   "data), evaluates it on a temporal split, stores it in the models table as\n"
                   "a new version and activates it. --publish s3://BUCKET/PREFIX then uploads\n"
                   "it to that model store and makes it the store's active version.\n"
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
    char err[ERR_LEN];
    int64_t v = 0;
    double ph[4] = {0};
    o.phase_seconds = ph;
    double t0 = clock_monotonic();
    if (train_run(&o, &v, err, sizeof err) < 0) {
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
