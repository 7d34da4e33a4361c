/* View 3: recommendations for a typed (or pasted, or random) user id from one
 * region or all of them, each region's latency side by side, the user's
 * purchase history and the recent lookups. Lookups go through the poller's
 * multi handle, so a slow region never blocks typing. */
#include "tui/view_recs.h"

#include <curses.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/ui.h"

#define WIDE 120 /* at this width the history sits beside the table */

static const struct rec_result *shown_result(const struct dash *ds, int *region)
{
    const struct tui_data *d = ds->d;
    for (int i = 0; i < d->n_regions; i++) {
        if (d->region >= 0 && i != d->region)
            continue;
        if (d->recs[i].state == LOOKUP_OK) {
            *region = i;
            return &d->recs[i];
        }
    }
    return NULL;
}

static void draw_latencies(struct dash *ds, int y, int w)
{
    const struct tui_data *d = ds->d;
    int x = 1;
    for (int i = 0; i < d->n_regions && x < w; i++) {
        const struct rec_result *rr = &d->recs[i];
        char buf[128], ms[24], sms[24];
        int role = UI_NORMAL;
        if (rr->state == LOOKUP_NONE)
            continue;
        if (rr->state == LOOKUP_PENDING) {
            snprintf(buf, sizeof buf, "%s ...", d->r[i].name);
            role = UI_WAIT;
        } else if (rr->state == LOOKUP_ERROR) {
            snprintf(buf, sizeof buf, "%s FAILED", d->r[i].name);
            role = UI_DOWN;
        } else {
            chart_fmt_ms(rr->client_ms, ms, sizeof ms);
            chart_fmt_ms(rr->server_ms, sms, sizeof sms);
            /* round trip as measured here / time inside the server */
            if (w >= 140)
                snprintf(buf, sizeof buf, "%s %s (server %s %s)", d->r[i].name, ms, sms, rr->cache);
            else if (w >= 100)
                snprintf(buf, sizeof buf, "%s %s %s", d->r[i].name, ms, rr->cache);
            else
                snprintf(buf, sizeof buf, "%s %s", d->r[i].name, ms);
        }
        ui_text(y, x, w - x, ui_attr(ds, role), "%s", buf);
        x += (int)strlen(buf) + 1;
    }
}

/* Whether every region that answered returned the same product ids. */
static void draw_agreement(struct dash *ds, int y, int w, const struct rec_result *ref, int refr)
{
    const struct tui_data *d = ds->d;
    char differs[128] = "";
    size_t used = 0;
    int answered = 0;
    for (int i = 0; i < d->n_regions; i++) {
        const struct rec_result *rr = &d->recs[i];
        if (rr->state != LOOKUP_OK)
            continue;
        answered++;
        int same = rr->n == ref->n;
        for (int k = 0; same && k < rr->n; k++)
            same = !strcmp(rr->items[k].product_id, ref->items[k].product_id);
        if (!same && used < sizeof differs)
            used += (size_t)snprintf(differs + used, sizeof differs - used, " %s", d->r[i].name);
    }
    ui_text(y, 0, w, A_NORMAL, " %s user, model v%d, from %s%s  %s%s",
            ref->known ? "known" : "unknown (cold start)", ref->model_version, d->r[refr].name,
            ref->served_by[0] && strcmp(ref->served_by, d->r[refr].name) ? " (failover)" : "",
            answered > 1 ? (differs[0] ? "differs in:" : "same products in all answering regions")
                         : "",
            differs);
}

