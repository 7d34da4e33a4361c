/* The ncurses dashboard: five views over the regions' HTTP API (health
 * cards, performance charts, recommendations, system/models, A/B
 * experiments). It talks to
 * regions only over HTTP (tui/poller.c), so it watches remote regions too. */
#ifndef RECSYS_TUI_DASHBOARD_H
#define RECSYS_TUI_DASHBOARD_H

#include <stddef.h>

#include "conf/regions.h"

/* Fault injection hooks, provided when the servers run in-process; NULL in
 * --monitor mode. Each returns 0 or negative. */
struct dashboard_ops {
    void *ctx;
    int (*region_stop)(void *ctx, const char *region);
    int (*region_start)(void *ctx, const char *region);
};

struct dashboard_options {
    const struct regions_conf *conf; /* region URLs; not retained after return */
    double interval_s;               /* poll interval; <= 0 means 1 s */
    const struct dashboard_ops *ops; /* NULL: monitor mode */
    const char *db_path;             /* shown in the System view; NULL: from /health */
};

/* Runs the dashboard on the controlling terminal until the user quits (q,
 * F10) or SIGINT/SIGTERM arrives; the terminal is restored on every path,
 * fatal signals included. Returns 0, or a negative enum err_code with err
 * filled: ERR_INVALID without a region configuration, ERR_FAIL otherwise (no
 * terminal, libcurl failure). */
int dashboard_run(const struct dashboard_options *o, char *err, size_t errlen);

#endif
