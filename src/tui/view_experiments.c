/* View 5: A/B experiments (see view_experiments.h). */
#include "tui/view_experiments.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/expfetch.h"
#include "tui/ui.h"
#include "util/clock.h"

#define CONFIRM_S 5.0 /* a second press within this long confirms stop / promote */

void view_experiments_bar(char *out, int w, double value, double low, double high, double max)
{
    if (w < 1) {
        out[0] = '\0';
        return;
    }
    memset(out, '-', (size_t)w);
    out[w] = '\0';
    if (!isfinite(value) || !isfinite(low) || !isfinite(high) || !(max > 0))
        return;
    int a = (int)floor(low / max * (w - 1) + 0.5), b = (int)floor(high / max * (w - 1) + 0.5);
    int v = (int)floor(value / max * (w - 1) + 0.5);
    for (int i = a < 0 ? 0 : a; i <= b && i < w; i++)
        out[i] = '=';
    if (v >= 0 && v < w)
        out[v] = '|';
}

/* The region the view asks: the first UP (or DEGRADED) one, else the first. */
static int pick_region(const struct dash *ds)
{
    for (int i = 0; i < ds->d->n_regions; i++)
        if (ds->d->r[i].fsm.status == REGION_UP || ds->d->r[i].fsm.status == REGION_DEGRADED)
            return i;
    return 0;
}

static void pct(char *out, size_t n, double v)
{
    if (isfinite(v))
        snprintf(out, n, "%5.1f%%", 100 * v);
    else
        snprintf(out, n, "    - ");
}

/* One rate line: label, value, interval and its bar on the common scale. */
static void rate_line(struct dash *ds, int row, int w, const char *label, const struct xf_rate *r,
                      double max)
{
    char v[16], lo[16], hi[16], bar[128];
    pct(v, sizeof v, r->value);
    pct(lo, sizeof lo, r->low);
    pct(hi, sizeof hi, r->high);
    int bw = w - 40;
    if (bw > (int)sizeof bar - 1)
        bw = (int)sizeof bar - 1;
    ui_text(row, 0, w, A_NORMAL, "   %-5s %s  [%s ..%s]", label, v, lo, hi);
    if (bw >= 8) {
        view_experiments_bar(bar, bw, r->value, r->low, r->high, max);
        ui_text(row, 38, bw + 2, ui_attr(ds, UI_ACCENT), " %s", bar);
    }
}

static void pvalue(char *out, size_t n, double p)
{
    if (isfinite(p))
        snprintf(out, n, "%.4f%s", p, p < 0.05 ? "*" : "");
    else
        snprintf(out, n, "-");
}

/* The selected experiment's variants; returns rows used. */
static int draw_detail(struct dash *ds, const struct xf_experiment *e, int y, int h, int w)
{
    int row = y;
    double max = 0;
    for (int i = 0; i < e->n; i++) {
        if (isfinite(e->v[i].ctr.high) && e->v[i].ctr.high > max)
            max = e->v[i].ctr.high;
        if (isfinite(e->v[i].conv.high) && e->v[i].conv.high > max)
            max = e->v[i].conv.high;
    }
    ui_text(row++, 0, w, A_BOLD, " %-12s %4s %5s %8s %7s %7s %7s", "variant", "ver", "share",
            "lists", "users", "clicks", "buys");
    for (int i = 0; i < e->n && row + 2 < y + h; i++) {
        const struct xf_variant *v = &e->v[i];
        int lead = !strcmp(v->name, e->leader);
        ui_text(row++, 0, w, lead ? ui_attr(ds, UI_UP) : (int)A_NORMAL,
                " %-12.12s v%-3ld %4d%% %8ld %7ld %7ld %7ld%s", v->name, v->version, v->share,
                v->impressions, v->users, v->clicks, v->purchases, lead ? "  leader" : "");
        rate_line(ds, row++, w, "ctr", &v->ctr, max);
        rate_line(ds, row++, w, "conv", &v->conv, max);
    }
    char a[48], b[48];
    pvalue(a, sizeof a, e->p_ctr);
    pvalue(b, sizeof b, e->p_conv);
    if (row < y + h && e->n >= 2)
        ui_text(row++, 0, w, A_NORMAL, " p-value %s vs %s:  ctr %s  conv %s  (* below 0.05)",
                e->v[1].name, e->v[0].name, a, b);
    if (row < y + h)
        ui_text(row++, 0, w, ui_attr(ds, UI_DIM),
                " bars: 0..%.1f%%, '=' 95%% Wilson interval, '|' value", 100 * max);
    return row - y;
}

