/* View 4: model statistics, cache and uptime per region, the database, and
 * the model versions with keys to activate one or roll back (POST through
 * the API, so every region reloads). */
#include "tui/view_system.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tui/ui.h"

/* The region whose stats are shown: the selected one if it has them. */
static int stats_region(const struct dash *ds)
{
    const struct tui_data *d = ds->d;
    if (d->r[ds->sel_region].have_stats)
        return ds->sel_region;
    for (int i = 0; i < d->n_regions; i++)
        if (d->r[i].have_stats)
            return i;
    return -1;
}

static int draw_model(struct dash *ds, int y, int h, int w)
{
    int ri = stats_region(ds), row = y, half = w / 2;
    if (ri < 0) {
        ui_text(row++, 0, w, ui_attr(ds, UI_DIM),
                " model statistics: waiting for /api/v1/recommendations/stats");
        return row - y;
    }
    const struct model_stats *m = &ds->d->r[ri].stats;
    char a[32], b[32];
    ui_text(row++, 0, w, A_BOLD, " Model (as %s reports it)", ds->d->r[ri].name);
    ui_text(row, 1, half - 1, A_NORMAL, "algorithm    %s", m->algorithm[0] ? m->algorithm : "-");
    ui_text(row++, half, w - half, A_NORMAL, "version   v%d  fallback %s", m->version,
            m->fallback[0] ? m->fallback : "-");
    chart_fmt_num((double)m->users, a, sizeof a);
    chart_fmt_num((double)m->products, b, sizeof b);
    ui_text(row, 1, half - 1, A_NORMAL, "users        %s (%ld)", a, m->users);
    ui_text(row++, half, w - half, A_NORMAL, "products  %s (%ld)", b, m->products);
    chart_fmt_num((double)m->interactions, a, sizeof a);
    ui_text(row, 1, half - 1, A_NORMAL, "interactions %s (%ld)", a, m->interactions);
    if (isfinite(m->sparsity))
        ui_text(row++, half, w - half, A_NORMAL, "sparsity  %.5f%%", 100 * m->sparsity);
    else
        ui_text(row++, half, w - half, A_NORMAL, "sparsity  -");
    ui_text(row, 1, half - 1, A_NORMAL, "trained in   %.2f s",
            isfinite(m->train_seconds) ? m->train_seconds : 0);
    ui_text(row++, half, w - half, A_NORMAL, "cutoff    %.19s", m->cutoff[0] ? m->cutoff : "-");
    /* The metrics line wraps once on narrow screens. */
    int mw = w - 14, ml = (int)strlen(m->metrics);
    if (row < y + h)
        ui_text(row++, 1, w - 1, A_NORMAL, "metrics      %.*s", mw > 0 ? mw : 0,
                m->metrics[0] ? m->metrics : "-");
    if (mw > 0 && ml > mw && row < y + h)
        ui_text(row++, 14, mw, A_NORMAL, "%s", m->metrics + mw);
    if (row < y + h && m->params[0])
        ui_text(row++, 1, w - 1, ui_attr(ds, UI_DIM), "params       %s", m->params);
    return row - y;
}

static int draw_db(struct dash *ds, int y, int w)
{
    const struct tui_data *d = ds->d;
    const char *path = ds->db_path;
    int ok = 1;
    for (int i = 0; i < d->n_regions && (!path || !path[0]); i++)
        if (d->r[i].have_health && d->r[i].db_path[0])
            path = d->r[i].db_path, ok = d->r[i].db_ok;
    struct stat st;
    char size[32] = "size unknown (remote?)";
    if (path && stat(path, &st) == 0)
        snprintf(size, sizeof size, "%.1f MiB", (double)st.st_size / (1024.0 * 1024.0));
    ui_text(y, 0, w, A_NORMAL, " Database     %s  %s%s", path && path[0] ? path : "-", size,
            ok ? "" : "  (region reports it UNREACHABLE)");
    return 1;
}

/* Feedback events and scheduled retraining of the selected region (or the
 * first that reported health): two lines. */
static int draw_online(struct dash *ds, int y, int w)
{
    const struct tui_data *d = ds->d;
    int ri = d->r[ds->sel_region].have_health ? ds->sel_region : -1;
    for (int i = 0; i < d->n_regions && ri < 0; i++)
        if (d->r[i].have_health)
            ri = i;
    if (ri < 0)
        return 0;
    const struct region_view *r = &d->r[ri];
    char rate[24], every[24], next[24];
    snprintf(rate, sizeof rate, isfinite(r->events_rate) ? "%.1f/s" : "-/s", r->events_rate);
    if (r->events_on)
        ui_text(y, 0, w, A_NORMAL, " Events       %s  queue %ld/%ld  stored %ld  (%s)", rate,
                r->events_queued, r->events_capacity, r->events_stored, r->name);
    else
        ui_text(y, 0, w, ui_attr(ds, UI_DIM), " Events       off (%s)", r->name);
    if (!r->retrain_on) {
        ui_text(y + 1, 0, w, ui_attr(ds, UI_DIM), " Retraining   off (regions.conf retrain_every)");
        return 2;
    }
    chart_fmt_duration(r->retrain_every_s, every, sizeof every);
    chart_fmt_duration(r->retrain_next_s, next, sizeof next);
    ui_text(y + 1, 0, w, A_NORMAL, " Retraining   every %s, %s%s; last: %s", every,
            r->retrain_running ? "running now" : "next in ", r->retrain_running ? "" : next,
            r->retrain_last[0] ? r->retrain_last : "none yet");
    return 2;
}

