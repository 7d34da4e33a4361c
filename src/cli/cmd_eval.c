/* `recsys-tui eval`: evaluate recommenders on a temporal split and print the metrics.
 * Parses the options, calls the engine and prints; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/algo_opts.h"
#include "cli/eval_report.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "engine/dataset_load.h"
#include "engine/eval.h"
#include "engine/evalstats.h"
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

/* The paired comparison of a and b (per-user hits, without repurchases)
 * for all test users and warm ones; 0, or -1 when out of memory. */
static int print_paired(const char *a, const char *b, const int8_t *ha, const int8_t *hb,
                        const uint8_t *warm, int32_t n_users, cJSON *root)
{
    struct evalstats_paired all, w;
    if (evalstats_paired(ha, hb, NULL, n_users, EVALSTATS_RESAMPLES, EVALSTATS_SEED, &all) < 0 ||
        evalstats_paired(ha, hb, warm, n_users, EVALSTATS_RESAMPLES, EVALSTATS_SEED, &w) < 0) {
        fprintf(stderr, "recsys-tui eval: out of memory comparing %s and %s\n", a, b);
        return -1;
    }
    eval_report_paired(a, b, &all, &w, root);
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    const char *db = OPTS_DEFAULT_DB, *cutoff = TRAIN_EVAL_CUTOFF, *rolling = NULL;
    const char *from = "2017-06", *to = "2018-08";
    const char *algos[16];
    char listbuf[512];
    size_t used = 0;
    int n_algos = 0, k = 10, paired = 0;
    struct opts_run_flags fl = {.store = 1};
    struct algo_params p;
    algo_params_default(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf(
                "usage: recsys-tui eval [--db PATH] [--cutoff YYYY-MM-DD] [--k K]\n"
                "                       [--algo NAME[,NAME...]]... [--paired] [--json] [--quiet]\n"
                "                       [algorithm options]\n"
                "       recsys-tui eval --rolling monthly [--from YYYY-MM] [--to YYYY-MM]\n"
                "                       [--algo LIST] [--k K] [--no-store] [--json] [--quiet]\n\n"
                "Temporal split: trains each algorithm on the purchases before the cutoff\n"
                "(default %s) and ranks the whole catalogue for every customer who bought\n"
                "after it. Reports precision, recall, hit rate and NDCG at K (default 10)\n"
                "and catalogue coverage, for all test users and for warm ones (with\n"
                "training history); the popularity baseline is always included, and every\n"
                "algorithm also with repurchases allowed. Default: every algorithm.\n\n"
                "--paired (automatic when --algo names exactly two): the users each of the\n"
                "first two algorithms (or the one and popularity) gains over the other (hit\n"
                "for one, miss for the other), with a 95%% percentile bootstrap interval of\n"
                "the hit-rate difference (%d resamples, fixed seed: the same on every run).\n\n"
                "--rolling monthly: retrains at the start of each month from --from (default\n"
                "2017-06) to --to (default 2018-08) on the purchases before it and evaluates\n"
                "on that month's buyers: hit rate@K with 95%% Wilson intervals, precision,\n"
                "recall, NDCG, for all buyers and those with history, per algorithm (default\n"
                "usercf,itemcf,popularity), plus the oracle (the month's own top K: the\n"
                "ceiling of non-personal lists). Progress on stderr. The run is stored in\n"
                "the table eval_rolling (GET /api/v1/insights and the dashboard's Data &\n"
                "evaluation view show the latest) unless --no-store.\n\n%s",
                TRAIN_EVAL_CUTOFF, EVALSTATS_RESAMPLES, algo_opts_help());
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
            size_t vl = strlen(argv[++i]);
            if (used + vl + 1 > sizeof listbuf)
                return opts_usage_error("eval", "--algo list too long", v);
            char *save = NULL, *copy = memcpy(listbuf + used, v, vl + 1);
            used += vl + 1;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (!algo_find(t))
                    return opts_usage_error("eval", "unknown algorithm", t);
                if (n_algos < 15)
                    algos[n_algos++] = t;
            }
        } else if (!strcmp(a, "--rolling") && v) {
            if (strcmp(v, "monthly"))
                return opts_usage_error("eval", "--rolling supports \"monthly\" only", v);
            rolling = argv[++i];
        } else if (!strcmp(a, "--from") && v)
            from = argv[++i];
        else if (!strcmp(a, "--to") && v)
            to = argv[++i];
        else if (!strcmp(a, "--paired"))
            paired = 1;
        else if (!opts_run_flag(a, &fl))
            return opts_usage_error("eval", "unknown option or missing value", a);
    }
    if (rolling) {
        struct eval_report_rolling ro = {.db = db,
                                         .from = from,
                                         .to = to,
                                         .algos = algos,
                                         .n_algos = n_algos,
                                         .k = k,
                                         .json = fl.json,
                                         .quiet = fl.quiet,
                                         .store = fl.store,
                                         .params = &p};
        return eval_report_rolling_run(&ro);
    }
    int32_t cday = dataset_parse_day(cutoff);
    if (cday < 0)
        return opts_usage_error("eval", "--cutoff must be YYYY-MM-DD", cutoff);
    progress_set_quiet(fl.quiet || fl.json);
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
    /* the pair compared: the first two named, or the one named and popularity */
    const char *pa = n_algos >= 1 && (paired || n_algos == 2) ? algos[0] : NULL;
    const char *pb = !pa ? NULL : n_algos >= 2 ? algos[1] : "popularity";
    if (pa && !strcmp(pa, pb))
        pa = pb = NULL;
    struct eval_result *res = calloc((size_t)n_run * 2, sizeof *res);
    int8_t *hit_a = pa ? malloc((size_t)ds.users.n + 1) : NULL;
    int8_t *hit_b = pa ? malloc((size_t)ds.users.n + 1) : NULL;
    uint8_t *warm = pa ? calloc((size_t)ds.users.n + 1, 1) : NULL;
    if (!res || (pa && (!hit_a || !hit_b || !warm)))
        goto out;
    for (int j = 0; j < n_run; j++) {
        struct model m;
        double t0 = clock_monotonic();
        if (model_train(&ds, run[j], &p, cday, &m, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui eval: %s: %s\n", run[j], err);
            goto out;
        }
        double secs = clock_monotonic() - t0;
        if (warm && j == 0)
            for (int32_t u = 0; u < ds.users.n; u++)
                warm[u] = m.ui.ptr[u + 1] > m.ui.ptr[u];
        for (int rep = 0; rep < 2; rep++) {
            struct eval_window w = {.from_day = cday};
            if (pa && !rep)
                w.user_hit = !strcmp(run[j], pa) ? hit_a : !strcmp(run[j], pb) ? hit_b : NULL;
            if (eval_model_window(&m, &ds, &w, k, rep, &res[n_res], err, sizeof err) < 0) {
                fprintf(stderr, "recsys-tui eval: %s\n", err);
                model_free(&m);
                goto out;
            }
            res[n_res++].train_seconds = secs;
        }
        model_free(&m);
    }
    if (fl.json) {
        cJSON *root = cJSON_CreateObject(), *arr;
        cJSON_AddStringToObject(root, "cutoff", cutoff);
        cJSON_AddNumberToObject(root, "k", k);
        arr = cJSON_AddArrayToObject(root, "results");
        for (int j = 0; j < n_res; j++) {
            struct eval_report_row r = {NULL, res[j].algorithm, res[j].allow_repurchase != 0,
                                        res[j].train_seconds};
            eval_report_row_json(arr, &r, metrics_obj(&res[j].all), metrics_obj(&res[j].warm));
        }
        if (pa && print_paired(pa, pb, hit_a, hit_b, warm, ds.users.n, root) < 0)
            goto out;
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
        if (pa && print_paired(pa, pb, hit_a, hit_b, warm, ds.users.n, NULL) < 0)
            goto out;
    }
    rc = EXIT_OK;
out:
    free(res), free(hit_a), free(hit_b), free(warm);
    dataset_free(&ds);
    return rc;
}
