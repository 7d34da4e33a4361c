/* Drawing and key helpers every part of the dashboard shares: colour roles,
 * clipped text, boxes, the flash line, terminal set-up (colours, chart
 * glyphs) and the one region-selection key handler. */
#ifndef RECSYS_TUI_UI_H
#define RECSYS_TUI_UI_H

#include "tui/chart.h"
#include "tui/dash.h"
#include "tui/poller.h"

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

/* How long a ui_flash message stays on the footer line. */
#define UI_FLASH_S 5.0

/* The curses attribute for role r: a colour pair when ds->colors is on, else
 * bold, reverse or dim so the role still reads in monochrome. */
int ui_attr(const struct dash *ds, enum ui_role r);
/* The colour role of a region status word. */
enum ui_role ui_status_role(enum region_status s);

/* Text is clipped to w columns and to the screen; the strings are ASCII
 * except chart rows, which are drawn with ui_utf8 (not clipped by width). */
void ui_text(int y, int x, int w, int attr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void ui_utf8(int y, int x, int attr, const char *s);
/* What the region's "now" figures (rps, p50, p99) cover, for labels: "last 10 s", or
 * "lifetime" from a server that reports no window. */
void ui_window_label(const struct region_view *r, char *out, size_t n);
/* A line-drawn box with an optional title in its top edge; clipped to the
 * screen, nothing drawn below 2x4. */
void ui_box(int y, int x, int h, int w, int attr, const char *title);
/* Sets the footer message, shown for UI_FLASH_S seconds. */
void ui_flash(struct dash *ds, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* After initscr: sets ds->colors to 256, 16 or 0 (no colour terminal, or
 * NO_COLOR set) and defines one colour pair per enum ui_role. */
void ui_colors_init(struct dash *ds);
/* Chart glyphs the terminal can show: RECSYS_TUI_GLYPHS=braille|block|ascii
 * wins; else braille on UTF-8 terminals, blocks on the Linux console, ASCII
 * otherwise. Call after setlocale(). */
enum chart_glyphs ui_glyphs_detect(void);

/* Which keys move a selection (ui_select_key). */
#define UI_SELECT_HORIZONTAL 1 /* Left/Right, h/l */
#define UI_SELECT_VERTICAL   2 /* Up/Down, k/j */

/* The one region-selection key handler: Left/Up (and h/k) select the
 * previous of n regions, Right/Down (and l/j) the next, wrapping around; only
 * the axes asked for count. A *sel outside 0..n-1 is first brought back into
 * range. Returns 1 when ch was a selection key (the key is used up), 0 when
 * not or when n < 1 (*sel unchanged). */
int ui_select_key(int *sel, int n, int ch, int axes);

#endif
