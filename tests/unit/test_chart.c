/* Chart, series and layout: pure functions, checked glyph by glyph. */
#include <math.h>
#include <stdlib.h>

#include "test.h"
#include "tui/chart.h"
#include "tui/series.h"

#define RB CHART_ROW_BYTES(16)

static void test_nice_max(void)
{
    CHECK_NEAR(chart_nice_max(0), 1, 0);
    CHECK_NEAR(chart_nice_max(NAN), 1, 0);
    CHECK_NEAR(chart_nice_max(-3), 1, 0);
    CHECK_NEAR(chart_nice_max(0.7), 1, 1e-12);
    CHECK_NEAR(chart_nice_max(1), 1, 1e-12);
    CHECK_NEAR(chart_nice_max(1.2), 2, 1e-12);
    CHECK_NEAR(chart_nice_max(2.1), 2.5, 1e-12);
    CHECK_NEAR(chart_nice_max(3), 5, 1e-12);
    CHECK_NEAR(chart_nice_max(7), 10, 1e-12);
    CHECK_NEAR(chart_nice_max(0.013), 0.02, 1e-12);
    CHECK_NEAR(chart_nice_max(480), 500, 1e-9);
}

struct fmt_case {
    void (*fmt)(double, char *, size_t);
    double in;
    const char *want;
};

