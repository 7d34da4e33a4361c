/* `recsys-tui tune`: choose the default configuration on validation cutoffs
 * before the training cutoff, store it with its table (tune_runs), print the
 * table. Exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "engine/dataset_load.h"
#include "engine/train.h"
#include "engine/tune.h"
#include "engine/tunestore.h"
#include "util/clock.h"
#include "util/error.h"

#define TUNE_MAX_ONLY 16

struct tune_progress {
    int on;
    double t0;
};

static void on_progress(void *ctx, const char *dim, double value, int done, int total)
{
    struct tune_progress *p = ctx;
    if (p->on)
        fprintf(stderr, "tune: %-18s %-6g (%d/%d, %.1f s)\n", dim, value, done + 1, total,
                clock_monotonic() - p->t0);
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* "HR/NDCG" of one segment of a cell, 13 characters. */
static void pair(FILE *f, const cJSON *cell, const char *seg)
{
    char hr[16], nd[16];
    snprintf(hr, sizeof hr, "hr_%s", seg);
    snprintf(nd, sizeof nd, "ndcg_%s", seg);
    fprintf(f, "  %.4f/%.4f", num(cell, hr), num(cell, nd));
}

int cmd_tune_print_report(FILE *f, const char *report)
{
    cJSON *r = cJSON_Parse(report);
    const cJSON *cuts = cJSON_GetObjectItemCaseSensitive(r, "cutoffs");
    const cJSON *table = cJSON_GetObjectItemCaseSensitive(r, "table");
    if (!cJSON_IsArray(cuts) || !cJSON_IsArray(table)) {
        cJSON_Delete(r);
        return -1;
    }
    int k = (int)num(r, "k"), chosen = (int)num(r, "chosen");
    fprintf(f,
            "Tuned %s for training cutoff %s on %d validation cutoffs (k = %d), each scored\n"
            "on the purchases up to the next; cells are HR@%d/NDCG@%d, all users and warm\n"
            "(with history before the validation cutoff):\n",
            str(r, "algo"), str(r, "cutoff"), cJSON_GetArraySize(cuts), k, k, k);
    const cJSON *c, *row, *cell;
    fprintf(f, "%-18s %6s %1s", "", "", "");
    cJSON_ArrayForEach(c, cuts) fprintf(f, "  %-27s", str(c, "from"));
    fprintf(f, "  %-27s\n%-18s %6s %1s", "mean", "parameter", "value", "");
    for (int j = 0; j <= cJSON_GetArraySize(cuts); j++)
        fprintf(f, "  %-13s  %-13s", "all", "warm");
    fputc('\n', f);
    int i = 0;
    cJSON_ArrayForEach(row, table)
    {
        char v[16] = "-";
        if (strcmp(str(row, "dim"), "base"))
            snprintf(v, sizeof v, "%g", num(row, "value"));
        fprintf(f, "%-18s %6s %1s", str(row, "dim"), v,
                i == chosen                                                   ? "*"
                : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "kept")) ? "+"
                                                                              : "");
        cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(row, "cutoffs"))
        {
            pair(f, cell, "all");
            pair(f, cell, "warm");
        }
        const cJSON *mean = cJSON_GetObjectItemCaseSensitive(row, "mean");
        pair(f, mean, "all");
        pair(f, mean, "warm");
        fputc('\n', f);
        i++;
    }
    fprintf(f, "users per cutoff (all/warm):");
    row = cJSON_GetArrayItem(table, 0);
    cJSON_ArrayForEach(cell, cJSON_GetObjectItemCaseSensitive(row, "cutoffs"))
        fprintf(f, " %.0f/%.0f", num(cell, "users"), num(cell, "warm_users"));
    fprintf(f, "\n+ kept for its parameter, * chosen (the last kept)\nchosen:");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(r, "params"))
        fprintf(f, " %s=%g", p->string, p->valuedouble);
    fprintf(f, "\nwhy: %s\n", str(r, "reason"));
    cJSON_Delete(r);
    return 0;
}

/* Splits "a,b,c" (modified in place) into at most TUNE_MAX_ONLY names. */
static int split(char *s, const char **out)
{
    int n = 0;
    for (char *t = strtok(s, ","); t && n < TUNE_MAX_ONLY; t = strtok(NULL, ","))
        out[n++] = t;
    return n;
}

