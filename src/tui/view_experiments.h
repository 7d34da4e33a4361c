/* View 5: A/B experiments (GET /api/v1/experiments from the first healthy
 * region): each variant's share, model version, impressions, users, clicks
 * and purchases, click-through and conversion with their 95% intervals as
 * bars on one scale, the p-value of the second variant against the first,
 * and keys to stop the selected experiment or promote its leader (pressed
 * twice: the admin POST goes over libcurl, tui/expfetch.c). */
#ifndef RECSYS_TUI_VIEW_EXPERIMENTS_H
#define RECSYS_TUI_VIEW_EXPERIMENTS_H

#include "tui/dash.h"

/* Draws the view in rows y..y+h-1, w columns wide. */
void view_experiments_draw(struct dash *ds, int y, int h, int w);
/* Handles a key the dashboard did not take; returns 1 when it was used. */
int view_experiments_key(struct dash *ds, int ch);
/* Once per loop turn: refreshes the list every poll interval while the view
 * is shown, moves the transfers on, flashes the outcome of a stop or
 * promote. Returns 1 when the screen should be redrawn. */
int view_experiments_tick(struct dash *ds);
/* Renders an interval bar into out (w characters + NUL): '-' for the scale
 * 0..max, '=' over [low, high], '|' at value; all '-' when unknown. Pure. */
void view_experiments_bar(char *out, int w, double value, double low, double high, double max);

#endif
