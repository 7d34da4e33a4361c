/* Rolling evaluation and paired comparison output (see eval_report.h). */
#include "cli/eval_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/exitcode.h"
#include "engine/dataset_load.h"
#include "engine/evalstats.h"
#include "engine/rolling.h"
#include "engine/rolling_store.h"
#include "util/clock.h"
#include "util/error.h"

struct progress_ctx {
    int on;
    double t0;
};

static void on_progress(void *ctx, const char *month, const char *algo, int done, int total)
{
    struct progress_ctx *p = ctx;
    if (p->on)
        fprintf(stderr, "rolling eval: %s %-10s (%d/%d, %.1f s)\n", month, algo, done + 1, total,
                clock_monotonic() - p->t0);
}

static cJSON *cell_json(const struct rolling_cell *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "users", (double)c->users);
    cJSON_AddNumberToObject(o, "hits", (double)c->hits);
    cJSON_AddNumberToObject(o, "hit_rate", c->hit_rate);
    cJSON_AddNumberToObject(o, "low", c->lo);
    cJSON_AddNumberToObject(o, "high", c->hi);
    cJSON_AddNumberToObject(o, "precision", c->precision);
    cJSON_AddNumberToObject(o, "recall", c->recall);
    cJSON_AddNumberToObject(o, "ndcg", c->ndcg);
    return o;
}

/* Every month's users and hits summed per algorithm (and its interval). */
static void pooled(const struct rolling_row *rows, int n, const char *algo, int warm,
                   struct rolling_cell *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].algorithm, algo)) {
            const struct rolling_cell *c = warm ? &rows[i].warm : &rows[i].all;
            out->users += c->users;
            out->hits += c->hits;
        }
    out->hit_rate = out->users ? (double)out->hits / (double)out->users : 0;
    evalstats_wilson(out->hits, out->users, &out->lo, &out->hi);
}

static void print_cell(const struct rolling_cell *c)
{
    printf(" %6lld %6.4f [%6.4f,%6.4f]", (long long)c->users, c->hit_rate, c->lo, c->hi);
}

/* One line of the rolling table: month (or ""), algorithm, all, warm. */
static void print_line(const char *month, const char *algo, const struct rolling_cell *all,
                       const struct rolling_cell *warm)
{
    printf("%-7s  %-10s ", month, algo);
    print_cell(all);
    printf(" ");
    print_cell(warm);
    printf("\n");
}

void eval_report_row_json(cJSON *arr, const struct eval_report_row *r, cJSON *all, cJSON *warm)
{
    cJSON *o = cJSON_CreateObject();
    if (r->month)
        cJSON_AddStringToObject(o, "month", r->month);
    cJSON_AddStringToObject(o, "algorithm", r->algorithm);
    if (r->repurchase >= 0)
        cJSON_AddBoolToObject(o, "allow_repurchase", r->repurchase);
    if (r->train_seconds >= 0)
        cJSON_AddNumberToObject(o, "train_seconds", r->train_seconds);
    cJSON_AddItemToObject(o, "all", all);
    cJSON_AddItemToObject(o, "warm", warm);
    cJSON_AddItemToArray(arr, o);
}

static void print_table(const struct eval_report_rolling *o, const struct rolling_row *rows, int n,
                        int64_t run_id, double secs)
{
    printf("Rolling evaluation %s..%s: retrained at the start of each month on the purchases\n"
           "before it, evaluated on that month's buyers (whole catalogue, k = %d).\n"
           "HR = hit rate@%d with its 95%% Wilson interval; warm = buyers with a purchase\n"
           "before the month; oracle = the month's own top %d by buyers (the ceiling of\n"
           "any list that is the same for everyone).\n\n",
           o->from, o->to, o->k, o->k, o->k);
    printf("%-7s  %-10s  %6s %6s %-16s  %6s %6s %s\n", "month", "algorithm", "users", "HR",
           "95% CI", "warm", "HR", "95% CI");
    for (int i = 0; i < n; i++)
        print_line(i && !strcmp(rows[i].month, rows[i - 1].month) ? "" : rows[i].month,
                   rows[i].algorithm, &rows[i].all, &rows[i].warm);
    printf("\nAll months pooled\n");
    for (int i = 0; i < n && !strcmp(rows[i].month, rows[0].month); i++) {
        struct rolling_cell a, w;
        pooled(rows, n, rows[i].algorithm, 0, &a);
        pooled(rows, n, rows[i].algorithm, 1, &w);
        print_line("", rows[i].algorithm, &a, &w);
    }
    printf("\n%.1f s", secs);
    if (run_id > 0)
        printf("; stored as run %lld in table eval_rolling", (long long)run_id);
    printf("\n");
}

