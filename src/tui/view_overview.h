/* View 1: one card per region (status word, latency, traffic, cache, model, last
 * error, p99 chart); Left/Right (and Up/Down) select a region. */
#ifndef RECSYS_TUI_VIEW_OVERVIEW_H
#define RECSYS_TUI_VIEW_OVERVIEW_H

#include "tui/dash.h"

/* Draws the view in rows y..y+h-1, w columns wide. */
void view_overview_draw(struct dash *ds, int y, int h, int w);
/* Handles a key the dashboard did not take; returns 1 when it was used. */
int view_overview_key(struct dash *ds, int ch);

#endif
