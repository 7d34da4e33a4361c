/* View 6, "Data & evaluation": what the data looks like and how well the
 * recommenders do on it, from one region's GET /api/v1/insights (so it
 * works for remote regions too). Two pages, e switches: Data (orders per
 * month, top categories, customers and orders by state, the ingest
 * cleaning report) and Evaluation (the active model's stored hit rates as
 * bars, the latest rolling evaluation pooled and per month). Both pages
 * fit 80x24; from 46 rows on they are shown together. a cycles the
 * algorithm of the monthly chart, u refreshes. */
#ifndef RECSYS_TUI_VIEW_INSIGHTS_H
#define RECSYS_TUI_VIEW_INSIGHTS_H

#include "tui/dash.h"

/* Draws the view in rows y..y+h-1, w columns wide. */
void view_insights_draw(struct dash *ds, int y, int h, int w);
/* Handles a key the dashboard did not take; returns 1 when it was used. */
int view_insights_key(struct dash *ds, int ch);
/* Asks the region again when the view is shown and the data is older than
 * the refresh period, and moves the transfer on. 1 when there is news. */
int view_insights_tick(struct dash *ds);

/* out (w + 1 bytes): round(v / max * w) '#' then spaces; all spaces when
 * v or max is not a positive finite number. */
void view_insights_bar(char *out, int w, double v, double max);

#endif
