/* View 6: Data & evaluation (see view_insights.h). */
#include "tui/view_insights.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/insfetch.h"
#include "tui/ui.h"
#include "util/clock.h"

#define REFRESH_S  30.0 /* the route's snapshot is rebuilt at most every minute */
#define LABEL_W    7
#define BOTH_PAGES 46 /* rows from which both pages are drawn */
#define MAX_CELLS  400

void view_insights_bar(char *out, int w, double v, double max)
{
    if (w < 0)
        w = 0;
    memset(out, ' ', (size_t)w);
    out[w] = '\0';
    if (!(v > 0) || !(max > 0) || !isfinite(v) || !isfinite(max))
        return;
    int n = (int)floor(v / max * w + 0.5);
    memset(out, '#', (size_t)(n > w ? w : n));
}

/* The region the view asks: the selected one when it answers, else the
 * first UP (or DEGRADED) one, else the selected one. */
static int pick_region(const struct dash *ds)
{
    const struct tui_data *d = ds->d;
    int s = ds->sel_region >= 0 && ds->sel_region < d->n_regions ? ds->sel_region : 0;
    if (d->r[s].fsm.status == REGION_UP || d->r[s].fsm.status == REGION_DEGRADED)
        return s;
    for (int i = 0; i < d->n_regions; i++)
        if (d->r[i].fsm.status == REGION_UP || d->r[i].fsm.status == REGION_DEGRADED)
            return i;
    return s;
}

static double max_of(const double *v, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > m)
            m = v[i];
    return m;
}

/* Each of the n values repeated over an equal share of `cells` chart
 * samples (so a month is a bar of its own), into out; returns the count. */
static int spread(const double *v, int n, int cells, double *out)
{
    int per = n > 0 ? cells / n : 0, k = 0;
    if (per < 1)
        per = 1;
    for (int i = 0; i < n && k + per <= MAX_CELLS * 2; i++)
        for (int j = 0; j < per; j++)
            out[k++] = v[i];
    return k;
}

/* An area chart of v[0..n) (months) with y labels and a month axis under
 * it, at rows y.. (height rows + 1). */
static void month_chart(struct dash *ds, int y, int w, int height, const double *v, int n,
                        double ymax, const char (*labels)[16], const char *unit)
{
    static double samples[MAX_CELLS * 2];
    static char rows[12][CHART_ROW_BYTES(MAX_CELLS)];
    int spc = chart_samples_per_cell(ds->glyphs), cw = w - LABEL_W - 2;
    if (cw > MAX_CELLS)
        cw = MAX_CELLS;
    if (height > 12)
        height = 12;
    if (cw < 8 || n < 1)
        return;
    int per = cw / n > 0 ? cw / n : 1; /* cells per month */
    int k = spread(v, n, per * n * spc, samples);
    if (chart_render(samples, (size_t)k, cw, height, ymax, ds->glyphs, &rows[0][0],
                     sizeof rows[0]) < 0)
        return;
    int x0 = LABEL_W + 1 + (cw - (k / spc < cw ? k / spc : cw)); /* right-aligned data */
    for (int r = 0; r < height; r++) {
        char lab[24];
        chart_y_label(ymax, r, height, unit, lab, sizeof lab);
        ui_text(y + r, 0, LABEL_W, ui_attr(ds, UI_DIM), "%*s", LABEL_W, lab);
        ui_utf8(y + r, LABEL_W + 1, ui_attr(ds, UI_ACCENT), rows[r]);
    }
    /* month labels: the first, the middle and the last bar */
    int mid = n / 2, xm = x0 + mid * per, xl = x0 + (n - 1) * per;
    ui_text(y + height, x0, 8, ui_attr(ds, UI_DIM), "%s", labels[0]);
    if (n > 2 && xm - x0 >= 9 && xl - xm >= 9)
        ui_text(y + height, xm, 8, ui_attr(ds, UI_DIM), "%s", labels[mid]);
    if (n > 1 && xl - x0 >= 9)
        ui_text(y + height, xl + 7 < w ? xl : w - 7, 8, ui_attr(ds, UI_DIM), "%s", labels[n - 1]);
}

