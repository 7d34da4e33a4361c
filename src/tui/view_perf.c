/* View 2: per-region latency charts over the last minutes (braille, block or
 * ASCII, labelled axes in ms), then a comparison table with each region's
 * latency bar, requests/s sparkline and availability strip. */
#include "tui/view_perf.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/ui.h"

#define LABEL_W 9 /* "250.0 ms " */
#define ROW_MAX 512

static const char *metric_names[PERF_METRICS] = {"p99 latency", "p50 latency", "probe round trip"};

static const struct series *metric_series(const struct region_view *r, enum perf_metric m)
{
    return m == PERF_P50 ? &r->p50_hist : m == PERF_RTT ? &r->rtt_hist : &r->p99_hist;
}

static void draw_chart(struct dash *ds, int i, int y, int x, int h, int w)
{
    const struct region_view *r = &ds->d->r[i];
    int cw = w - LABEL_W - 2, chh = h - 2;
    if (cw < 4 || chh < 1 || cw > 200)
        return;
    int spc = chart_samples_per_cell(ds->glyphs);
    size_t want = (size_t)cw * (size_t)spc;
    double v[SERIES_CAP];
    const struct series *s = metric_series(r, ds->metric);
    size_t n = series_last(s, v, want);
    double ymax = chart_nice_max(series_max(s, want));
    char now[32], win[24];
    chart_fmt_ms(series_latest(s), now, sizeof now);
    if (ds->metric == PERF_RTT)
        snprintf(win, sizeof win, "last probe");
    else
        ui_window_label(r, win, sizeof win);
    int sel = i == ds->sel_region;
    const char *word = poller_status_word(r->fsm.status);
    int wl = (int)strlen(word) + 1;
    ui_text(y, x, wl, ui_attr(ds, ui_status_role(r->fsm.status)), "%s", word);
    ui_text(y, x + wl, w - wl - 1, sel ? ui_attr(ds, UI_TITLE) : (int)A_BOLD, "%s%s %s, %s: %s",
            sel ? ">" : "", r->name, metric_names[ds->metric], win, now);
    static char rows[64][CHART_ROW_BYTES(200)];
    if (chh > 64)
        chh = 64;
    if (chart_render(v, n, cw, chh, ymax, ds->glyphs, &rows[0][0], sizeof rows[0]) < 0)
        return;
    for (int k = 0; k < chh; k++) {
        char lab[24];
        chart_y_label(ymax, k, chh, "ms", lab, sizeof lab);
        ui_text(y + 1 + k, x, LABEL_W, ui_attr(ds, UI_DIM), "%8s", lab);
        ui_text(y + 1 + k, x + LABEL_W, 1, ui_attr(ds, UI_DIM), "|");
        ui_utf8(y + 1 + k, x + LABEL_W + 1, ui_attr(ds, UI_ACCENT), rows[k]);
    }
    char axis[ROW_MAX];
    chart_x_axis(cw, spc, ds->d->interval_s, axis, sizeof axis);
    ui_text(y + 1 + chh, x + LABEL_W + 1, cw, ui_attr(ds, UI_DIM), "%s", axis);
}

/* Comparison table: name, p50, p99, a bar of p99 against the slowest region,
 * requests/s sparkline and availability strip (both over the last minutes). */
