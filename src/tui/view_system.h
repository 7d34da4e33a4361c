/* View 4: model statistics, database, per-region cache and uptime, and the
 * model versions (Up/Down select, a activate, b roll back, u refresh). */
#ifndef RECSYS_TUI_VIEW_SYSTEM_H
#define RECSYS_TUI_VIEW_SYSTEM_H

#include "tui/dash.h"

/* Draws the view in rows y..y+h-1, w columns wide. */
void view_system_draw(struct dash *ds, int y, int h, int w);
/* Handles a key the dashboard did not take; returns 1 when it was used. */
int view_system_key(struct dash *ds, int ch);

#endif
