/* Types only: the state the dashboard loop (dashboard.c) shares with its views
 * (view_*.c) and the drawing helpers (ui.c). No functions live here, so a
 * view includes this instead of dashboard.h and never sees the loop. */
#ifndef RECSYS_TUI_DASH_H
#define RECSYS_TUI_DASH_H

#include "tui/chart.h"
#include "tui/poller.h"

enum view_id {
    VIEW_OVERVIEW,
    VIEW_PERF,
    VIEW_RECS,
    VIEW_SYSTEM,
    VIEW_EXPERIMENTS,
    VIEW_INSIGHTS,
    VIEW_COUNT
};

enum perf_metric { PERF_P99, PERF_P50, PERF_RTT, PERF_METRICS };

struct dashboard_ops; /* tui/dashboard.h; only dashboard.c looks inside */
struct expfetch;      /* tui/expfetch.h: the Experiments view's requests */
struct insfetch;      /* tui/insfetch.h: the Data & evaluation view's request */

struct dash {
    struct poller *p;
    struct tui_data *d;
    const struct dashboard_ops *ops; /* fault injection; NULL in --monitor mode */
    const char *db_path;             /* shown in the System view; NULL: from /health */
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
    double models_at; /* clock_monotonic() of the last model list refresh */
    /* View 5 */
    struct expfetch *xf;
    int sel_exp;
    int exp_confirm;                /* 's' or 'P' pressed once, waiting for the second */
    double exp_confirm_at, exp_at; /* clock_monotonic() of that press, of the last refresh */
    /* View 6 */
    struct insfetch *inf;
    int ins_page, ins_algo; /* page 0 data, 1 evaluation; the algorithm charted */
    double ins_at;          /* clock_monotonic() of the last request */
    char flash[160];
    double flash_at; /* clock_monotonic() when flash was set */
};

#endif