static void draw_compare(struct dash *ds, int y, int h, int w)
{
    const struct tui_data *d = ds->d;
    int fixed = 10 + 10 + 10;
    int rest = w - fixed - 2 - 8 - 8;
    if (rest < 12)
        rest = 12;
    int bar_w = rest / 3, spark_w = rest / 3, avail_w = rest - bar_w - spark_w;
    if (spark_w > 200 || avail_w > 200)
        spark_w = avail_w = 200;
    double worst = 0;
    for (int i = 0; i < d->n_regions; i++)
        if (d->r[i].fsm.status != REGION_DOWN && isfinite(d->r[i].p99) && d->r[i].p99 > worst)
            worst = d->r[i].p99;
    worst = chart_nice_max(worst);
    char wl[24];
    chart_fmt_ms(worst, wl, sizeof wl);
    char barh[48];
    snprintf(barh, sizeof barh, "p99 0..%s", wl);
    /* the columns are the regions' "now" figures: say over what (the first region's window) */
    char win[24], p50h[32], p99h[32];
    ui_window_label(&d->r[0], win, sizeof win);
    snprintf(p50h, sizeof p50h, "p50 %s", strncmp(win, "last ", 5) ? "life" : win + 5);
    snprintf(p99h, sizeof p99h, "p99 %s", strncmp(win, "last ", 5) ? "life" : win + 5);
    ui_text(y, 0, w, A_BOLD, " %-9s %-9s %-9s %-*.*s %-*.*s %-.*s", "region", p50h, p99h, bar_w,
            bar_w, barh, spark_w + 7, spark_w + 7, "requests/s", avail_w + 7,
            "availability, x = down");
    for (int i = 0; i < d->n_regions && i + 1 < h; i++) {
        const struct region_view *r = &d->r[i];
        int row = y + 1 + i, down = r->fsm.status == REGION_DOWN;
        char a[24], b[24], c[24];
        chart_fmt_ms(down ? NAN : r->p50, a, sizeof a);
        chart_fmt_ms(down ? NAN : r->p99, b, sizeof b);
        ui_text(row, 0, w, ui_attr(ds, ui_status_role(r->fsm.status)), " %-9.9s", r->name);
        ui_text(row, 11, w - 11, A_NORMAL, "%-9s %-9s", a, b);
        int x = 31;
        int filled = down || !isfinite(r->p99) ? 0 : (int)lround(r->p99 / worst * bar_w);
        if (filled > bar_w)
            filled = bar_w;
        attron(ui_attr(ds, UI_ACCENT));
        for (int k = 0; k < bar_w; k++)
            mvaddch(row, x + k, k < filled ? (ds->glyphs == CHART_ASCII ? '=' : ACS_CKBOARD) : ' ');
        attroff(ui_attr(ds, UI_ACCENT));
        x += bar_w + 1;
        double v[SERIES_CAP];
        char line[CHART_ROW_BYTES(200)];
        size_t n = series_last(&r->rps_hist, v, (size_t)spark_w);
        if (spark_w > 0 &&
            chart_sparkline(v, n, spark_w,
                            chart_nice_max(series_max(&r->rps_hist, (size_t)spark_w)), ds->glyphs,
                            line, sizeof line) == 0)
            ui_utf8(row, x, ui_attr(ds, UI_ACCENT), line);
        chart_fmt_num(down ? NAN : r->rps, c, sizeof c);
        ui_text(row, x + spark_w + 1, 7, A_NORMAL, "%s", c);
        x += spark_w + 8;
        int st[SERIES_CAP];
        n = series_last(&r->status_hist, v, (size_t)avail_w);
        for (size_t k = 0; k < n; k++)
            st[k] = (int)v[k];
        if (avail_w > 0 && chart_status_strip(st, n, avail_w, ds->glyphs, line, sizeof line) == 0)
            ui_utf8(row, x, ui_attr(ds, ui_status_role(r->fsm.status)), line);
        double avail =
            r->fsm.checks ? 100.0 * (double)r->fsm.ok_checks / (double)r->fsm.checks : NAN;
        if (isfinite(avail))
            ui_text(row, x + avail_w + 1, 7, A_NORMAL, "%.1f%%", avail);
    }
}

void view_perf_draw(struct dash *ds, int y, int h, int w)
{
    int n = ds->d->n_regions;
    int table_h = n + 2;
    int charts_h = h - table_h;
    struct chart_rect rc[REGIONS_MAX];
    if (charts_h >= 4) {
        chart_layout_cards(w, charts_h, n, 38, 4, rc);
        for (int i = 0; i < n; i++)
            if (rc[i].y + rc[i].h <= charts_h)
                draw_chart(ds, i, y + rc[i].y, rc[i].x, rc[i].h, rc[i].w);
    }
    draw_compare(ds, y + (charts_h > 0 ? charts_h : 0), table_h, w);
}

int view_perf_key(struct dash *ds, int ch)
{
    switch (ch) {
    case 'm':
        ds->metric = (ds->metric + 1) % PERF_METRICS;
        return 1;
    case 'g':
        ds->glyphs = ds->glyphs == CHART_BRAILLE ? CHART_BLOCK
                     : ds->glyphs == CHART_BLOCK ? CHART_ASCII
                                                 : CHART_BRAILLE;
        ui_flash(ds, "chart glyphs: %s",
                 ds->glyphs == CHART_BRAILLE ? "braille"
                 : ds->glyphs == CHART_BLOCK ? "blocks"
                                             : "ASCII");
        return 1;
    }
    return ui_select_key(&ds->sel_region, ds->d->n_regions, ch,
                         UI_SELECT_HORIZONTAL | UI_SELECT_VERTICAL);
}