static int draw_regions(struct dash *ds, int y, int h, int w)
{
    const struct tui_data *d = ds->d;
    ui_text(y, 0, w, A_BOLD, " %-9s %-9s %-8s %7s %7s %7s %6s %8s %6s %-5s %s", "region", "status",
            "uptime", "cache", "hits", "misses", "hit %", "requests", "errors", "model",
            "host, model from");
    int row = y + 1;
    for (int i = 0; i < d->n_regions && row < y + h; i++, row++) {
        const struct region_view *r = &d->r[i];
        char up[24], hr[16];
        chart_fmt_duration(r->fsm.status == REGION_DOWN ? NAN : r->uptime_s, up, sizeof up);
        snprintf(hr, sizeof hr, isfinite(r->hit_ratio) ? "%.1f" : "-", 100 * r->hit_ratio);
        ui_text(row, 0, 11, A_NORMAL, " %-9.9s", r->name);
        ui_text(row, 11, 9, ui_attr(ds, ui_status_role(r->fsm.status)), "%-9s",
                poller_status_word(r->fsm.status));
        ui_text(row, 21, w - 21, A_NORMAL, "%-8s %7ld %7ld %7ld %6s %8ld %6ld", up, r->cache_size,
                r->cache_hits, r->cache_misses, hr, r->req_total, r->req_errors);
        /* the version, flagged in words when it is not the fleet's, then where it came from */
        char ver[24];
        snprintf(ver, sizeof ver, "v%d%s", r->model_version, r->version_odd ? " DIFFERS" : "");
        int vx = 21 + 55 + 1; /* after the 55 columns above, as in the header */
        ui_text(row, vx, w - vx, r->version_odd ? ui_attr(ds, UI_DEGRADED) | A_BOLD : A_NORMAL,
                "%-5s", ver);
        int hx = vx + (int)(strlen(ver) > 5 ? strlen(ver) : 5) + 1;
        ui_text(row, hx, w - hx, ui_attr(ds, UI_DIM), "%s %s", r->host[0] ? r->host : "-",
                r->model_source[0] ? r->model_source : "-");
    }
    return row - y;
}

static void draw_models(struct dash *ds, int y, int h, int w)
{
    const struct tui_data *d = ds->d;
    ui_text(y, 0, w, A_BOLD,
            " Model versions (Up/Down select, a activate, b roll back, u refresh)");
    if (d->models_msg[0] && h > 1)
        ui_text(y + 1, 0, w, ui_attr(ds, UI_ACCENT), " %s", d->models_msg);
    int row = y + 2;
    if (d->models_state != LOOKUP_OK) {
        ui_text(row, 0, w, ui_attr(ds, UI_DIM), " %s",
                d->models_state == LOOKUP_ERROR ? "could not list the models" : "loading...");
        return;
    }
    if (ds->sel_model >= d->n_models)
        ds->sel_model = d->n_models ? d->n_models - 1 : 0;
    ui_text(row++, 0, w, A_BOLD, "   %-5s %-10s %-20s %-20s %-8s %s", "ver", "algorithm", "cutoff",
            "created", "size", "metrics");
    int first = ds->sel_model - (y + h - row) + 1;
    if (first < 0)
        first = 0;
    for (int k = first; k < d->n_models && row < y + h; k++, row++) {
        const struct model_entry *m = &d->models[k];
        char size[16];
        chart_fmt_num((double)m->size, size, sizeof size);
        int attr = k == ds->sel_model ? ui_attr(ds, UI_SELECTED) : (int)A_NORMAL;
        ui_text(row, 0, w, attr, " %s v%-4d %-10.10s %-20.19s %-20.19s %-8s %s",
                m->active ? "*" : " ", m->version, m->algorithm, m->cutoff, m->created_at, size,
                m->metrics);
    }
}

void view_system_draw(struct dash *ds, int y, int h, int w)
{
    int row = y, end = y + h, n = ds->d->n_regions;
    /* Too short for every block with three model versions below (80x24): the
     * blank separators go and the model statistics give up their params line. */
    int tight = h < 8 + 1 + 2 + 1 + (n + 1) + 1 + 6;
    row += draw_model(ds, row, tight ? 7 : 9, w);
    row += draw_db(ds, row, w);
    row += draw_online(ds, row, w);
    row += !tight;
    row += draw_regions(ds, row, n + 1, w) + !tight;
    if (end - row >= 3)
        draw_models(ds, row, end - row, w);
}

int view_system_key(struct dash *ds, int ch)
{
    struct tui_data *d = ds->d;
    switch (ch) {
    case KEY_UP:
    case 'k':
        if (ds->sel_model > 0)
            ds->sel_model--;
        return 1;
    case KEY_DOWN:
    case 'j':
        if (ds->sel_model + 1 < d->n_models)
            ds->sel_model++;
        return 1;
    case 'a':
        if (d->models_state == LOOKUP_OK && ds->sel_model < d->n_models)
            poller_model_activate(ds->p, d->models[ds->sel_model].version);
        return 1;
    case 'b':
        poller_model_rollback(ds->p);
        return 1;
    case 'u':
        poller_models_refresh(ds->p);
        return 1;
    }
    /* Up/Down select a model here, so regions move with Left/Right only. */
    return ui_select_key(&ds->sel_region, d->n_regions, ch, UI_SELECT_HORIZONTAL);
}