/* Column widths shrink at narrow sizes so the product id stays whole. */
static void draw_table(struct dash *ds, int y, int h, int w, const struct rec_result *rr)
{
    int narrow = w < 88;
    int cat_w = narrow ? 12 : 14, rat_w = narrow ? 4 : 9, src_w = narrow ? 7 : 10,
        sc_w = narrow ? 5 : 6;
    int fixed = 3 + 1 + 1 + cat_w + 1 + 8 + 1 + rat_w + 1 + sc_w + 1 + src_w;
    int pid_w = w - fixed;
    if (pid_w > 32)
        pid_w = 32;
    if (pid_w < 8)
        pid_w = 8;
    ui_text(y, 0, w, A_BOLD, "%3s %-*s %-*s %8s %-*s %*s %-*s", "#", pid_w, "product", cat_w,
            "category", "price", rat_w, "rating", sc_w, "score", src_w, "source");
    if (ds->rec_scroll > rr->n - 1)
        ds->rec_scroll = rr->n > 0 ? rr->n - 1 : 0;
    for (int k = 0; k + 1 < h && ds->rec_scroll + k < rr->n; k++) {
        const struct rec_item *it = &rr->items[ds->rec_scroll + k];
        char rating[24], price[24];
        if (!isfinite(it->avg_rating))
            snprintf(rating, sizeof rating, "-");
        else if (narrow)
            snprintf(rating, sizeof rating, "%.1f", it->avg_rating);
        else
            snprintf(rating, sizeof rating, "%.1f (%d)", it->avg_rating, it->n_ratings);
        snprintf(price, sizeof price, isfinite(it->price) ? "%.2f" : "-", it->price);
        ui_text(y + 1 + k, 0, w, A_NORMAL, "%3d %-*.*s %-*.*s %8s %-*s %*.*f %-*.*s", it->rank,
                pid_w, pid_w, it->product_id, cat_w, cat_w, it->category[0] ? it->category : "-",
                price, rat_w, rating, sc_w, narrow ? 2 : 3, it->score, src_w, src_w, it->source);
    }
    if (rr->n > h - 1)
        ui_text(y + h - 1, w - 24, 24, ui_attr(ds, UI_DIM), " rows %d-%d of %d (PgDn) ",
                ds->rec_scroll + 1, ds->rec_scroll + h - 1 < rr->n ? ds->rec_scroll + h - 1 : rr->n,
                rr->n);
}

/* Purchase history, then the recent lookups below it, clipped at `h` rows. */
static void draw_side(struct dash *ds, int y, int x, int h, int w)
{
    const struct tui_data *d = ds->d;
    const struct user_history *hs = &d->hist;
    int row = y, end = y + h;
    int recent_h = d->n_recent ? 2 + (d->n_recent < 4 ? d->n_recent : 4) : 0;
    ui_text(row++, x, w, A_BOLD, "Purchase history");
    if (hs->state == LOOKUP_PENDING) {
        ui_text(row++, x, w, ui_attr(ds, UI_WAIT), "loading...");
    } else if (hs->state == LOOKUP_ERROR) {
        ui_text(row++, x, w, ui_attr(ds, UI_DIM), "%s", hs->error);
    } else if (hs->state == LOOKUP_OK) {
        ui_text(row++, x, w, A_NORMAL, "%d orders, %d products, %s %s", hs->orders, hs->products,
                hs->state_code, hs->city);
        if (row < end)
            ui_text(row++, x, w, A_NORMAL, "spent %.2f, last %.10s", hs->monetary, hs->last);
        /* date, category, price, then as much of the product id as fits */
        int cat_w = w >= 60 ? 16 : 10, pid_w = w - 10 - cat_w - 8 - 3;
        pid_w = pid_w < 0 ? 0 : pid_w > 32 ? 32 : pid_w;
        for (int k = 0; k < hs->n && row < end - recent_h; k++)
            ui_text(row++, x, w, A_NORMAL, "%.10s %-*.*s %7.2f %.*s", hs->p[k].timestamp, cat_w,
                    cat_w, hs->p[k].category[0] ? hs->p[k].category : "-", hs->p[k].price, pid_w,
                    hs->p[k].product_id);
    } else {
        ui_text(row++, x, w, ui_attr(ds, UI_DIM), "(no lookup yet)");
    }
    if (!recent_h || ++row >= end)
        return;
    ui_text(row++, x, w, A_BOLD, "Recent lookups");
    for (int k = 0; k < d->n_recent && row < end; k++) {
        char when[16], ms[24];
        strftime(when, sizeof when, "%H:%M:%S", localtime(&d->recent[k].at));
        chart_fmt_ms(d->recent[k].ms, ms, sizeof ms);
        ui_text(row++, x, w, A_NORMAL, "%s %.*s %3d %s", when, w >= 60 ? 32 : 8,
                d->recent[k].user_id, d->recent[k].n_items, ms);
    }
}

