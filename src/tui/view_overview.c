/* View 1: one card per region with its status word (never colour alone),
 * latency, traffic, availability, cache, model and last error. */
#include "tui/view_overview.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/fleet.h"
#include "tui/ui.h"

#define CARD_MIN_W 38
#define CARD_MIN_H 4 /* border, status word, latency, border: cards shrink to this */

/* The rows of a card left below the text (row+1..last): a p99 chart with a
 * labelled axis when there are 4 or more, else a one-row sparkline. */
static void draw_card_chart(struct dash *ds, const struct region_view *r, int row, int last, int cx,
                            int cw)
{
    int spare = last - row, lw = 9, chw = cw - lw - 1;
    if (spare < 1 || chw < 4 || chw > 200)
        return;
    double v[SERIES_CAP];
    if (spare >= 4) {
        int chh = spare - 1 > 12 ? 12 : spare - 1;
        int spc = chart_samples_per_cell(ds->glyphs);
        size_t n = series_last(&r->p99_hist, v, (size_t)(chw * spc));
        double ymax = chart_nice_max(series_max(&r->p99_hist, (size_t)(chw * spc)));
        static char rows[12][CHART_ROW_BYTES(200)];
        if (chart_render(v, n, chw, chh, ymax, ds->glyphs, &rows[0][0], sizeof rows[0]) < 0)
            return;
        int top = last - chh + 1;
        char win[24];
        ui_window_label(r, win, sizeof win);
        ui_text(top - 1, cx, cw, ui_attr(ds, UI_DIM), "p99 (%s) over the last %.0f s", win,
                chw * spc * ds->d->interval_s);
        for (int k = 0; k < chh; k++) {
            char lab[24];
            chart_y_label(ymax, k, chh, "ms", lab, sizeof lab);
            ui_text(top + k, cx, lw, ui_attr(ds, UI_DIM), "%8s|", lab);
            ui_utf8(top + k, cx + lw, ui_attr(ds, UI_ACCENT), rows[k]);
        }
        return;
    }
    char spark[CHART_ROW_BYTES(200)];
    size_t n = series_last(&r->p99_hist, v, (size_t)chw);
    if (chart_sparkline(v, n, chw, chart_nice_max(series_max(&r->p99_hist, (size_t)chw)),
                        ds->glyphs, spark, sizeof spark) == 0) {
        ui_text(last, cx, lw, ui_attr(ds, UI_DIM), "p99 hist");
        ui_utf8(last, cx + lw, ui_attr(ds, UI_ACCENT), spark);
    }
}

/* One text line of a card below the status row. Cards too short for all of
 * them keep the most important (lowest prio), still in this order. */
struct card_line {
    int prio, attr;
    char text[256];
};

#define CARD_LINES 11

static struct card_line *card_line(struct card_line *l, int *n, int prio, int attr)
{
    struct card_line *c = &l[(*n)++];
    c->prio = prio;
    c->attr = attr;
    c->text[0] = '\0';
    return c;
}

/* The lines under the status row, most important first by prio: latency,
 * the model (and whether its version differs from the fleet's), the host,
 * an error, where the model came from, then traffic, lifetime and cache. */