/* Data page; returns the rows used. */
static int draw_data(struct dash *ds, const struct ins_data *d, int y, int h, int w)
{
    int row = y, big = h >= 30;
    char months[INS_MONTHS][16], bar[MAX_CELLS + 1];
    for (int i = 0; i < d->n_months; i++)
        snprintf(months[i], sizeof months[i], "%s", d->month[i]);
    double ymax = chart_nice_max(max_of(d->month_orders, d->n_months));
    ui_text(row++, 0, w, ui_attr(ds, UI_TITLE), " Orders per month  (%d months, peak %.0f)",
            d->n_months, max_of(d->month_orders, d->n_months));
    int chh = big ? 8 : 5;
    month_chart(ds, row, w, chh, d->month_orders, d->n_months, ymax, (const char(*)[16])months, "");
    row += chh + 1;
    /* two columns: categories | states */
    int half = w / 2, n_rows = big ? 10 : 6, bw = half - 32;
    ui_text(row, 0, half, ui_attr(ds, UI_TITLE), " Top categories (items sold)");
    ui_text(row++, half, w - half, ui_attr(ds, UI_TITLE), " Customers and orders by state");
    double cmax = max_of(d->cat_items, d->n_cats), smax = max_of(d->st_customers, d->n_states);
    for (int i = 0; i < n_rows && row < y + h; i++, row++) {
        if (i < d->n_cats) {
            view_insights_bar(bar, bw < 4 ? 4 : bw, d->cat_items[i], cmax);
            ui_text(row, 0, half, A_NORMAL, " %-20.20s %6.0f %s", d->cat[i], d->cat_items[i], bar);
        }
        if (i < d->n_states) {
            view_insights_bar(bar, w - half - 24 < 4 ? 4 : w - half - 24, d->st_customers[i], smax);
            ui_text(row, half, w - half, A_NORMAL, " %-2s %7.0f %7.0f %s", d->st[i],
                    d->st_customers[i], d->st_orders[i], bar);
        }
    }
    if (row + 1 >= y + h)
        return row - y;
    ui_text(row++, 0, w, ui_attr(ds, UI_TITLE), " Cleaning report (ingest, %s)", d->ingested_at);
    for (int i = 0; i < d->n_clean && row < y + h; i += 2, row++) {
        ui_text(row, 0, half, A_NORMAL, " %-28.28s %8.0f", d->clean_rule[i], d->clean_count[i]);
        if (i + 1 < d->n_clean)
            ui_text(row, half, w - half, A_NORMAL, " %-28.28s %8.0f", d->clean_rule[i + 1],
                    d->clean_count[i + 1]);
    }
    return row - y;
}

static double rate(double hits, double users)
{
    return users > 0 ? hits / users : NAN;
}

/* One "name  all X bar  warm Y bar" line on a common scale. */
static void rate_line(struct dash *ds, int row, int w, const char *name, double all, double warm,
                      double max, int attr)
{
    char a[MAX_CELLS + 1], b[MAX_CELLS + 1];
    int bw = (w - 50) / 2;
    if (bw < 3)
        bw = 3;
    if (bw > MAX_CELLS)
        bw = MAX_CELLS;
    view_insights_bar(a, bw, all, max);
    view_insights_bar(b, bw, warm, max);
    (void)ds;
    ui_text(row, 0, w, attr, " %-22.22s all %6.4f %s  warm %6.4f %s", name, all, a, warm, b);
}

/* Evaluation page; returns the rows used. */
static int draw_eval(struct dash *ds, const struct ins_data *d, int y, int h, int w)
{
    int row = y;
    double max = 0;
    for (int i = 0; i < d->n_model; i++)
        max = fmax(max, fmax(d->model[i].hr_all, d->model[i].hr_warm));
    for (int a = 0; a < d->n_algos; a++)
        max = fmax(max, fmax(rate(d->hits_all[a], d->users_all[a]),
                             rate(d->hits_warm[a], d->users_warm[a])));
    if (d->n_model) {
        ui_text(row++, 0, w, ui_attr(ds, UI_TITLE),
                " Active model v%ld (%s, cutoff %s): hit rate@10 after the cutoff",
                d->model_version, d->model_algo, d->model_cutoff[0] ? d->model_cutoff : "all data");
        for (int i = 0; i < d->n_model && row < y + h; i++)
            rate_line(ds, row++, w, d->model[i].name, d->model[i].hr_all, d->model[i].hr_warm, max,
                      A_NORMAL);
    } else {
        ui_text(row++, 0, w, ui_attr(ds, UI_DIM), " No active model with stored metrics");
    }
    if (!d->run_id) {
        if (row < y + h)
            ui_text(row++, 0, w, ui_attr(ds, UI_DIM),
                    " No rolling evaluation stored: run `recsys-tui eval --rolling monthly`");
        return row - y;
    }
    if (row < y + h)
        ui_text(row++, 0, w, ui_attr(ds, UI_TITLE),
                " Rolling evaluation (run %ld, %s..%s): hit rate@%d pooled over %d months",
                d->run_id, d->rmonth[0], d->rmonth[d->n_rmonths - 1], d->k, d->n_rmonths);
    for (int a = 0; a < d->n_algos && row < y + h; a++)
        rate_line(ds, row++, w, d->algo[a], rate(d->hits_all[a], d->users_all[a]),
                  rate(d->hits_warm[a], d->users_warm[a]), max,
                  strcmp(d->algo[a], "oracle") ? (int)A_NORMAL : ui_attr(ds, UI_DIM));
    /* per month: one sparkline per algorithm (all users, then warm) */
    int sel = d->n_algos ? ds->ins_algo % d->n_algos : 0;
    double ymax = 0;
    for (int a = 0; a < d->n_algos; a++)
        ymax = fmax(ymax, max_of(d->hr_all[a], d->n_rmonths));
    ymax = chart_nice_max(ymax);
    if (row + 2 >= y + h)
        return row - y;
    ui_text(row++, 0, w, ui_attr(ds, UI_TITLE), " Rolling hit rate per month (all users, 0..%.2f)",
            ymax);
    int sw = w - 14, per = d->n_rmonths ? sw / d->n_rmonths : 1;
    if (per < 1)
        per = 1;
    for (int a = 0; a < d->n_algos && row < y + h - 1; a++) {
        static double samples[MAX_CELLS * 2];
        char line[CHART_ROW_BYTES(MAX_CELLS)];
        int k = spread(d->hr_all[a], d->n_rmonths, per * d->n_rmonths, samples);
        if (k > MAX_CELLS)
            k = MAX_CELLS;
        ui_text(row, 0, 13, a == sel ? ui_attr(ds, UI_SELECTED) : (int)A_NORMAL, " %-11.11s",
                d->algo[a]);
        if (chart_sparkline(samples, (size_t)k, k, ymax, ds->glyphs, line, sizeof line) == 0)
            ui_utf8(row, 13, ui_attr(ds, UI_ACCENT), line);
        row++;
    }
    ui_text(row++, 13, w - 13, ui_attr(ds, UI_DIM), "%-*s%s",
            per * (d->n_rmonths - 1) > 8 ? per * (d->n_rmonths - 1) : 8, d->rmonth[0],
            d->rmonth[d->n_rmonths - 1]);
    if (h - (row - y) >= 8 && d->n_algos) { /* room for the selected algorithm's own chart */
        ui_text(row++, 0, w, ui_attr(ds, UI_TITLE), " %s per month, all users (a: next)",
                d->algo[sel]);
        month_chart(ds, row, w, 5, d->hr_all[sel], d->n_rmonths, ymax, d->rmonth, "");
        row += 6;
    }
    return row - y;
}

