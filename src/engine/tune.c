/* Model selection on validation cutoffs (see tune.h). */
#include "engine/tune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset.h"
#include "engine/eval.h"
#include "engine/model.h"
#include "engine/rolling.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/sbuf.h"

#define P(f) offsetof(struct algo_params, f)

/* The search space, in the order of the descent: what every user sees first
 * (popularity), then what users with history see. The values bracket the
 * defaults; a parameter whose values all tie keeps the current one. */
static const struct tune_dim dims[] = {
    {"window_days", P(window_days), 1, 1, 4, {30, 45, 60, 90}},
    {"long_window", P(long_window), 1, 1, 4, {0, 90, 180, 365}},
    {"state_weight", P(state_weight), 0, 0, 3, {0, 0.25, 1}},
    {"repurchase_weight", P(repurchase_weight), 0, 0, 4, {0, 0.25, 1, 4}},
    {"neighbours", P(neighbours), 1, 1, 3, {20, 50, 100}},
    {"item_neighbours", P(item_neighbours), 1, 1, 3, {20, 50, 100}},
    {"itemcf_weight", P(itemcf_weight), 0, 0, 3, {0.5, 1, 2}},
    {"copurchase_weight", P(copurchase_weight), 0, 0, 3, {0.001, 0.1, 1}},
    {"seller_weight", P(seller_weight), 0, 0, 4, {0, 0.0001, 0.01, 1}},
    {"popularity_weight", P(popularity_weight), 0, 0, 4, {0, 0.1, 0.5, 2}},
};
#define N_DIMS ((int)(sizeof dims / sizeof dims[0]))

/* Parameters only the hybrid reads: other algorithms skip them. */
static int hybrid_only(const struct tune_dim *d)
{
    return !d->refit;
}

const struct tune_dim *tune_dims(int *n)
{
    *n = N_DIMS;
    return dims;
}

static double get_param(const struct algo_params *p, const struct tune_dim *d)
{
    const char *base = (const char *)p + d->offset;
    return d->is_int ? (double)*(const int *)base : *(const double *)base;
}

static void put_param(struct algo_params *p, const struct tune_dim *d, double v)
{
    char *base = (char *)p + d->offset;
    if (d->is_int)
        *(int *)base = (int)lround(v);
    else
        *(double *)base = v;
}

static const struct tune_dim *find_dim(const char *name)
{
    for (int i = 0; i < N_DIMS; i++)
        if (!strcmp(dims[i].name, name))
            return &dims[i];
    return NULL;
}

int tune_set_param(struct algo_params *p, const char *dim, double v)
{
    const struct tune_dim *d = find_dim(dim);
    if (!d)
        return ERR_INVALID;
    put_param(p, d, v);
    return 0;
}

/* 1 when a and b fit the same model (they differ at most in ranking weights). */
static int same_fit(const struct algo_params *a, const struct algo_params *b)
{
    for (int i = 0; i < N_DIMS; i++)
        if (dims[i].refit && get_param(a, &dims[i]) != get_param(b, &dims[i]))
            return 0;
    return 1;
}

/* The dataset as it was at the cutoff: the events before it (they are
 * sorted by day) and each product's mean price over those events only. The
 * view shares everything else with ds; *price is the caller's to free. */
static int cut_at(const struct dataset *ds, int32_t cutoff_day, struct dataset *view, float **price)
{
    *view = *ds;
    int64_t n = 0;
    while (n < ds->n_events && ds->events[n].day < cutoff_day)
        n++;
    view->n_events = n;
    float *sum = calloc((size_t)ds->items.n + 1, sizeof *sum);
    int32_t *cnt = calloc((size_t)ds->items.n + 1, sizeof *cnt);
    if (!sum || !cnt) {
        free(sum), free(cnt);
        return -1;
    }
    for (int64_t k = 0; k < n; k++) {
        sum[ds->events[k].item] += ds->events[k].price;
        cnt[ds->events[k].item]++;
    }
    for (int32_t i = 0; i < ds->items.n; i++)
        sum[i] = cnt[i] ? sum[i] / (float)cnt[i] : -1;
    free(cnt);
    view->item_price = *price = sum;
    return 0;
}

/* State of a search: the view, the cutoffs and one fitted model each. */
struct search {
    const struct tune_options *o;
    const char *algo;
    struct dataset view;
    int n;
    int32_t from[TUNE_MAX_CUTOFFS], to[TUNE_MAX_CUTOFFS];
    struct model m[TUNE_MAX_CUTOFFS];
    int fitted[TUNE_MAX_CUTOFFS];
};

/* Scores p on every cutoff into c, refitting a cutoff's model only when p
 * fits differently from the one it holds. */
