/* View 2: per-region latency charts and a comparison table; m switches the
 * metric, g the chart glyphs, Left/Right (and Up/Down) select a region. */
#ifndef RECSYS_TUI_VIEW_PERF_H
#define RECSYS_TUI_VIEW_PERF_H

#include "tui/dash.h"

/* Draws the view in rows y..y+h-1, w columns wide. */
void view_perf_draw(struct dash *ds, int y, int h, int w);
/* Handles a key the dashboard did not take; returns 1 when it was used. */
int view_perf_key(struct dash *ds, int ch);

#endif