void view_insights_draw(struct dash *ds, int y, int h, int w)
{
    const struct ins_data *d = ds->inf ? insfetch_data(ds->inf) : NULL;
    int ri = pick_region(ds), row = y;
    if (!d || d->state == INS_NONE || d->state == INS_PENDING || d->state == INS_ERROR) {
        ui_text(row++, 0, w, A_BOLD, " Data & evaluation  (from %s)", ds->d->r[ri].name);
        if (d && d->state == INS_ERROR)
            ui_text(row, 0, w, ui_attr(ds, UI_DOWN), " cannot read /api/v1/insights: %s", d->msg);
        else
            ui_text(row, 0, w, ui_attr(ds, UI_DIM), " waiting for /api/v1/insights");
        return;
    }
    int both = h >= BOTH_PAGES;
    ui_text(row++, 0, w, A_BOLD, " Data & evaluation from %s  %s", ds->d->r[ri].name,
            both           ? ""
            : ds->ins_page ? "[evaluation page; e: data]"
                           : "[data page; e: evaluation]");
    if (row < y + h)
        ui_text(row++, 0, w, A_NORMAL,
                " %s data: %.0f orders, %.0f customers, %.0f products, %.0f sellers",
                d->dataset[0] ? d->dataset : "?", d->orders, d->customers, d->products, d->sellers);
    if (d->msg[0] && row < y + h) /* the last refresh failed: say so above the older data */
        ui_text(row++, 0, w, ui_attr(ds, UI_DIM), " (not refreshed: %s)", d->msg);
    if (both || !ds->ins_page)
        row += draw_data(ds, d, row, y + h - row, w);
    if (both)
        row++;
    if (both || ds->ins_page)
        draw_eval(ds, d, row, y + h - row, w);
}

int view_insights_key(struct dash *ds, int ch)
{
    switch (ch) {
    case 'e':
        ds->ins_page = !ds->ins_page;
        return 1;
    case 'a':
        ds->ins_algo++;
        return 1;
    case 'u':
        ds->ins_at = -HUGE_VAL;
        return 1;
    default:
        if (!ui_select_key(&ds->sel_region, ds->d->n_regions, ch, UI_SELECT_HORIZONTAL))
            return 0;
        ds->ins_at = -HUGE_VAL; /* another region: ask it now */
        return 1;
    }
}

int view_insights_tick(struct dash *ds)
{
    if (!ds->inf)
        return 0;
    double now = clock_monotonic();
    const struct ins_data *d = insfetch_data(ds->inf);
    /* until the first answer (the route says "being computed") ask every second */
    double period = d->state == INS_OK ? REFRESH_S : 1.0;
    if (ds->view == VIEW_INSIGHTS && now - ds->ins_at >= period) {
        ds->ins_at = now;
        insfetch_refresh(ds->inf, ds->d->r[pick_region(ds)].url);
    }
    return insfetch_step(ds->inf);
}
