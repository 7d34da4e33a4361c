/* tui/ui.c without a terminal: the shared region-selection key handler (a
 * table of keys and the region they leave selected), colour roles, the
 * monochrome attributes, the flash line and the glyph choice. */
#include <curses.h>
#include <locale.h>
#include <stdlib.h>

#include "test.h"
#include "tui/ui.h"
#include "util/clock.h"

#define BOTH (UI_SELECT_HORIZONTAL | UI_SELECT_VERTICAL)

struct select_case {
    int sel, n, ch, axes;
    int used, want; /* return value, *sel afterwards */
};

static const struct select_case select_cases[] = {
    /* next and previous, every key of each axis */
    {0, 4, KEY_RIGHT, BOTH, 1, 1},
    {0, 4, 'l', BOTH, 1, 1},
    {0, 4, KEY_DOWN, BOTH, 1, 1},
    {0, 4, 'j', BOTH, 1, 1},
    {2, 4, KEY_LEFT, BOTH, 1, 1},
    {2, 4, 'h', BOTH, 1, 1},
    {2, 4, KEY_UP, BOTH, 1, 1},
    {2, 4, 'k', BOTH, 1, 1},
    /* wraparound at both ends */
    {3, 4, KEY_RIGHT, BOTH, 1, 0},
    {0, 4, KEY_LEFT, BOTH, 1, 3},
    {5, 6, 'j', BOTH, 1, 0},
    {0, 6, 'k', BOTH, 1, 5},
    /* one region: every move stays on it */
    {0, 1, KEY_RIGHT, BOTH, 1, 0},
    {0, 1, KEY_LEFT, BOTH, 1, 0},
    /* horizontal only (the System view keeps Up/Down for its model list) */
    {1, 4, KEY_RIGHT, UI_SELECT_HORIZONTAL, 1, 2},
    {1, 4, 'h', UI_SELECT_HORIZONTAL, 1, 0},
    {1, 4, KEY_DOWN, UI_SELECT_HORIZONTAL, 0, 1},
    {1, 4, 'k', UI_SELECT_HORIZONTAL, 0, 1},
    /* vertical only */
    {1, 4, KEY_DOWN, UI_SELECT_VERTICAL, 1, 2},
    {1, 4, KEY_RIGHT, UI_SELECT_VERTICAL, 0, 1},
    /* keys that are not selection keys leave the selection alone */
    {1, 4, 's', BOTH, 0, 1},
    {1, 4, 'L', BOTH, 0, 1},
    {1, 4, '\t', BOTH, 0, 1},
    {1, 4, KEY_NPAGE, BOTH, 0, 1},
    {1, 4, 'l', 0, 0, 1},
    /* bounds: a selection out of range is brought back before moving */
    {9, 4, KEY_RIGHT, BOTH, 1, 0},
    {9, 4, KEY_LEFT, BOTH, 1, 2},
    {-3, 4, KEY_RIGHT, BOTH, 1, 1},
    {-3, 4, KEY_LEFT, BOTH, 1, 3},
    /* no regions: nothing to select, nothing changes */
    {0, 0, KEY_RIGHT, BOTH, 0, 0},
    {2, -1, KEY_LEFT, BOTH, 0, 2},
};

static void test_select_key_table(void)
{
    for (size_t i = 0; i < sizeof select_cases / sizeof select_cases[0]; i++) {
        const struct select_case *c = &select_cases[i];
        int sel = c->sel;
        int used = ui_select_key(&sel, c->n, c->ch, c->axes);
        if (used != c->used || sel != c->want)
            printf("#   case %zu: sel %d n %d key %d axes %d\n", i, c->sel, c->n, c->ch, c->axes);
        CHECK_INT(used, c->used);
        CHECK_INT(sel, c->want);
    }
}

/* Walking right through n regions visits each once and comes back. */
static void test_select_key_cycle(void)
{
    for (int n = 1; n <= 8; n++) {
        int sel = 0, seen = 0;
        for (int k = 0; k < n; k++) {
            seen |= 1 << sel;
            CHECK_INT(ui_select_key(&sel, n, KEY_RIGHT, BOTH), 1);
        }
        CHECK_INT(sel, 0);
        CHECK_INT(seen, (1 << n) - 1);
        for (int k = 0; k < n; k++)
            ui_select_key(&sel, n, 'h', BOTH);
        CHECK_INT(sel, 0);
    }
}

