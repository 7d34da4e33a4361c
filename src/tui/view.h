/* Internal to src/tui: the state the dashboard shares with its views and the
 * small drawing helpers they use. */
#ifndef RECSYS_TUI_VIEW_H
#define RECSYS_TUI_VIEW_H

#include <time.h>

#include "tui/chart.h"
#include "tui/dashboard.h"
#include "tui/poller.h"

enum view_id { VIEW_OVERVIEW, VIEW_PERF, VIEW_RECS, VIEW_SYSTEM, VIEW_COUNT };

/* What a piece of text is, so it gets the right colour, or a monochrome
 * attribute when colours are off. */
enum ui_role {
    UI_NORMAL,
    UI_UP,
    UI_DEGRADED,
    UI_DOWN,
    UI_WAIT,
    UI_TITLE,
    UI_DIM,
    UI_ACCENT,
    UI_BANNER,
    UI_SELECTED,
    UI_ROLES
};

enum perf_metric { PERF_P99, PERF_P50, PERF_RTT, PERF_METRICS };

struct dash {
    struct poller *p;
    struct tui_data *d;
    const struct dashboard_options *o;
    int view, help, quit;
    int colors; /* 0, 16 or 256 */
    enum chart_glyphs glyphs;
    int sel_region;
    int ov_top; /* View 1: first card row shown when the cards do not all fit */
    enum perf_metric metric;
    /* View 3 */
    int editing;
    char input[80];
    int count, region; /* region -1: all */
    int rec_scroll;
    /* View 4 */
    int sel_model;
    double models_at;
    char flash[160];
    time_t flash_at;
};

/* Drawing helpers (dashboard.c). Text is clipped to w columns; the strings
 * are ASCII except chart rows, which are drawn with ui_utf8. */
int ui_attr(const struct dash *ds, enum ui_role r);
void ui_text(int y, int x, int w, int attr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void ui_utf8(int y, int x, int attr, const char *s);
void ui_box(int y, int x, int h, int w, int attr, const char *title);
enum ui_role ui_status_role(enum region_status s);
void ui_flash(struct dash *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void view_overview_draw(struct dash *ds, int y, int h, int w);
int view_overview_key(struct dash *ds, int ch);
void view_perf_draw(struct dash *ds, int y, int h, int w);
int view_perf_key(struct dash *ds, int ch);
void view_recs_draw(struct dash *ds, int y, int h, int w);
int view_recs_key(struct dash *ds, int ch);
void view_system_draw(struct dash *ds, int y, int h, int w);
int view_system_key(struct dash *ds, int ch);

#endif