void view_experiments_draw(struct dash *ds, int y, int h, int w)
{
    const struct xf_data *d = ds->xf ? expfetch_data(ds->xf) : NULL;
    int row = y, ri = pick_region(ds);
    ui_text(row++, 0, w, A_BOLD, " A/B experiments  (from %s)", ds->d->r[ri].name);
    if (!d || d->state == XF_NONE || d->state == XF_PENDING) {
        ui_text(row, 0, w, ui_attr(ds, UI_DIM), " waiting for /api/v1/experiments");
        return;
    }
    if (d->state == XF_ERROR) {
        ui_text(row, 0, w, ui_attr(ds, UI_DOWN), " cannot list experiments: %s", d->msg);
        return;
    }
    if (d->n == 0) {
        ui_text(row, 0, w, ui_attr(ds, UI_DIM),
                " no experiment yet: POST /api/v1/experiments (docs/API.md)");
        return;
    }
    if (ds->sel_exp >= d->n)
        ds->sel_exp = d->n - 1;
    int list_rows = d->n < 4 ? d->n : 4, first = ds->sel_exp >= list_rows ? ds->sel_exp - 3 : 0;
    for (int i = first; i < d->n && i < first + list_rows; i++) {
        const struct xf_experiment *e = &d->e[i];
        int attr = i == ds->sel_exp ? ui_attr(ds, UI_SELECTED) : (int)A_NORMAL;
        ui_text(row++, 0, w, attr, " %c %-22.22s %-7s %3d%% of users  %.16s%s%s",
                i == ds->sel_exp ? '>' : ' ', e->name, e->status, e->traffic, e->created_at,
                e->promoted[0] ? "  promoted " : "", e->promoted);
    }
    row++;
    draw_detail(ds, &d->e[ds->sel_exp], row, y + h - row, w);
}

int view_experiments_key(struct dash *ds, int ch)
{
    const struct xf_data *d = ds->xf ? expfetch_data(ds->xf) : NULL;
    if (!d)
        return 0;
    if (ch == KEY_UP || ch == 'k' || ch == KEY_DOWN || ch == 'j') {
        int n = d->state == XF_OK ? d->n : 0;
        return ui_select_key(&ds->sel_exp, n, ch, UI_SELECT_VERTICAL);
    }
    if (ch == 'u') {
        ds->exp_at = -HUGE_VAL;
        return 1;
    }
    if (ch != 's' && ch != 'P')
        return 0;
    if (d->state != XF_OK || d->n == 0 || ds->sel_exp >= d->n) {
        ui_flash(ds, "no experiment selected");
        return 1;
    }
    const struct xf_experiment *e = &d->e[ds->sel_exp];
    const char *action = ch == 's' ? "stop" : "promote";
    if (strcmp(e->status, "running")) {
        ui_flash(ds, "%s is not running", e->name);
        return 1;
    }
    double now = clock_monotonic();
    if (ds->exp_confirm != ch || now - ds->exp_confirm_at > CONFIRM_S) {
        ds->exp_confirm = ch;
        ds->exp_confirm_at = now;
        if (ch == 's')
            ui_flash(ds, "press s again to stop %s", e->name);
        else
            ui_flash(ds, "press P again to promote %s's leader %s (activates v%ld)", e->name,
                     e->leader, e->v[0].version);
        for (int i = 0; i < e->n && ch == 'P'; i++)
            if (!strcmp(e->v[i].name, e->leader))
                ui_flash(ds, "press P again to promote %s's leader %s (activates v%ld)", e->name,
                         e->leader, e->v[i].version);
        return 1;
    }
    ds->exp_confirm = 0;
    const char *url = ds->d->r[pick_region(ds)].url;
    if (expfetch_post(ds->xf, url, e->name, action, ch == 'P' ? e->leader : NULL) < 0)
        ui_flash(ds, "a request is already on its way");
    else
        ui_flash(ds, "%s %s: sent", action, e->name);
    return 1;
}

int view_experiments_tick(struct dash *ds)
{
    if (!ds->xf)
        return 0;
    double now = clock_monotonic();
    if (ds->view == VIEW_EXPERIMENTS && now - ds->exp_at >= ds->d->interval_s) {
        ds->exp_at = now;
        expfetch_refresh(ds->xf, ds->d->r[pick_region(ds)].url);
    }
    int changed = expfetch_step(ds->xf);
    const struct xf_data *d = expfetch_data(ds->xf);
    if (d->post_msg[0]) {
        ui_flash(ds, "%s", d->post_msg);
        expfetch_post_seen(ds->xf);
        ds->exp_at = -HUGE_VAL; /* show what it changed */
        changed = 1;
    }
    return changed;
}
