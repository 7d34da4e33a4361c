/* Drawing and key helpers (see ui.h). Everything here is stateless apart
 * from what the caller passes in: the dashboard's struct dash and curses'
 * own screen. */
#include "tui/ui.h"

#include <curses.h>
#include <langinfo.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

int ui_attr(const struct dash *ds, enum ui_role r)
{
    if (!ds->colors) {
        switch (r) {
        case UI_UP:
        case UI_TITLE:
            return A_BOLD;
        case UI_DEGRADED:
        case UI_DOWN:
        case UI_BANNER:
        case UI_SELECTED:
            return A_REVERSE | A_BOLD;
        case UI_DIM:
        case UI_WAIT:
            return A_DIM;
        default:
            return A_NORMAL;
        }
    }
    int bold = (r == UI_TITLE || r == UI_BANNER || r == UI_UP || r == UI_DOWN || r == UI_DEGRADED)
                   ? A_BOLD
                   : 0;
    return (int)COLOR_PAIR(r) | bold;
}

enum ui_role ui_status_role(enum region_status s)
{
    return s == REGION_UP         ? UI_UP
           : s == REGION_DEGRADED ? UI_DEGRADED
           : s == REGION_DOWN     ? UI_DOWN
                                  : UI_WAIT;
}

void ui_text(int y, int x, int w, int attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (x + w > COLS)
        w = COLS - x;
    attron(attr);
    mvaddnstr(y, x, buf, w);
    attroff(attr);
}

void ui_utf8(int y, int x, int attr, const char *s)
{
    if (y < 0 || y >= LINES || x >= COLS)
        return;
    attron(attr);
    mvaddstr(y, x, s);
    attroff(attr);
}

void ui_box(int y, int x, int h, int w, int attr, const char *title)
{
    if (h < 2 || w < 4 || y >= LINES)
        return;
    if (y + h > LINES)
        h = LINES - y;
    if (x + w > COLS)
        w = COLS - x;
    attron(attr);
    mvhline(y, x + 1, ACS_HLINE, w - 2);
    mvaddch(y, x, ACS_ULCORNER);
    mvaddch(y, x + w - 1, ACS_URCORNER);
    if (h >= 2 && y + h - 1 < LINES) {
        mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
        mvaddch(y + h - 1, x, ACS_LLCORNER);
        mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
    }
    mvvline(y + 1, x, ACS_VLINE, h - 2);
    mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
    attroff(attr);
    if (title)
        ui_text(y, x + 2, w - 4, attr | A_BOLD, " %s ", title);
}

void ui_flash(struct dash *ds, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ds->flash, sizeof ds->flash, fmt, ap);
    va_end(ap);
    ds->flash_at = clock_monotonic();
}

void ui_colors_init(struct dash *ds)
{
    const char *nc = getenv("NO_COLOR");
    ds->colors = 0;
    if ((nc && nc[0]) || !has_colors())
        return;
    start_color();
    use_default_colors();
    int c256 = COLORS >= 256;
    ds->colors = c256 ? 256 : 16;
    struct {
        int role, fg256, fg16, bg;
    } map[] = {
        {UI_NORMAL, -1, -1, -1},
        {UI_UP, 114, COLOR_GREEN, -1},
        {UI_DEGRADED, 221, COLOR_YELLOW, -1},
        {UI_DOWN, 203, COLOR_RED, -1},
        {UI_WAIT, 244, COLOR_WHITE, -1},
        {UI_TITLE, 75, COLOR_CYAN, -1},
        {UI_DIM, 244, COLOR_BLUE, -1},
        {UI_ACCENT, 80, COLOR_CYAN, -1},
        {UI_BANNER, 231, COLOR_WHITE, COLOR_RED},
        {UI_SELECTED, 16, COLOR_BLACK, COLOR_CYAN},
    };
    for (size_t i = 1; i < sizeof map / sizeof map[0]; i++) {
        int bg = map[i].bg;
        if (c256 && bg == COLOR_RED)
            bg = 160;
        else if (c256 && bg == COLOR_CYAN)
            bg = 75;
        init_pair((short)map[i].role, (short)(c256 ? map[i].fg256 : map[i].fg16), (short)bg);
    }
}

enum chart_glyphs ui_glyphs_detect(void)
{
    const char *forced = getenv("RECSYS_TUI_GLYPHS");
    if (forced && !strcmp(forced, "ascii"))
        return CHART_ASCII;
    if (forced && !strcmp(forced, "block"))
        return CHART_BLOCK;
    if (forced && !strcmp(forced, "braille"))
        return CHART_BRAILLE;
    const char *term = getenv("TERM");
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0 || !term || !strcmp(term, "dumb") ||
        !strncmp(term, "vt1", 3))
        return CHART_ASCII;
    /* The Linux console font has block elements but no braille. */
    return !strcmp(term, "linux") ? CHART_BLOCK : CHART_BRAILLE;
}

int ui_select_key(int *sel, int n, int ch, int axes)
{
    int step = 0;
    if (axes & UI_SELECT_HORIZONTAL)
        step = ch == KEY_LEFT || ch == 'h' ? -1 : ch == KEY_RIGHT || ch == 'l' ? 1 : 0;
    if (!step && (axes & UI_SELECT_VERTICAL))
        step = ch == KEY_UP || ch == 'k' ? -1 : ch == KEY_DOWN || ch == 'j' ? 1 : 0;
    if (!step || n < 1)
        return 0;
    int s = *sel < 0 ? 0 : *sel >= n ? n - 1 : *sel;
    *sel = (s + step + n) % n;
    return 1;
}

void ui_window_label(const struct region_view *r, char *out, size_t n)
{
    if (isfinite(r->window_s) && r->window_s > 0)
        snprintf(out, n, "last %.0f s", r->window_s);
    else
        snprintf(out, n, "lifetime");
}