static int card_lines(struct dash *ds, const struct region_view *r, int cw, struct card_line *l)
{
    enum region_status st = r->fsm.status;
    int n = 0;
    char a[32], b[32], c[32], win[24];
    /* "now" figures say what they cover; the lifetime ones are on their own line */
    ui_window_label(r, win, sizeof win);
    chart_fmt_ms(st == REGION_DOWN ? NAN : r->p99, a, sizeof a);
    chart_fmt_ms(st == REGION_DOWN ? NAN : r->p50, b, sizeof b);
    snprintf(card_line(l, &n, 1, A_NORMAL)->text, 256, "%s: p99 %s p50 %s", win, a, b);
    chart_fmt_num(st == REGION_DOWN ? NAN : r->rps, a, sizeof a);
    snprintf(card_line(l, &n, 6, A_NORMAL)->text, 256, "%s: %s req/s", win, a);
    chart_fmt_ms(st == REGION_DOWN ? NAN : r->life_p99, a, sizeof a);
    chart_fmt_num((double)r->req_total, b, sizeof b);
    chart_fmt_num((double)r->req_errors, c, sizeof c);
    snprintf(card_line(l, &n, 7, A_NORMAL)->text, 256, "lifetime: p99 %s %s req %s err", a, b, c);
    struct card_line *cl = card_line(l, &n, 8, A_NORMAL);
    if (isfinite(r->hit_ratio))
        snprintf(cl->text, 256, "cache hit %.1f%%  (%ld entries)", 100 * r->hit_ratio,
                 r->cache_size);
    else
        snprintf(cl->text, 256, "cache hit -");
    const char *algo = r->algorithm[0] ? r->algorithm : "?";
    const char *mst = r->model_status[0] ? r->model_status : "?";
    if (!r->have_health)
        snprintf(card_line(l, &n, 2, A_NORMAL)->text, 256, "model -");
    else if (r->version_odd) { /* in words, not colour alone; the status only when it fits */
        struct card_line *ml = card_line(l, &n, 2, ui_attr(ds, UI_DEGRADED) | A_BOLD);
        if (snprintf(ml->text, 256, "model v%d DIFFERS (fleet v%d) %s (%s)", r->model_version,
                     ds->d->fleet_version, algo, mst) > cw)
            snprintf(ml->text, 256, "model v%d DIFFERS (fleet v%d) %s", r->model_version,
                     ds->d->fleet_version, algo);
    } else
        snprintf(card_line(l, &n, 2, A_NORMAL)->text, 256, "model v%d %s (%s)", r->model_version,
                 algo, mst);
    char src[200];
    fleet_tail(r->model_source[0] ? r->model_source : "-", cw - 5, src, sizeof src);
    snprintf(card_line(l, &n, 5, A_NORMAL)->text, 256, "from %s", r->have_health ? src : "-");
    chart_fmt_duration(st == REGION_DOWN ? NAN : r->uptime_s, a, sizeof a);
    chart_fmt_ms(r->rtt_ms, b, sizeof b);
    struct card_line *hl = card_line(l, &n, 3, A_NORMAL);
    int hw = snprintf(hl->text, 256, "host %s  up %s  rtt %s", r->host[0] ? r->host : "-", a, b);
    int uw = hw + 2 + (int)strlen(r->url + 7);
    if (hw > 0 && uw <= cw && uw < 256) /* the address only when it fits */
        snprintf(hl->text + hw, 256 - (size_t)hw, "  %s", r->url + 7);
    if (r->last_error[0]) {
        char when[16];
        strftime(when, sizeof when, "%H:%M:%S", localtime(&r->last_error_at));
        snprintf(card_line(l, &n, 3, ui_attr(ds, UI_DOWN))->text, 256, "last error %s %s", when,
                 r->last_error);
    } else {
        snprintf(card_line(l, &n, 6, ui_attr(ds, UI_DIM))->text, 256, "last error: none");
    }
    if (r->model_warning[0]) { /* why the region is DEGRADED: a second line when it is long */
        int ww = cw > 9 ? cw - 9 : 1, wl = (int)strlen(r->model_warning);
        snprintf(card_line(l, &n, 2, ui_attr(ds, UI_DEGRADED))->text, 256, "warning: %.*s", ww,
                 r->model_warning);
        const char *rest = r->model_warning + (wl > ww ? ww : wl);
        rest += strspn(rest, " ");
        if (*rest)
            snprintf(card_line(l, &n, 4, ui_attr(ds, UI_DEGRADED))->text, 256, "         %s", rest);
    }
    return n;
}

/* Marks the `room` lines of l[0..n) to show: the lowest prio first, ties
 * in display order. */
static void card_pick(const struct card_line *l, int n, int room, int *show)
{
    for (int i = 0; i < n; i++)
        show[i] = 0;
    for (int prio = 0; room > 0 && prio <= 9; prio++)
        for (int i = 0; i < n && room > 0; i++)
            if (l[i].prio == prio) {
                show[i] = 1;
                room--;
            }
}

