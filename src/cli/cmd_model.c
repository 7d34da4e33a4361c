/* Front ends of the engine: train, eval, recommend, models. They parse
 * options, call src/engine and print; exit 0 ok, 1 failure, 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/commands.h"
#include "engine/eval.h"
#include "engine/recommend.h"
#include "engine/train.h"
#include "util/error.h"
#include "util/progress.h"
#include "util/clock.h"

#define DEFAULT_DB "olist.db"

static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || *end || end == s || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || errno || *end || end == s || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int usage_error(const char *cmd, const char *msg, const char *arg)
{
    fprintf(stderr, "recsys-tui %s: %s%s%s\nTry `recsys-tui %s --help`.\n", cmd, msg,
            arg ? ": " : "", arg ? arg : "", cmd);
    return EXIT_USAGE;
}

/* Shared algorithm options; returns 1 when argv[*i] was consumed, -1 on a bad value. */
static int algo_option(int argc, char **argv, int *i, struct algo_params *p)
{
    const char *o = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    int iv, bad = 0;
    double dv;
    uint64_t seed;
    if (!strcmp(o, "--neighbours"))
        bad = parse_int(v, 1, 1000, &p->neighbours);
    else if (!strcmp(o, "--threshold"))
        bad = parse_double(v, 0, 1, &p->threshold);
    else if (!strcmp(o, "--max-postings"))
        bad = parse_int(v, 1, 1000000, &p->max_postings);
    else if (!strcmp(o, "--item-neighbours"))
        bad = parse_int(v, 1, 1000, &p->item_neighbours);
    else if (!strcmp(o, "--factors"))
        bad = parse_int(v, 1, 256, &p->factors);
    else if (!strcmp(o, "--iterations"))
        bad = parse_int(v, 1, 1000, &p->iterations);
    else if (!strcmp(o, "--cg-steps"))
        bad = parse_int(v, 0, 100, &p->cg_steps);
    else if (!strcmp(o, "--reg"))
        bad = parse_double(v, 0, 1e6, &p->reg);
    else if (!strcmp(o, "--alpha"))
        bad = parse_double(v, 0, 1e6, &p->alpha);
    else if (!strcmp(o, "--window"))
        bad = parse_int(v, 1, 100000, &p->window_days);
    else if (!strcmp(o, "--long-window"))
        bad = parse_int(v, 1, 100000, &p->long_window);
    else if (!strcmp(o, "--state-weight"))
        bad = parse_double(v, 0, 1000, &p->state_weight);
    else if (!strcmp(o, "--state-window"))
        bad = parse_int(v, 1, 100000, &p->state_window);
    else if (!strcmp(o, "--seed")) {
        bad = parse_double(v, 0, 1e15, &dv);
        seed = (uint64_t)dv;
        p->seed = seed;
    } else
        return 0;
    (void)iv;
    if (bad)
        return -1;
    (*i)++;
    return 1;
}

static const char algo_help[] =
    "Algorithm options:\n"
    "  --neighbours K       user-user neighbours (50)\n"
    "  --threshold S        user-user minimum cosine (0.3)\n"
    "  --max-postings P     buyers scanned per product, caps similarity cost (200)\n"
    "  --item-neighbours K  item-item neighbours (50)\n"
    "  --factors F          ALS factors (32)     --iterations N  ALS sweeps (10)\n"
    "  --reg L              ALS regularisation (0.1)   --alpha A  confidence slope (40)\n"
    "  --cg-steps N         ALS conjugate-gradient steps, 0 = Cholesky (3)\n"
    "  --seed N             ALS seed (42)\n"
    "  --window D           popularity window in days before the cutoff (30)\n"
    "  --long-window D      hybrid: longer window blended into popularity (90)\n"
    "  --state-window D     per-state popularity window (90)\n"
    "  --state-weight W     hybrid cold start: weight of state popularity (0)\n";

