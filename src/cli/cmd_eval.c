/* `recsys-tui eval`: evaluate recommenders on a temporal split and print the metrics.
 * Parses the options, calls the engine and prints; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/algo_opts.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "engine/dataset_load.h"
#include "engine/eval.h"
#include "engine/model.h"
#include "engine/engine.h"
#include "engine/train.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/progress.h"

static void print_row(const char *name, const struct eval_metrics *m, double secs)
{
    printf("  %-22s %7lld %8.4f %8.4f %8.4f %8.4f %8.4f %7.2f\n", name, (long long)m->users,
           m->precision, m->recall, m->hit_rate, m->ndcg, m->coverage, secs);
}

static cJSON *metrics_obj(const struct eval_metrics *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "users", (double)m->users);
    cJSON_AddNumberToObject(o, "precision", m->precision);
    cJSON_AddNumberToObject(o, "recall", m->recall);
    cJSON_AddNumberToObject(o, "hit_rate", m->hit_rate);
    cJSON_AddNumberToObject(o, "ndcg", m->ndcg);
    cJSON_AddNumberToObject(o, "coverage", m->coverage);
    return o;
}

int cmd_eval(int argc, char **argv)
{
    const char *db = OPTS_DEFAULT_DB, *cutoff = TRAIN_EVAL_CUTOFF;
    const char *algos[16];
    int n_algos = 0, k = 10, json = 0, quiet = 0;
    struct algo_params p;
    algo_params_default(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf(
                "usage: recsys-tui eval [--db PATH] [--cutoff YYYY-MM-DD] [--k K]\n"
                "                       [--algo NAME]... [--json] [--quiet] [algorithm options]\n\n"
                "Temporal split: trains each algorithm on the purchases before the cutoff\n"
                "(default %s) and ranks the whole catalogue for every customer who bought\n"
                "after it. Reports precision, recall, hit rate and NDCG at K (default 10)\n"
                "and catalogue coverage, for all test users and for warm ones (with\n"
                "training history); the popularity baseline is always included, and every\n"
                "algorithm also with repurchases allowed. Default: every algorithm.\n\n%s",
                TRAIN_EVAL_CUTOFF, algo_opts_help());
            return EXIT_OK;
        } else if ((r = algo_opts_parse(argc, argv, &i, &p)) != 0) {
            if (r < 0)
                return opts_usage_error("eval", "bad value for", a);
        } else if (!strcmp(a, "--db") && v)
            db = argv[++i];
        else if (!strcmp(a, "--cutoff") && v)
            cutoff = argv[++i];
        else if (!strcmp(a, "--k") && v) {
            if (opts_parse_int(argv[++i], 1, REC_MAX_ITEMS, &k) < 0)
                return opts_usage_error("eval", "--k must be 1..100", v);
        } else if (!strcmp(a, "--algo") && v) {
            if (!algo_find(v))
                return opts_usage_error("eval", "unknown algorithm", v);
            if (n_algos < 15)
                algos[n_algos++] = argv[++i];
            else
                i++;
        } else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
            quiet = 1;
        else
            return opts_usage_error("eval", "unknown option or missing value", a);
    }
    int32_t cday = dataset_parse_day(cutoff);
    if (cday < 0)
        return opts_usage_error("eval", "--cutoff must be YYYY-MM-DD", cutoff);
    progress_set_quiet(quiet || json);
    /* the baseline first, always */
    const char *run[20];
    int n_run = 0;
    run[n_run++] = "popularity";
    if (!n_algos)
        for (int j = 0; algo_names[j]; j++)
            if (strcmp(algo_names[j], "popularity"))
                run[n_run++] = algo_names[j];
    for (int j = 0; j < n_algos; j++)
        if (strcmp(algos[j], "popularity"))
            run[n_run++] = algos[j];
    char err[ERR_LEN];
    struct dataset ds;
    if (dataset_load(db, &ds, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui eval: %s\n", err);
        return EXIT_FAIL;
    }
    int rc = EXIT_FAIL;
    int n_res = 0;
    struct eval_result *res = calloc((size_t)n_run * 2, sizeof *res);
    if (!res)
        goto out;
    for (int j = 0; j < n_run; j++) {
        struct model m;
        double t0 = clock_monotonic();
        if (model_train(&ds, run[j], &p, cday, &m, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui eval: %s: %s\n", run[j], err);
            goto out;
        }
        double secs = clock_monotonic() - t0;
        for (int rep = 0; rep < 2; rep++) {
            if (eval_model(&m, &ds, cday, k, rep, &res[n_res], err, sizeof err) < 0) {
                fprintf(stderr, "recsys-tui eval: %s\n", err);
                model_free(&m);
                goto out;
            }
            res[n_res++].train_seconds = secs;
        }
        model_free(&m);
    }
    if (json) {
        cJSON *root = cJSON_CreateObject(), *arr;
        cJSON_AddStringToObject(root, "cutoff", cutoff);
        cJSON_AddNumberToObject(root, "k", k);
        arr = cJSON_AddArrayToObject(root, "results");
        for (int j = 0; j < n_res; j++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "algorithm", res[j].algorithm);
            cJSON_AddBoolToObject(o, "allow_repurchase", res[j].allow_repurchase);
            cJSON_AddNumberToObject(o, "train_seconds", res[j].train_seconds);
            cJSON_AddItemToObject(o, "all", metrics_obj(&res[j].all));
            cJSON_AddItemToObject(o, "warm", metrics_obj(&res[j].warm));
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cJSON_Print(root);
        if (s)
            puts(s);
        free(s);
        cJSON_Delete(root);
    } else {
        printf("Temporal split at %s, k = %d, ranking the whole catalogue (%d products)\n", cutoff,
               k, ds.items.n);
        for (int sec = 0; sec < 2; sec++) {
            printf("\n%s test users\n  %-22s %7s %8s %8s %8s %8s %8s %7s\n",
                   sec ? "Warm (with training history)" : "All", "algorithm", "users", "P@k", "R@k",
                   "HR@k", "NDCG@k", "cover", "train_s");
            for (int j = 0; j < n_res; j++) {
                char name[48];
                snprintf(name, sizeof name, "%s%s", res[j].algorithm,
                         res[j].allow_repurchase ? "+repurchase" : "");
                print_row(name, sec ? &res[j].warm : &res[j].all, res[j].train_seconds);
            }
        }
    }
    rc = EXIT_OK;
out:
    free(res);
    dataset_free(&ds);
    return rc;
}