static int score(struct search *s, const struct algo_params *p, struct tune_config *c, char *err,
                 size_t errlen)
{
    memset(&c->mean, 0, sizeof c->mean);
    c->p = *p;
    int allow = algo_repurchase_default(s->algo, p);
    for (int j = 0; j < s->n; j++) {
        struct model *m = &s->m[j];
        int rc;
        if (!s->fitted[j] || !same_fit(&m->params, p)) {
            model_free(m);
            s->fitted[j] = 0;
            if ((rc = model_train(&s->view, s->algo, p, s->from[j], m, err, errlen)) < 0)
                return rc;
            s->fitted[j] = 1;
        }
        m->params = *p; /* the ranking weights; the fitted ones are the same */
        struct eval_window w = {.from_day = s->from[j], .to_day = s->to[j]};
        struct eval_result r;
        if ((rc = eval_model_window(m, &s->view, &w, s->o->k, allow, &r, err, errlen)) < 0)
            return rc;
        struct tune_cell *t = &c->cell[j];
        *t = (struct tune_cell){.users = r.all.users,
                                .warm_users = r.warm.users,
                                .hr_all = r.all.hit_rate,
                                .ndcg_all = r.all.ndcg,
                                .hr_warm = r.warm.hit_rate,
                                .ndcg_warm = r.warm.ndcg};
        c->mean.users += t->users;
        c->mean.warm_users += t->warm_users;
        c->mean.hr_all += t->hr_all / s->n;
        c->mean.ndcg_all += t->ndcg_all / s->n;
        c->mean.hr_warm += t->hr_warm / s->n;
        c->mean.ndcg_warm += t->ndcg_warm / s->n;
    }
    return 0;
}

/* Per-cutoff differences below these are ties: a hit-rate moves by one user
 * in 1/users (about 2e-4 here), NDCG by a fraction of that when one user's
 * hit moves a rank, so 1e-4 of NDCG is a few users' rank changes: noise. */
#define TUNE_HR_EPS   1e-9
#define TUNE_NDCG_EPS 1e-4

/* 1 when a is higher than b on more of the n cutoffs than it is lower, by
 * more than eps, and higher on the mean (the metric at offset off of a cell). */
static int wins_on(const struct tune_config *a, const struct tune_config *b, int n, size_t off,
                   double eps, int *tied)
{
    int wins = 0, losses = 0;
    for (int j = 0; j < n; j++) {
        double d = *(const double *)((const char *)&a->cell[j] + off) -
                   *(const double *)((const char *)&b->cell[j] + off);
        wins += d > eps;
        losses += d < -eps;
    }
    double dm = *(const double *)((const char *)&a->mean + off) -
                *(const double *)((const char *)&b->mean + off);
    *tied = !wins && !losses;
    return wins > losses && dm > eps;
}

/* 1 when row a beats row b over n cutoffs: a higher mean hit-rate over all
 * users AND a higher one on more cutoffs than a lower one (so one lucky
 * month does not decide); with the same hit-rate everywhere, the same test
 * on NDCG. Anything else keeps b, the best so far. */
static int better(const struct tune_config *a, const struct tune_config *b, int n)
{
    int tied;
    if (wins_on(a, b, n, offsetof(struct tune_cell, hr_all), TUNE_HR_EPS, &tied))
        return 1;
    return tied && wins_on(a, b, n, offsetof(struct tune_cell, ndcg_all), TUNE_NDCG_EPS, &tied);
}

/* The validation cutoffs: the firsts of the n months before cutoff_day
 * that have purchases, each scored up to the next first or the cutoff. */
static int plan_cutoffs(struct search *s, int want, int32_t cutoff_day, struct tune_result *r,
                        char *err, size_t errlen)
{
    char day[11];
    dataset_format_day(cutoff_day, day);
    char ym[8];
    memcpy(ym, day, 7);
    ym[7] = 0;
    int month = rolling_parse_month(ym);
    if (rolling_month_first_day(month) == cutoff_day)
        month--; /* the cutoff is a first: its month is the test period's */
    int32_t from[TUNE_MAX_CUTOFFS], to[TUNE_MAX_CUTOFFS];
    int n = 0;
    for (int mo = month; mo > month - 24 && n < want; mo--) {
        int32_t a = rolling_month_first_day(mo), b = rolling_month_first_day(mo + 1);
        if (b > cutoff_day)
            b = cutoff_day;
        int has_train = 0, has_test = 0;
        for (int64_t k = 0; k < s->view.n_events && !(has_train && has_test); k++) {
            has_train |= s->view.events[k].day < a;
            has_test |= s->view.events[k].day >= a && s->view.events[k].day < b;
        }
        if (!has_train || !has_test)
            continue;
        from[n] = a;
        to[n++] = b;
    }
    if (!n)
        return err_code_set(err, errlen, ERR_INVALID,
                            "no validation month before %s has purchases both before and in it",
                            day);
    s->n = r->n_cutoffs = n;
    for (int j = 0; j < n; j++) { /* oldest first */
        s->from[j] = from[n - 1 - j];
        s->to[j] = to[n - 1 - j];
        dataset_format_day(s->from[j], r->cutoffs[j]);
        dataset_format_day(s->to[j], r->until[j]);
    }
    return 0;
}