int cmd_train(int argc, char **argv)
{
    struct train_options o = {.db_path = DEFAULT_DB, .algo = "hybrid"};
    struct algo_params p;
    algo_params_default(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui train [--db PATH] [--algo NAME] [--cutoff YYYY-MM-DD]\n"
                   "                        [--quiet] [--no-eval] [algorithm options]\n\n"
                   "Trains a recommender on the purchases before the cutoff (default: all\n"
                   "data), evaluates it on a temporal split, stores it in the models table as\n"
                   "a new version and activates it.\n"
                   "NAME: popularity, usercf, itemcf, als, content, hybrid (default).\n\n%s",
                   algo_help);
            return EXIT_OK;
        } else if ((r = algo_option(argc, argv, &i, &p)) != 0) {
            if (r < 0)
                return usage_error("train", "bad value for", a);
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
        else
            return usage_error("train", "unknown option or missing value", a);
    }
    if (!algo_find(o.algo))
        return usage_error("train", "unknown algorithm", o.algo);
    if (o.cutoff && ds_parse_day(o.cutoff) < 0)
        return usage_error("train", "--cutoff must be YYYY-MM-DD", o.cutoff);
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
    return EXIT_OK;
}

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
    const char *db = DEFAULT_DB, *cutoff = TRAIN_EVAL_CUTOFF;
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
                TRAIN_EVAL_CUTOFF, algo_help);
            return EXIT_OK;
        } else if ((r = algo_option(argc, argv, &i, &p)) != 0) {
            if (r < 0)
                return usage_error("eval", "bad value for", a);
        } else if (!strcmp(a, "--db") && v)
            db = argv[++i];
        else if (!strcmp(a, "--cutoff") && v)
            cutoff = argv[++i];
        else if (!strcmp(a, "--k") && v) {
            if (parse_int(argv[++i], 1, REC_MAX_ITEMS, &k) < 0)
                return usage_error("eval", "--k must be 1..100", v);
        } else if (!strcmp(a, "--algo") && v) {
            if (!algo_find(v))
                return usage_error("eval", "unknown algorithm", v);
            if (n_algos < 15)
                algos[n_algos++] = argv[++i];
            else
                i++;
        } else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q"))
            quiet = 1;
        else
            return usage_error("eval", "unknown option or missing value", a);
    }
    int32_t cday = ds_parse_day(cutoff);
    if (cday < 0)
        return usage_error("eval", "--cutoff must be YYYY-MM-DD", cutoff);
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

int cmd_recommend(int argc, char **argv)
{
    const char *db = DEFAULT_DB, *user = NULL;
    struct rec_request req = {.count = 10};
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui recommend USER [-n N] [--json] [--explain] [--repurchase]\n"
                   "                            [--db PATH]\n\n"
                   "Top-N products (default 10, 1..100) for USER, a customer_unique_id or a\n"
                   "customer_id, from the active model, with the user's purchase history.\n"
                   "Unknown users get cold-start recommendations. --explain shows the\n"
                   "neighbours or reasons; --repurchase keeps products already bought.\n");
            return EXIT_OK;
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--count")) && v) {
            if (parse_int(argv[++i], 1, REC_MAX_ITEMS, &req.count) < 0)
                return usage_error("recommend", "-n must be 1..100", v);
        } else if (!strcmp(a, "--db") && v)
            db = argv[++i];
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--explain"))
            req.explain = 1;
        else if (!strcmp(a, "--repurchase"))
            req.allow_repurchase = 1;
        else if (a[0] == '-' || user)
            return usage_error("recommend", "unknown option or extra argument", a);
        else
            user = a;
    }
    if (!user)
        return usage_error("recommend", "missing USER", NULL);
    char err[ERR_LEN];
    struct engine *e = NULL;
    struct rec_result *r = malloc(sizeof *r);
    int rc = EXIT_FAIL, found = 0;
    cJSON *hist = NULL;
    if (!r)
        return EXIT_FAIL;
    if (engine_open(db, &e, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui recommend: %s\n", err);
        goto out;
    }
    if (engine_warning(e))
        fprintf(stderr, "recsys-tui recommend: warning: %s\n", engine_warning(e));
    req.user = user;
    if (engine_recommend(e, &req, r, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui recommend: %s\n", err);
        rc = EXIT_USAGE;
        goto out;
    }
    hist = engine_user_json(e, user, &found, err, sizeof err);
    if (json) {
        cJSON *o = rec_result_to_json(r);
        struct engine_info in;
        engine_get_info(e, &in);
        cJSON_AddNumberToObject(o, "model_version", (double)in.version);
        cJSON_AddStringToObject(o, "algorithm", in.algorithm);
        if (hist) {
            cJSON *h = cJSON_CreateObject();
            static const char *const keys[] = {"orders", "products", "first_purchase",
                                               "last_purchase", "monetary"};
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                cJSON *x = cJSON_GetObjectItem(hist, keys[k]);
                if (x)
                    cJSON_AddItemToObject(h, keys[k], cJSON_Duplicate(x, 1));
            }
            cJSON_AddItemToObject(o, "history", h);
        }
        char *s = cJSON_Print(o);
        if (s)
            puts(s);
        free(s);
        cJSON_Delete(o);
    } else {
        cJSON *ord = hist ? cJSON_GetObjectItem(hist, "orders") : NULL;
        cJSON *prod = hist ? cJSON_GetObjectItem(hist, "products") : NULL;
        printf("user %s%s: %s, %d orders, %d products, state %s\n", r->user_id,
               strcmp(r->user_id, user) ? " (mapped from customer_id)" : "",
               r->known ? "known" : "no purchase history in the model (cold start)",
               ord ? ord->valueint : 0, prod ? prod->valueint : 0,
               r->state[0] ? r->state : "unknown");
        printf("%4s  %-32s  %-28s %9s %6s %8s  %s\n", "rank", "product_id", "category", "price",
               "rating", "score", "source");
        for (int i = 0; i < r->n_items; i++) {
            const struct rec_item *it = &r->items[i];
            char price[32] = "-", rating[16] = "-";
            if (it->price >= 0)
                snprintf(price, sizeof price, "%.2f", it->price);
            if (it->n_ratings)
                snprintf(rating, sizeof rating, "%.1f", it->avg_rating);
            printf("%4d  %-32s  %-28.28s %9s %6s %8.4f  %s\n", i + 1, it->product_id, it->category,
                   price, rating, it->score, it->source);
        }
        if (req.explain && r->explain[0])
            printf("why: %s\n", r->explain);
    }
    rc = EXIT_OK;
out:
    cJSON_Delete(hist);
    engine_release(e);
    free(r);
    return rc;
}

