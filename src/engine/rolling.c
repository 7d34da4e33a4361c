/* Rolling monthly evaluation (see rolling.h). The dataset is loaded once;
 * each month only trains and scores, on a view of it that ends with the
 * month (the events are sorted by day). */
#include "engine/rolling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset.h"
#include "engine/eval.h"
#include "engine/evalstats.h"
#include "engine/model.h"
#include "util/clock.h"
#include "util/error.h"

int rolling_parse_month(const char *s)
{
    int y, m, n = 0;
    if (!s || sscanf(s, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || s[7] || y < 1970 || y > 2200 ||
        m < 1 || m > 12)
        return -1;
    return y * 12 + m - 1;
}

void rolling_format_month(int month, char out[8])
{
    char buf[32];
    snprintf(buf, sizeof buf, "%04d-%02d", (month / 12) % 10000, month % 12 + 1);
    memcpy(out, buf, 7);
    out[7] = 0;
}

int32_t rolling_month_first_day(int month)
{
    char d[16];
    snprintf(d, sizeof d, "%04d-%02d-01", (month / 12) % 10000, month % 12 + 1);
    return dataset_parse_day(d);
}

static void cell_from(struct rolling_cell *c, const struct eval_metrics *m)
{
    c->users = m->users;
    c->hits = (int64_t)(m->hit_rate * (double)m->users + 0.5);
    c->hit_rate = m->hit_rate;
    c->precision = m->precision;
    c->recall = m->recall;
    c->ndcg = m->ndcg;
    evalstats_wilson(c->hits, c->users, &c->lo, &c->hi);
}

/* The k products with the most distinct buyers among events [a, b) of ds
 * (ties: lower index first) into top; returns how many (< k when fewer
 * products sold), or a negative err_code. */
static int month_top(const struct dataset *ds, int64_t a, int64_t b, int k, int32_t *top, char *err,
                     size_t errlen)
{
    int64_t n = b - a;
    int32_t *r = malloc((size_t)n * sizeof *r), *c = malloc((size_t)n * sizeof *c);
    struct csr ic = {0};
    int rc = 0;
    if (!r || !c) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory ranking a month");
        goto out;
    }
    for (int64_t e = 0; e < n; e++) {
        r[e] = ds->events[a + e].item;
        c[e] = ds->events[a + e].user;
    }
    if ((rc = csr_from_pairs(ds->items.n, ds->users.n, n, r, c, &ic, err, errlen)) < 0)
        goto out;
    for (int32_t i = 0; i < ic.n_rows; i++) {
        int64_t buyers = ic.ptr[i + 1] - ic.ptr[i];
        if (!buyers)
            continue;
        int pos = rc < k ? rc++ : k;
        while (pos > 0 && ic.ptr[top[pos - 1] + 1] - ic.ptr[top[pos - 1]] < buyers) {
            if (pos < k)
                top[pos] = top[pos - 1];
            pos--;
        }
        if (pos < k)
            top[pos] = i;
    }
out:
    free(r), free(c);
    csr_free(&ic);
    return rc;
}