static void explain(struct tune_result *r)
{
    const struct tune_config *b = &r->configs[0], *c = &r->configs[r->chosen];
    char changed[160] = "";
    size_t len = 0;
    for (int i = 0; i < N_DIMS; i++) {
        double v0 = get_param(&b->p, &dims[i]), v1 = get_param(&c->p, &dims[i]);
        if (v0 != v1 && len < sizeof changed)
            len += (size_t)snprintf(changed + len, sizeof changed - len, "%s%s %g->%g",
                                    len ? ", " : "", dims[i].name, v0, v1);
    }
    /* a reason cut at sizeof r->reason still reads; only display uses it */
    if (snprintf(r->reason, sizeof r->reason,
                 "mean HR@%d over all validation users on %d cutoffs %.4f (base %.4f; warm %.4f, "
                 "base %.4f); each change raised the mean HR@%d and won more cutoffs than it "
                 "lost, or tied every hit and did so on NDCG@%d%s%s",
                 r->k, r->n_cutoffs, c->mean.hr_all, b->mean.hr_all, c->mean.hr_warm,
                 b->mean.hr_warm, r->k, r->k, len ? "; changed " : "; the base configuration kept",
                 changed) >= (int)sizeof r->reason)
        r->reason[sizeof r->reason - 2] = '.';
}

static int wanted(const struct tune_options *o, const struct tune_dim *d)
{
    if (!o->only)
        return 1;
    for (int i = 0; i < o->n_only; i++)
        if (!strcmp(o->only[i], d->name))
            return 1;
    return 0;
}

/* The descent itself (see tune.h). */
static int descend(struct search *s, struct tune_result *r, char *err, size_t errlen)
{
    int total = 1, done = 0, rc;
    for (int i = 0; i < N_DIMS; i++)
        if (wanted(s->o, &dims[i]) && (strcmp(s->algo, "hybrid") == 0 || !hybrid_only(&dims[i])))
            total += dims[i].n_values - 1;
    struct tune_config *c = &r->configs[0];
    snprintf(c->dim, sizeof c->dim, "base");
    c->kept = 1;
    if (s->o->progress)
        s->o->progress(s->o->progress_ctx, "base", 0, done++, total);
    if ((rc = score(s, &r->params, c, err, errlen)) < 0)
        return rc;
    r->n_configs = 1;
    for (int i = 0; i < N_DIMS; i++) {
        const struct tune_dim *d = &dims[i];
        if (!wanted(s->o, d) || (strcmp(s->algo, "hybrid") && hybrid_only(d)))
            continue;
        double cur = get_param(&r->params, d);
        int best = r->chosen;
        for (int v = 0; v < d->n_values && r->n_configs < TUNE_MAX_CONFIGS; v++) {
            if (d->values[v] == cur)
                continue; /* the best so far is this row already */
            struct algo_params p = r->params;
            put_param(&p, d, d->values[v]);
            c = &r->configs[r->n_configs];
            memset(c, 0, sizeof *c);
            snprintf(c->dim, sizeof c->dim, "%s", d->name);
            c->value = d->values[v];
            if (s->o->progress)
                s->o->progress(s->o->progress_ctx, d->name, d->values[v], done++, total);
            if ((rc = score(s, &p, c, err, errlen)) < 0)
                return rc;
            if (better(c, &r->configs[best], s->n))
                best = r->n_configs;
            r->n_configs++;
        }
        if (best != r->chosen) {
            r->chosen = best;
            r->configs[best].kept = 1;
            r->params = r->configs[best].p;
        }
    }
    return 0;
}