static void test_formats(void)
{
    static const struct fmt_case cases[] = {
        {chart_fmt_ms, 0.214, "0.21 ms"},
        {chart_fmt_ms, 12.34, "12.3 ms"},
        {chart_fmt_ms, 120.4, "120 ms"},
        {chart_fmt_ms, 1500, "1.5 s"},
        {chart_fmt_ms, NAN, "-"},
        {chart_fmt_num, 4.12, "4.1"},
        {chart_fmt_num, 950, "950"},
        {chart_fmt_num, 1234, "1.2k"},
        {chart_fmt_num, 96096, "96k"},
        {chart_fmt_num, 3.4e6, "3.4M"},
        {chart_fmt_duration, 45, "45s"},
        {chart_fmt_duration, 750, "12m30s"},
        {chart_fmt_duration, 3 * 3600 + 5 * 60, "3h05m"},
        {chart_fmt_duration, 2 * 86400 + 4 * 3600, "2d04h"},
        {chart_fmt_duration, -1, "-"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct fmt_case *c = &cases[i];
        char b[32];
        c->fmt(c->in, b, sizeof b);
        if (strcmp(b, c->want)) {
            test_failed_checks++;
            printf("#   row %zu: %g gave \"%s\", expected \"%s\"\n", i, c->in, b, c->want);
        }
    }
    /* Truncation keeps a terminated string. */
    char s[4];
    chart_fmt_ms(123.0, s, sizeof s);
    CHECK_STR(s, "123");
}

static void test_ascii_render(void)
{
    char rows[2][RB];
    double v[] = {0, 1, 2, 3, 4};
    /* 2 rows, ASCII: 4 half-cell levels; ymax 4 -> level = value. */
    CHECK_INT(chart_render(v, 5, 5, 2, 4, CHART_ASCII, &rows[0][0], RB), 0);
    CHECK_STR(rows[0], "   .#");
    CHECK_STR(rows[1], " .###");
    /* Right alignment: 2 samples in 4 columns leave the left empty. */
    double w[] = {4, 4};
    CHECK_INT(chart_render(w, 2, 4, 2, 4, CHART_ASCII, &rows[0][0], RB), 0);
    CHECK_STR(rows[0], "  ##");
    CHECK_STR(rows[1], "  ##");
    /* Only the newest `width` samples are drawn. */
    double x[] = {4, 4, 0, 0};
    CHECK_INT(chart_render(x, 4, 2, 2, 4, CHART_ASCII, &rows[0][0], RB), 0);
    CHECK_STR(rows[1], "  ");
}

static void test_gaps_and_clamping(void)
{
    char rows[1][RB];
    double v[] = {NAN, 0.0001, 100, -5};
    CHECK_INT(chart_render(v, 4, 4, 1, 10, CHART_ASCII, &rows[0][0], RB), 0);
    /* NAN is a gap, a tiny positive value still shows, values clamp to ymax,
     * negatives draw as zero. */
    CHECK_STR(rows[0], " .# ");
}

static void test_block_render(void)
{
    char rows[2][RB];
    double v[] = {1, 8, 9, 16};
    CHECK_INT(chart_render(v, 4, 4, 2, 16, CHART_BLOCK, &rows[0][0], RB), 0);
    /* top row: only values above 8 show (9 -> one eighth, 16 -> full) */
    CHECK_STR(rows[0], "  \u2581\u2588");
    CHECK_STR(rows[1], "\u2581\u2588\u2588\u2588");
}

static void test_braille_render(void)
{
    char rows[1][RB];
    /* One cell, two samples: left at level 4 (full column), right at 1
     * (bottom dot only). Left column bits 1,2,4,0x40 + right bottom 0x80. */
    double v[] = {4, 1};
    CHECK_INT(chart_render(v, 2, 1, 1, 4, CHART_BRAILLE, &rows[0][0], RB), 0);
    CHECK_STR(rows[0], "\u28c7");
    double z[] = {0, 0};
    CHECK_INT(chart_render(z, 2, 1, 1, 4, CHART_BRAILLE, &rows[0][0], RB), 0);
    CHECK_STR(rows[0], " ");
    /* Two rows: level 5 of 8 fills the bottom cell and the lowest top dot. */
    char r2[2][RB];
    double t[] = {5, 0};
    CHECK_INT(chart_render(t, 2, 1, 2, 8, CHART_BRAILLE, &r2[0][0], RB), 0);
    CHECK_STR(r2[0], "\u2840");
    CHECK_STR(r2[1], "\u2847");
    CHECK_INT(chart_samples_per_cell(CHART_BRAILLE), 2);
    CHECK_INT(chart_samples_per_cell(CHART_ASCII), 1);
}

static void test_render_rejects_small_buffer(void)
{
    char rows[2][8];
    double v[] = {1};
    CHECK_INT(chart_render(v, 1, 5, 2, 1, CHART_BRAILLE, &rows[0][0], 8), -1);
    CHECK_INT(chart_render(v, 1, 0, 2, 1, CHART_ASCII, &rows[0][0], 8), -1);
    CHECK_INT(chart_render(v, 1, 2, 0, 1, CHART_ASCII, &rows[0][0], 8), -1);
}

static void test_sparkline_and_strip(void)
{
    char out[RB];
    double v[] = {0, 1, 8, NAN};
    CHECK_INT(chart_sparkline(v, 4, 4, 8, CHART_ASCII, out, sizeof out), 0);
    CHECK_STR(out, " .# ");
    CHECK_INT(chart_sparkline(v, 4, 4, 8, CHART_BLOCK, out, sizeof out), 0);
    CHECK_STR(out, " \u2581\u2588 ");
    int st[] = {CHART_ST_UP, CHART_ST_DEGRADED, CHART_ST_DOWN, CHART_ST_UP};
    CHECK_INT(chart_status_strip(st, 4, 6, CHART_ASCII, out, sizeof out), 0);
    CHECK_STR(out, "  #~x#");
    CHECK_INT(chart_status_strip(st, 4, 3, CHART_BLOCK, out, sizeof out), 0);
    CHECK_STR(out, "\u2592x\u2588");
}

static void test_axis_labels(void)
{
    char b[32];
    chart_y_label(2.5, 0, 5, "ms", b, sizeof b);
    CHECK_STR(b, "2.50 ms");
    chart_y_label(2.5, 4, 5, "ms", b, sizeof b);
    CHECK_STR(b, "0.00 ms");
    chart_y_label(2.5, 2, 5, "ms", b, sizeof b);
    CHECK_STR(b, "1.25 ms");
    chart_y_label(2.5, 1, 5, "ms", b, sizeof b);
    CHECK_STR(b, "");
    chart_y_label(2000, 0, 3, "/s", b, sizeof b);
    CHECK_STR(b, "2.0k/s");
    char axis[128];
    /* 40 cells x 2 samples x 1 s = 80 s of history; ticks every 10 cells. */
    chart_x_axis(40, 2, 1.0, axis, sizeof axis);
    CHECK_INT((int)strlen(axis), 40);
    CHECK(strstr(axis, "now") == axis + 37);
    CHECK(strstr(axis, "-20s") != NULL);
    CHECK(strstr(axis, "-40s") != NULL);
    CHECK(strstr(axis, "-1m00s") != NULL);
    chart_x_axis(5, 1, 1.0, axis, sizeof axis);
    CHECK_STR(axis, "  now");
    chart_x_axis(10, 1, 1.0, axis, 4); /* too small: empty, terminated */
    CHECK_STR(axis, "");
}

static void test_layout_cards(void)
{
    struct chart_rect r[4];
    /* 80x21 with 38-column cards: a 2x2 grid. */
    CHECK_INT(chart_layout_cards(80, 21, 4, 38, 10, r), 2);
    CHECK_INT(r[0].x, 0);
    CHECK_INT(r[1].x, 40);
    CHECK_INT(r[1].w, 40);
    CHECK_INT(r[2].y, 10);
    CHECK_INT(r[3].h, 10);
    /* 200 columns: all four on one row, tiling the width exactly. */
    CHECK_INT(chart_layout_cards(200, 57, 4, 38, 10, r), 4);
    CHECK_INT(r[3].x + r[3].w, 200);
    CHECK_INT(r[2].y, 0);
    CHECK_INT(r[0].h, 57);
    /* 120 columns fit 3, but a 2x2 grid is as tall and balanced. */
    CHECK_INT(chart_layout_cards(120, 37, 4, 38, 10, r), 2);
    /* Narrow: one column, min height kept (caller scrolls). */
    CHECK_INT(chart_layout_cards(30, 20, 3, 38, 10, r), 1);
    CHECK_INT(r[2].y, 20);
    /* Six regions at 80x24 (21 rows): 2x3 cards of 7 rows, all inside. */
    struct chart_rect r6[16];
    CHECK_INT(chart_layout_cards(80, 21, 6, 38, 4, r6), 2);
    CHECK_INT(r6[5].h, 7);
    CHECK_INT(r6[5].y + r6[5].h, 21);
    CHECK_INT(r6[4].x, 0);
    /* Sixteen: cards stop at 4 rows and run past the bottom (scrolled). */
    CHECK_INT(chart_layout_cards(80, 21, 16, 38, 4, r6), 2);
    CHECK_INT(r6[15].h, 4);
    CHECK_INT(r6[15].y, 28);
    CHECK_INT(chart_layout_cards(80, 20, 0, 38, 10, r), 0);
}

static void test_series(void)
{
    static struct series s;
    double out[SERIES_CAP];
    series_init(&s);
    CHECK(isnan(series_latest(&s)));
    CHECK_INT(series_last(&s, out, 10), 0);
    for (int i = 0; i < SERIES_CAP + 5; i++)
        series_push(&s, i);
    CHECK_INT(s.len, SERIES_CAP);
    CHECK_NEAR(series_latest(&s), SERIES_CAP + 4, 0);
    CHECK_INT(series_last(&s, out, 3), 3);
    CHECK_NEAR(out[0], SERIES_CAP + 2, 0);
    CHECK_NEAR(out[2], SERIES_CAP + 4, 0);
    CHECK_INT(series_last(&s, out, SERIES_CAP * 2), SERIES_CAP);
    CHECK_NEAR(out[0], 5, 0);
    series_push(&s, NAN);
    CHECK_NEAR(series_max(&s, 3), SERIES_CAP + 4, 0);
    CHECK_NEAR(series_mean(&s, 3, 0), SERIES_CAP + 3.5, 1e-9);
    CHECK_NEAR(series_mean(&s, 3, 1), (2.0 * SERIES_CAP + 7) / 3, 1e-9);
    series_init(&s);
    series_push(&s, NAN);
    CHECK(isnan(series_mean(&s, 5, 0)));
    CHECK_NEAR(series_max(&s, 5), 0, 0);
}

int main(void)
{
    RUN(test_nice_max);
    RUN(test_formats);
    RUN(test_ascii_render);
    RUN(test_gaps_and_clamping);
    RUN(test_block_render);
    RUN(test_braille_render);
    RUN(test_render_rejects_small_buffer);
    RUN(test_sparkline_and_strip);
    RUN(test_axis_labels);
    RUN(test_layout_cards);
    RUN(test_series);
    return TEST_SUMMARY();
}