/* One month: every algorithm, then the oracle, appended to rows[*n]. */
static int run_month(const struct dataset *ds, const struct rolling_options *o,
                     const char *const *algos, int n_algos, int month, int *done, int total,
                     struct rolling_row *rows, int *n, char *err, size_t errlen)
{
    int32_t d0 = rolling_month_first_day(month), d1 = rolling_month_first_day(month + 1);
    int64_t a = 0, b;
    while (a < ds->n_events && ds->events[a].day < d0)
        a++;
    for (b = a; b < ds->n_events && ds->events[b].day < d1; b++)
        ;
    if (a == b) {
        *done += n_algos + 1;
        return 0;
    }
    struct dataset view = *ds; /* shallow: the same arrays, the events end with the month */
    view.n_events = b;
    struct eval_window w = {.from_day = d0, .to_day = d1};
    struct model pop = {0};
    struct eval_result res;
    int32_t top[REC_MAX_ITEMS];
    char name[8];
    int rc = 0;
    rolling_format_month(month, name);
    for (int j = 0; j < n_algos; j++) {
        struct model m = {0};
        if (o->progress)
            o->progress(o->progress_ctx, name, algos[j], (*done)++, total);
        double t0 = clock_monotonic();
        if ((rc = model_train(&view, algos[j], o->params, d0, &m, err, errlen)) < 0)
            goto out;
        double secs = clock_monotonic() - t0;
        rc = eval_model_window(&m, &view, &w, o->k, 0, &res, err, errlen);
        if (rc == 0 && !strcmp(algos[j], "popularity"))
            pop = m; /* kept: its training matrix tells the oracle's warm users */
        else
            model_free(&m);
        if (rc < 0)
            goto out;
        struct rolling_row *row = &rows[(*n)++];
        snprintf(row->month, sizeof row->month, "%s", name);
        snprintf(row->algorithm, sizeof row->algorithm, "%s", algos[j]);
        row->train_seconds = secs;
        cell_from(&row->all, &res.all);
        cell_from(&row->warm, &res.warm);
    }
    if (o->progress)
        o->progress(o->progress_ctx, name, ROLLING_ORACLE, (*done)++, total);
    if ((rc = month_top(ds, a, b, o->k, top, err, errlen)) < 0)
        goto out;
    w.fixed = top;
    w.n_fixed = rc;
    if ((rc = eval_model_window(&pop, &view, &w, o->k, 0, &res, err, errlen)) < 0)
        goto out;
    struct rolling_row *row = &rows[(*n)++];
    snprintf(row->month, sizeof row->month, "%s", name);
    snprintf(row->algorithm, sizeof row->algorithm, "%s", ROLLING_ORACLE);
    cell_from(&row->all, &res.all);
    cell_from(&row->warm, &res.warm);
out:
    model_free(&pop);
    return rc;
}

int rolling_run(const struct dataset *ds, const struct rolling_options *o,
                struct rolling_row **rows_out, int *n_rows, char *err, size_t errlen)
{
    const char *algos[ROLLING_MAX_ALGOS + 1];
    int n_algos = 0, has_pop = 0;
    *rows_out = NULL;
    *n_rows = 0;
    int m0 = rolling_parse_month(o->from), m1 = rolling_parse_month(o->to);
    if (m0 < 0 || m1 < 0)
        return err_code_set(err, errlen, ERR_INVALID, "--%s \"%s\" is not a month YYYY-MM",
                            m0 < 0 ? "from" : "to", m0 < 0 ? o->from : o->to);
    if (m1 < m0 || m1 - m0 >= ROLLING_MAX_MONTHS)
        return err_code_set(err, errlen, ERR_INVALID,
                            "--from %s --to %s: need from <= to, at most %d months", o->from, o->to,
                            ROLLING_MAX_MONTHS);
    for (int j = 0; j < o->n_algos && n_algos < ROLLING_MAX_ALGOS; j++) {
        if (!algo_find(o->algos[j]))
            return err_code_set(err, errlen, ERR_INVALID, "unknown algorithm \"%s\"", o->algos[j]);
        has_pop |= !strcmp(o->algos[j], "popularity");
        algos[n_algos++] = o->algos[j];
    }
    if (!has_pop) /* the oracle's warm users come from the popularity model */
        algos[n_algos++] = "popularity";
    int months = m1 - m0 + 1, total = months * (n_algos + 1), done = 0, n = 0, rc = 0;
    struct rolling_row *rows = calloc((size_t)total, sizeof *rows);
    if (!rows)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    for (int mo = m0; mo <= m1; mo++)
        if ((rc = run_month(ds, o, algos, n_algos, mo, &done, total, rows, &n, err, errlen)) < 0)
            break;
    if (rc == 0 && n == 0)
        rc = err_code_set(err, errlen, ERR_INVALID, "no purchases between %s and %s", o->from,
                          o->to);
    if (rc < 0) {
        free(rows);
        return rc;
    }
    *rows_out = rows;
    *n_rows = n;
    return 0;
}