int tune_run(const struct dataset *ds, const struct tune_options *o, struct tune_result *r,
             char *err, size_t errlen)
{
    struct search s = {.o = o, .algo = o->algo ? o->algo : "hybrid"};
    struct tune_options opt = *o;
    float *price = NULL;
    int rc;
    memset(r, 0, sizeof *r);
    s.o = &opt;
    opt.k = o->k ? o->k : 10;
    int want = o->n_cutoffs ? o->n_cutoffs : TUNE_DEFAULT_CUTOFFS;
    int32_t cutoff_day = o->cutoff ? dataset_parse_day(o->cutoff) : -1;
    if (cutoff_day < 0)
        return err_code_set(err, errlen, ERR_INVALID, "--cutoff \"%s\" is not a date YYYY-MM-DD",
                            o->cutoff ? o->cutoff : "");
    if (!algo_find(s.algo))
        return err_code_set(err, errlen, ERR_INVALID, "unknown algorithm \"%s\"", s.algo);
    if (want < 1 || want > TUNE_MAX_CUTOFFS)
        return err_code_set(err, errlen, ERR_INVALID, "--cutoffs must be 1..%d, not %d",
                            TUNE_MAX_CUTOFFS, want);
    if (opt.k < 1 || opt.k > REC_MAX_ITEMS)
        return err_code_set(err, errlen, ERR_INVALID, "k must be 1..%d", REC_MAX_ITEMS);
    for (int i = 0; o->only && i < o->n_only; i++)
        if (!find_dim(o->only[i]))
            return err_code_set(err, errlen, ERR_INVALID, "unknown tuning parameter \"%s\"",
                                o->only[i]);
    double t0 = clock_monotonic();
    /* first of all: nothing on or after the cutoff is visible from here on */
    if (cut_at(ds, cutoff_day, &s.view, &price) < 0)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory cutting the dataset");
    snprintf(r->algo, sizeof r->algo, "%s", s.algo);
    dataset_format_day(cutoff_day, r->cutoff);
    r->k = opt.k;
    if (o->base)
        r->params = *o->base;
    else
        algo_params_default(&r->params);
    if ((rc = plan_cutoffs(&s, want, cutoff_day, r, err, errlen)) == 0 &&
        (rc = descend(&s, r, err, errlen)) == 0)
        explain(r);
    for (int j = 0; j < TUNE_MAX_CUTOFFS; j++)
        model_free(&s.m[j]);
    free(price);
    r->seconds = clock_monotonic() - t0;
    return rc;
}

static void cell_json(struct sbuf *b, const struct tune_cell *c)
{
    sbuf_printf(b,
                "{\"users\":%lld,\"warm_users\":%lld,\"hr_all\":%.6f,\"ndcg_all\":%.6f,"
                "\"hr_warm\":%.6f,\"ndcg_warm\":%.6f}",
                (long long)c->users, (long long)c->warm_users, c->hr_all, c->ndcg_all, c->hr_warm,
                c->ndcg_warm);
}

char *tune_result_json(const struct tune_result *r)
{
    struct sbuf b;
    sbuf_init(&b, (size_t)1 << 24);
    sbuf_puts(&b, "{\"algo\":");
    sbuf_json_str(&b, r->algo);
    sbuf_printf(&b, ",\"cutoff\":\"%s\",\"k\":%d,\"seconds\":%.2f,\"cutoffs\":[", r->cutoff, r->k,
                r->seconds);
    for (int j = 0; j < r->n_cutoffs; j++)
        sbuf_printf(&b, "%s{\"from\":\"%s\",\"to\":\"%s\"}", j ? "," : "", r->cutoffs[j],
                    r->until[j]);
    sbuf_printf(&b, "],\"chosen\":%d,\"reason\":", r->chosen);
    sbuf_json_str(&b, r->reason);
    sbuf_puts(&b, ",\"params\":{");
    for (int i = 0; i < N_DIMS; i++)
        sbuf_printf(&b, "%s\"%s\":%g", i ? "," : "", dims[i].name, get_param(&r->params, &dims[i]));
    sbuf_puts(&b, "},\"table\":[");
    for (int i = 0; i < r->n_configs; i++) {
        const struct tune_config *c = &r->configs[i];
        sbuf_printf(&b, "%s{\"dim\":", i ? "," : "");
        sbuf_json_str(&b, c->dim);
        sbuf_printf(&b, ",\"value\":%g,\"kept\":%s,\"mean\":", c->value,
                    c->kept ? "true" : "false");
        cell_json(&b, &c->mean);
        sbuf_puts(&b, ",\"cutoffs\":[");
        for (int j = 0; j < r->n_cutoffs; j++) {
            if (j)
                sbuf_puts(&b, ",");
            cell_json(&b, &c->cell[j]);
        }
        sbuf_puts(&b, "]}");
    }
    sbuf_puts(&b, "]}");
    if (b.overflow) {
        sbuf_free(&b);
        return NULL;
    }
    return b.p; /* NUL-terminated, malloc'd */
}