int cmd_tune(int argc, char **argv)
{
    const char *db = OPTS_DEFAULT_DB;
    const char *only[TUNE_MAX_ONLY];
    struct tune_options o = {.cutoff = TRAIN_EVAL_CUTOFF, .algo = "hybrid"};
    struct opts_run_flags fl = {.store = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui tune [--db PATH] [--cutoff YYYY-MM-DD] [--algo NAME]\n"
                   "                       [--cutoffs N] [--only P1,P2] [--no-store] [--json]\n"
                   "                       [--quiet]\n\n"
                   "Chooses the default configuration of an algorithm (default hybrid) on\n"
                   "validation cutoffs strictly before the training cutoff (default %s):\n"
                   "the firsts of the N months before it (default 4), each scored on the\n"
                   "following month. A value replaces the best so far when its mean\n"
                   "hit-rate@10 over all validation users is higher and it is higher on more\n"
                   "cutoffs than lower (equal hit-rates everywhere: a higher mean NDCG@10).\n"
                   "The data is cut at the training cutoff before anything is read, so the\n"
                   "test period never shapes the choice. A coordinate descent tries, in turn:\n"
                   "popularity window and blend (window_days, long_window, state_weight), the\n"
                   "repurchase policy (repurchase_weight; 0 leaves owned items out), neighbour\n"
                   "counts (neighbours, item_neighbours) and the candidate sources' weights\n"
                   "(itemcf_weight, copurchase_weight, seller_weight, popularity_weight).\n"
                   "--only limits it to the listed parameters.\n\n"
                   "The choice and its table are stored in the database (tune_runs) unless\n"
                   "--no-store; `train` then starts from the latest one for its algorithm\n"
                   "and stores it with the model (`models show V` prints it).\n",
                   TRAIN_EVAL_CUTOFF);
            return EXIT_OK;
        } else if (!strcmp(a, "--db") && v)
            db = argv[++i];
        else if (!strcmp(a, "--cutoff") && v)
            o.cutoff = argv[++i];
        else if (!strcmp(a, "--algo") && v)
            o.algo = argv[++i];
        else if (!strcmp(a, "--cutoffs") && v) {
            if (opts_parse_int(argv[++i], 1, TUNE_MAX_CUTOFFS, &o.n_cutoffs) < 0)
                return opts_usage_error("tune", "--cutoffs must be 1..6", v);
        } else if (!strcmp(a, "--only") && v) {
            o.n_only = split(argv[++i], only);
            o.only = only;
        } else if (!opts_run_flag(a, &fl))
            return opts_usage_error("tune", "unknown option or missing value", a);
    }
    if (!algo_find(o.algo))
        return opts_usage_error("tune", "unknown algorithm", o.algo);
    if (dataset_parse_day(o.cutoff) < 0)
        return opts_usage_error("tune", "--cutoff must be YYYY-MM-DD", o.cutoff);
    int n_dims;
    const struct tune_dim *d = tune_dims(&n_dims);
    for (int i = 0; i < o.n_only; i++) {
        int ok = 0;
        for (int j = 0; j < n_dims; j++)
            ok |= !strcmp(d[j].name, only[i]);
        if (!ok)
            return opts_usage_error("tune", "--only: unknown parameter", only[i]);
    }
    struct tune_progress pc = {.on = !fl.quiet && !fl.json, .t0 = clock_monotonic()};
    o.progress = on_progress;
    o.progress_ctx = &pc;
    char err[ERR_LEN];
    struct dataset ds;
    struct tune_result *r = malloc(sizeof *r);
    char *report = NULL;
    int rc = EXIT_FAIL;
    int64_t id = 0;
    if (!r) {
        fprintf(stderr, "recsys-tui tune: out of memory\n");
        return EXIT_FAIL;
    }
    if (dataset_load(db, &ds, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui tune: %s\n", err);
        free(r);
        return EXIT_FAIL;
    }
    if (tune_run(&ds, &o, r, err, sizeof err) < 0 ||
        (fl.store && tunestore_save(db, r, &id, err, sizeof err) < 0)) {
        fprintf(stderr, "recsys-tui tune: %s\n", err);
        goto out;
    }
    if (!(report = tune_result_json(r))) {
        fprintf(stderr, "recsys-tui tune: out of memory\n");
        goto out;
    }
    if (fl.json)
        printf("{\"run\":%lld,\"report\":%s}\n", (long long)id, report);
    else {
        cmd_tune_print_report(stdout, report);
        if (fl.store)
            printf("stored as tune run %lld in %s (%.1f s); `recsys-tui train --algo %s` uses it\n",
                   (long long)id, db, r->seconds, r->algo);
        else
            printf("not stored (--no-store; %.1f s)\n", r->seconds);
    }
    rc = EXIT_OK;
out:
    free(report);
    free(r);
    dataset_free(&ds);
    return rc;
}