int cmd_models(int argc, char **argv)
{
    const char *db = DEFAULT_DB, *sub = NULL, *arg = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui models list [--json] [--db PATH]\n"
                   "       recsys-tui models activate VERSION [--db PATH]\n"
                   "       recsys-tui models rollback [--db PATH]\n\n"
                   "Lists the stored model versions, makes one active, or goes back to the\n"
                   "previously active one. Running regions pick the change up on SIGHUP.\n");
            return EXIT_OK;
        } else if (!strcmp(a, "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (a[0] == '-')
            return usage_error("models", "unknown option", a);
        else if (!sub)
            sub = a;
        else if (!arg)
            arg = a;
        else
            return usage_error("models", "extra argument", a);
    }
    char err[ERR_LEN];
    if (!sub)
        return usage_error("models", "missing subcommand (list, activate, rollback)", NULL);
    if (!strcmp(sub, "list")) {
        cJSON *l = models_list_json(db, err, sizeof err);
        if (!l) {
            fprintf(stderr, "recsys-tui models: %s\n", err);
            return EXIT_FAIL;
        }
        if (json) {
            char *s = cJSON_Print(l);
            if (s)
                puts(s);
            free(s);
        } else {
            cJSON *m;
            printf("%7s %-6s %-11s %-10s %-19s %10s %8s  %s\n", "version", "active", "algorithm",
                   "cutoff", "created_at", "size", "HR@10", "sha256");
            cJSON_ArrayForEach(m, cJSON_GetObjectItem(l, "models"))
            {
                cJSON *hr = cJSON_GetObjectItem(
                    cJSON_GetObjectItem(
                        cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "model"), "all"),
                    "hit_rate");
                char hrs[16] = "-";
                if (cJSON_IsNumber(hr))
                    snprintf(hrs, sizeof hrs, "%.4f", hr->valuedouble);
                const char *cut = cJSON_GetObjectItem(m, "cutoff")->valuestring;
                printf("%7d %-6s %-11s %-10s %-19s %10.0f %8s  %.16s\n",
                       cJSON_GetObjectItem(m, "version")->valueint,
                       cJSON_IsTrue(cJSON_GetObjectItem(m, "active")) ? "*" : "",
                       cJSON_GetObjectItem(m, "algorithm")->valuestring, cut[0] ? cut : "all",
                       cJSON_GetObjectItem(m, "created_at")->valuestring,
                       cJSON_GetObjectItem(m, "size")->valuedouble, hrs,
                       cJSON_GetObjectItem(m, "sha256")->valuestring);
            }
        }
        cJSON_Delete(l);
        return EXIT_OK;
    }
    if (!strcmp(sub, "activate")) {
        int v;
        if (parse_int(arg, 1, 2000000000, &v) < 0)
            return usage_error("models", "activate needs a version number", arg);
        if (models_activate(db, v, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui models: %s\n", err);
            return EXIT_FAIL;
        }
        printf("model version %d is active\n", v);
        return EXIT_OK;
    }
    if (!strcmp(sub, "rollback")) {
        int64_t now = 0;
        if (arg)
            return usage_error("models", "rollback takes no argument", arg);
        if (models_rollback(db, &now, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui models: %s\n", err);
            return EXIT_FAIL;
        }
        printf("rolled back: model version %lld is active\n", (long long)now);
        return EXIT_OK;
    }
    return usage_error("models", "unknown subcommand", sub);
}