void view_recs_draw(struct dash *ds, int y, int h, int w)
{
    const struct tui_data *d = ds->d;
    const char *id = ds->editing ? ds->input : d->user_id;
    char region[40];
    snprintf(region, sizeof region, "%s", ds->region < 0 ? "all regions" : d->r[ds->region].name);
    ui_text(y, 0, w, A_BOLD, " User id:");
    int fw = w - 11 - 32 > 34 ? 34 : w - 11 - 32;
    if (fw < 10)
        fw = 10;
    ui_text(y, 11, fw, ds->editing ? ui_attr(ds, UI_SELECTED) : (int)A_UNDERLINE, "%-*s", fw,
            id[0]         ? id
            : ds->editing ? ""
                          : "(press / to type, R for a random user)");
    if (ds->editing && (int)strlen(id) < fw)
        ui_text(y, 11 + (int)strlen(id), 1, A_REVERSE | A_BLINK, " ");
    ui_text(y, 12 + fw, w - 12 - fw, A_NORMAL, " count %d  region %s", ds->count, region);
    if (d->lookup_msg[0])
        ui_text(y + 1, 0, w, ui_attr(ds, UI_DEGRADED), " %s", d->lookup_msg);
    else
        draw_latencies(ds, y + 1, w);
    int refr = 0;
    const struct rec_result *rr = shown_result(ds, &refr);
    int body_y = y + 3, body_h = h - 3;
    int side_w = w >= WIDE ? w - 89 : 0;
    int table_w = side_w ? w - side_w - 1 : w;
    int table_h = side_w ? body_h : body_h * 3 / 5;
    if (rr) {
        draw_agreement(ds, y + 2, w, rr, refr);
        draw_table(ds, body_y, table_h, table_w, rr);
    } else {
        int err = -1;
        for (int i = 0; i < d->n_regions; i++)
            if (d->recs[i].state == LOOKUP_ERROR)
                err = i;
        if (err >= 0)
            ui_text(y + 2, 0, w, ui_attr(ds, UI_DOWN), " %s: %s", d->r[err].name,
                    d->recs[err].error);
        else if (d->user_id[0])
            ui_text(y + 2, 0, w, ui_attr(ds, UI_WAIT), " looking up...");
        else
            ui_text(y + 2, 0, w, ui_attr(ds, UI_DIM),
                    " Type a customer_unique_id or customer_id (32 hex characters, paste works).");
    }
    if (side_w)
        draw_side(ds, body_y, table_w + 1, body_h, side_w);
    else
        draw_side(ds, body_y + table_h, 1, body_h - table_h, w - 1);
}

static void lookup(struct dash *ds, const char *id)
{
    ds->rec_scroll = 0;
    if (poller_lookup(ds->p, id, ds->count, ds->region) < 0)
        ui_flash(ds, "a user id is 32 hex characters (customer_unique_id or customer_id)");
}

/* Edits the id field; returns 1 when the key was used. Pasted text arrives as
 * ordinary keys: spaces, quotes and newlines around an id are dropped. */
static int edit_key(struct dash *ds, int ch)
{
    size_t n = strlen(ds->input);
    switch (ch) {
    case '\r':
    case '\n':
    case KEY_ENTER:
        ds->editing = 0;
        if (n)
            lookup(ds, ds->input);
        return 1;
    case 27: /* Esc */
        ds->editing = 0;
        return 1;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        if (n)
            ds->input[n - 1] = '\0';
        return 1;
    case 21: /* Ctrl-U */
        ds->input[0] = '\0';
        return 1;
    }
    if (ch >= 0 && ch < 256 && (isalnum(ch) || ch == '_' || ch == '-')) {
        if (n + 1 < sizeof ds->input && n < 64) {
            ds->input[n] = (char)ch;
            ds->input[n + 1] = '\0';
        }
        return 1;
    }
    if (ch == ' ' || ch == '"' || ch == '\'')
        return 1;
    return 0;
}

int view_recs_key(struct dash *ds, int ch)
{
    struct tui_data *d = ds->d;
    if (ds->editing)
        return edit_key(ds, ch);
    switch (ch) {
    case '/':
    case 'i':
        ds->editing = 1;
        ds->input[0] = '\0';
        return 1;
    case 'R':
        if (poller_random_user(ds->p, ds->count, ds->region) < 0)
            ui_flash(ds, "too many requests in flight");
        return 1;
    case '+':
    case '=':
    case '-':
        ds->count += ch == '-' ? -1 : 1;
        ds->count = ds->count < 1 ? 1 : ds->count > RECS_MAX ? RECS_MAX : ds->count;
        if (d->user_id[0])
            lookup(ds, d->user_id);
        return 1;
    case 'a':
        ds->region = ds->region + 1 >= d->n_regions ? -1 : ds->region + 1;
        if (d->user_id[0])
            lookup(ds, d->user_id);
        return 1;
    case '\r':
    case '\n':
    case KEY_ENTER:
        if (d->user_id[0])
            lookup(ds, d->user_id);
        return 1;
    case KEY_NPAGE:
    case ' ':
        ds->rec_scroll += 10;
        return 1;
    case KEY_PPAGE:
        ds->rec_scroll = ds->rec_scroll > 10 ? ds->rec_scroll - 10 : 0;
        return 1;
    }
    return 0;
}