static void test_status_role(void)
{
    CHECK_INT(ui_status_role(REGION_UP), UI_UP);
    CHECK_INT(ui_status_role(REGION_DEGRADED), UI_DEGRADED);
    CHECK_INT(ui_status_role(REGION_DOWN), UI_DOWN);
    CHECK_INT(ui_status_role(REGION_UNKNOWN), UI_WAIT);
}

/* Without colour, every unhealthy role still stands out (reverse), healthy
 * and titles are bold, waiting is dim: status never relies on colour. */
static void test_attr_monochrome(void)
{
    struct dash ds = {.colors = 0};
    CHECK_INT(ui_attr(&ds, UI_DOWN), A_REVERSE | A_BOLD);
    CHECK_INT(ui_attr(&ds, UI_DEGRADED), A_REVERSE | A_BOLD);
    CHECK_INT(ui_attr(&ds, UI_BANNER), A_REVERSE | A_BOLD);
    CHECK_INT(ui_attr(&ds, UI_SELECTED), A_REVERSE | A_BOLD);
    CHECK_INT(ui_attr(&ds, UI_UP), A_BOLD);
    CHECK_INT(ui_attr(&ds, UI_TITLE), A_BOLD);
    CHECK_INT(ui_attr(&ds, UI_WAIT), A_DIM);
    CHECK_INT(ui_attr(&ds, UI_NORMAL), A_NORMAL);
    ds.colors = 256;
    CHECK_INT(ui_attr(&ds, UI_DOWN), (int)COLOR_PAIR(UI_DOWN) | A_BOLD);
    CHECK_INT(ui_attr(&ds, UI_ACCENT), (int)COLOR_PAIR(UI_ACCENT));
}

static void test_flash(void)
{
    struct dash ds = {0};
    double before = clock_monotonic();
    ui_flash(&ds, "stopped %s", "us-east");
    CHECK_STR(ds.flash, "stopped us-east");
    CHECK(ds.flash_at >= before && ds.flash_at <= clock_monotonic());
    char longer[400];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    ui_flash(&ds, "%s", longer);
    CHECK_INT(strlen(ds.flash), sizeof ds.flash - 1);
}

static void test_glyphs_detect(void)
{
    setenv("RECSYS_TUI_GLYPHS", "ascii", 1);
    CHECK_INT(ui_glyphs_detect(), CHART_ASCII);
    setenv("RECSYS_TUI_GLYPHS", "block", 1);
    CHECK_INT(ui_glyphs_detect(), CHART_BLOCK);
    setenv("RECSYS_TUI_GLYPHS", "braille", 1);
    CHECK_INT(ui_glyphs_detect(), CHART_BRAILLE);
    unsetenv("RECSYS_TUI_GLYPHS");
    /* The C locale is not UTF-8: plain ASCII whatever the terminal. */
    setenv("TERM", "xterm-256color", 1);
    CHECK_INT(ui_glyphs_detect(), CHART_ASCII);
    setenv("TERM", "dumb", 1);
    CHECK_INT(ui_glyphs_detect(), CHART_ASCII);
    /* UTF-8: braille, but blocks on the Linux console, ASCII on dumb ones. */
    if (!setlocale(LC_CTYPE, "C.UTF-8")) {
        printf("# no C.UTF-8 locale: UTF-8 glyph cases not run\n");
        return;
    }
    setenv("TERM", "xterm-256color", 1);
    CHECK_INT(ui_glyphs_detect(), CHART_BRAILLE);
    setenv("TERM", "linux", 1);
    CHECK_INT(ui_glyphs_detect(), CHART_BLOCK);
    setenv("TERM", "vt100", 1);
    CHECK_INT(ui_glyphs_detect(), CHART_ASCII);
    unsetenv("TERM");
    CHECK_INT(ui_glyphs_detect(), CHART_ASCII);
    setlocale(LC_CTYPE, "C");
}

int main(void)
{
    RUN(test_select_key_table);
    RUN(test_select_key_cycle);
    RUN(test_status_role);
    RUN(test_attr_monochrome);
    RUN(test_flash);
    RUN(test_glyphs_detect);
    return TEST_SUMMARY();
}