static void print_json(const struct eval_report_rolling *o, const struct rolling_row *rows, int n,
                       int64_t run_id, double secs)
{
    cJSON *root = cJSON_CreateObject(), *arr, *pl;
    cJSON_AddStringToObject(root, "from", o->from);
    cJSON_AddStringToObject(root, "to", o->to);
    cJSON_AddNumberToObject(root, "k", o->k);
    cJSON_AddStringToObject(root, "interval", "wilson95");
    cJSON_AddNumberToObject(root, "seconds", secs);
    if (run_id > 0)
        cJSON_AddNumberToObject(root, "run_id", (double)run_id);
    arr = cJSON_AddArrayToObject(root, "rows");
    for (int i = 0; i < n; i++) {
        struct eval_report_row r = {rows[i].month, rows[i].algorithm, -1, rows[i].train_seconds};
        eval_report_row_json(arr, &r, cell_json(&rows[i].all), cell_json(&rows[i].warm));
    }
    pl = cJSON_AddArrayToObject(root, "pooled");
    for (int i = 0; i < n && !strcmp(rows[i].month, rows[0].month); i++) {
        struct eval_report_row r = {NULL, rows[i].algorithm, -1, -1};
        struct rolling_cell a, w;
        pooled(rows, n, rows[i].algorithm, 0, &a);
        pooled(rows, n, rows[i].algorithm, 1, &w);
        eval_report_row_json(pl, &r, cell_json(&a), cell_json(&w));
    }
    char *s = cJSON_Print(root);
    if (s)
        puts(s);
    free(s);
    cJSON_Delete(root);
}

int eval_report_rolling_run(const struct eval_report_rolling *o)
{
    static const char *const def[] = {"usercf", "itemcf", "popularity"};
    struct progress_ctx pc = {.on = !o->quiet && !o->json, .t0 = clock_monotonic()};
    struct rolling_options ro = {.from = o->from,
                                 .to = o->to,
                                 .algos = o->n_algos ? o->algos : def,
                                 .n_algos = o->n_algos ? o->n_algos : 3,
                                 .k = o->k,
                                 .params = o->params,
                                 .progress = on_progress,
                                 .progress_ctx = &pc};
    char err[ERR_LEN];
    struct dataset ds;
    struct rolling_row *rows = NULL;
    int n = 0;
    int64_t run_id = 0;
    if (rolling_parse_month(o->from) < 0 || rolling_parse_month(o->to) < 0) {
        fprintf(stderr, "recsys-tui eval: --%s must be a month YYYY-MM\n",
                rolling_parse_month(o->from) < 0 ? "from" : "to");
        return EXIT_USAGE;
    }
    if (dataset_load(o->db, &ds, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui eval: %s\n", err);
        return EXIT_FAIL;
    }
    int rc = rolling_run(&ds, &ro, &rows, &n, err, sizeof err);
    dataset_free(&ds);
    if (rc < 0) {
        fprintf(stderr, "recsys-tui eval: %s\n", err);
        return rc == ERR_INVALID ? EXIT_USAGE : EXIT_FAIL;
    }
    double secs = clock_monotonic() - pc.t0;
    if (o->store && rolling_store_save(o->db, rows, n, o->k, &run_id, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui eval: warning: %s\n", err);
        run_id = 0;
    }
    if (o->json)
        print_json(o, rows, n, run_id, secs);
    else
        print_table(o, rows, n, run_id, secs);
    free(rows);
    return EXIT_OK;
}

static cJSON *paired_json(const struct evalstats_paired *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "users", (double)p->users);
    cJSON_AddNumberToObject(o, "a_only", (double)p->a_only);
    cJSON_AddNumberToObject(o, "b_only", (double)p->b_only);
    cJSON_AddNumberToObject(o, "both", (double)p->both);
    cJSON_AddNumberToObject(o, "neither", (double)p->neither);
    cJSON_AddNumberToObject(o, "diff", p->diff);
    cJSON_AddNumberToObject(o, "low", p->lo);
    cJSON_AddNumberToObject(o, "high", p->hi);
    return o;
}

void eval_report_paired(const char *a, const char *b, const struct evalstats_paired *all,
                        const struct evalstats_paired *warm, cJSON *root)
{
    if (root) {
        cJSON *o = cJSON_AddObjectToObject(root, "paired");
        cJSON_AddStringToObject(o, "a", a);
        cJSON_AddStringToObject(o, "b", b);
        cJSON_AddNumberToObject(o, "resamples", all->resamples);
        cJSON_AddNumberToObject(o, "seed", (double)all->seed);
        cJSON_AddItemToObject(o, "all", paired_json(all));
        cJSON_AddItemToObject(o, "warm", paired_json(warm));
        return;
    }
    printf("\nPaired: %s (A) against %s (B), hit@k per test user; interval: percentile\n"
           "bootstrap of the hit-rate difference, %d resamples, seed %llu\n",
           a, b, all->resamples, (unsigned long long)all->seed);
    printf("  %-8s %7s %8s %8s %8s %9s  %s\n", "users", "n", "A only", "B only", "both", "HR A-B",
           "95% CI");
    const struct evalstats_paired *ps[2] = {all, warm};
    for (int i = 0; i < 2; i++)
        printf("  %-8s %7lld %8lld %8lld %8lld %+9.4f  [%+.4f, %+.4f]\n", i ? "warm" : "all",
               (long long)ps[i]->users, (long long)ps[i]->a_only, (long long)ps[i]->b_only,
               (long long)ps[i]->both, ps[i]->diff, ps[i]->lo, ps[i]->hi);
}
