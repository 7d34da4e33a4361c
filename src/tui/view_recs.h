/* View 3: recommendations for a typed or random user id from one region or
 * all, with the user's purchase history and the recent lookups. */
#ifndef RECSYS_TUI_VIEW_RECS_H
#define RECSYS_TUI_VIEW_RECS_H

#include "tui/dash.h"

/* Draws the view in rows y..y+h-1, w columns wide. */
void view_recs_draw(struct dash *ds, int y, int h, int w);
/* Handles a key the dashboard did not take; returns 1 when it was used. */
int view_recs_key(struct dash *ds, int ch);

#endif