static void draw_card(struct dash *ds, int i, int y, int x, int h, int w)
{
    const struct region_view *r = &ds->d->r[i];
    enum region_status st = r->fsm.status;
    int sel = i == ds->sel_region;
    char title[96];
    snprintf(title, sizeof title, "%s%s%s%s", sel ? "> " : "", r->name, r->location[0] ? " - " : "",
             r->location);
    ui_box(y, x, h, w, sel ? ui_attr(ds, UI_TITLE) : ui_attr(ds, UI_DIM), title);
    int cw = w - 4, cx = x + 2, row = y + 1, last = y + h - 2;
    /* Status word in its colour, plus a shape that reads without colour. */
    const char *word = poller_status_word(st);
    const char *mark = st == REGION_UP         ? "[+]"
                       : st == REGION_DOWN     ? "[x]"
                       : st == REGION_DEGRADED ? "[!]"
                                               : "[?]";
    ui_text(row, cx, cw, ui_attr(ds, ui_status_role(st)) | A_BOLD, "%s %s", mark, word);
    double avail = r->fsm.checks ? 100.0 * (double)r->fsm.ok_checks / (double)r->fsm.checks : NAN;
    int sx = cx + 14;
    if (isfinite(avail))
        ui_text(row, sx, cw - 14, A_NORMAL,
                cw >= 46 ? "uptime %.1f%% (%ld checks)" : "uptime %.1f%%", avail, r->fsm.checks);
    else
        ui_text(row, sx, cw - 14, ui_attr(ds, UI_DIM), "waiting for the first check");
    struct card_line l[CARD_LINES];
    int show[CARD_LINES], n = card_lines(ds, r, cw, l);
    card_pick(l, n, last - row, show);
    for (int k = 0; k < n; k++)
        if (show[k])
            ui_text(++row, cx, cw, l[k].attr, "%s", l[k].text);
    draw_card_chart(ds, r, row, last, cx, cw);
}

/* Cards share the height; with many regions they shrink (showing fewer
 * lines) and, when even the smallest do not fit, the grid scrolls by card
 * rows to keep the selected region on screen while the last line names the
 * regions off screen with their status, so none is ever hidden. */
void view_overview_draw(struct dash *ds, int y, int h, int w)
{
    struct chart_rect rc[REGIONS_MAX];
    const struct tui_data *d = ds->d;
    int n = d->n_regions;
    int cols = chart_layout_cards(w, h, n, CARD_MIN_W, CARD_MIN_H, rc);
    if (cols < 1)
        return;
    int rows = (n + cols - 1) / cols, ch = rc[0].h;
    int fit = rows * ch <= h ? rows : (h - 1) / ch;
    if (fit < 1)
        fit = 1;
    int sel_row = ds->sel_region / cols;
    if (sel_row < ds->ov_top)
        ds->ov_top = sel_row;
    if (sel_row >= ds->ov_top + fit)
        ds->ov_top = sel_row - fit + 1;
    if (ds->ov_top > rows - fit)
        ds->ov_top = rows - fit;
    char off[256] = "";
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        int r = i / cols;
        if (r >= ds->ov_top && r < ds->ov_top + fit) {
            draw_card(ds, i, y + rc[i].y - ds->ov_top * ch, rc[i].x, rc[i].h, rc[i].w);
        } else if (used < sizeof off) {
            used += (size_t)snprintf(off + used, sizeof off - used, "%s%s %s", used ? ", " : "",
                                     d->r[i].name, poller_status_word(d->r[i].fsm.status));
        }
    }
    if (fit < rows)
        ui_text(y + h - 1, 0, w, ui_attr(ds, UI_DIM), " off screen (<-/-> scroll): %s", off);
}

/* Region selection; the fault keys (s, r) belong to the dashboard, which
 * holds the hooks that stop and start servers. */
int view_overview_key(struct dash *ds, int ch)
{
    return ui_select_key(&ds->sel_region, ds->d->n_regions, ch,
                         UI_SELECT_HORIZONTAL | UI_SELECT_VERTICAL);
}
