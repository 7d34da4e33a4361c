/* Chart rendering as pure functions (no curses): a series of samples becomes
 * rows of UTF-8 text (braille dots, block eighths or plain ASCII), plus the
 * scaling and the axis labels with units. The views print the rows as-is,
 * which keeps everything here unit-testable without a terminal. */
#ifndef RECSYS_TUI_CHART_H
#define RECSYS_TUI_CHART_H

#include <stddef.h>

enum chart_glyphs { CHART_ASCII, CHART_BLOCK, CHART_BRAILLE };

/* Status codes for chart_status_strip (same order as the poller's). */
enum chart_status { CHART_ST_NONE, CHART_ST_UP, CHART_ST_DEGRADED, CHART_ST_DOWN };

/* Bytes one cell may take (a braille or block glyph is 3 bytes of UTF-8). */
#define CHART_CELL_BYTES       3
#define CHART_ROW_BYTES(width) ((size_t)(width)*CHART_CELL_BYTES + 1)

/* Samples drawn per character cell: 2 for braille, 1 otherwise. */
int chart_samples_per_cell(enum chart_glyphs g);

/* The smallest "nice" axis maximum (1, 2, 2.5 or 5 times a power of ten) that
 * is >= v; 1 when v is not a positive finite number. */
double chart_nice_max(double v);

/* "0.21 ms", "1.9 ms", "120 ms", "1.5 s"; "-" for NAN. Always NUL-terminates. */
void chart_fmt_ms(double ms, char *buf, size_t n);
/* Compact count: "0", "4.1", "950", "1.2k", "3.4M"; "-" for NAN. */
void chart_fmt_num(double v, char *buf, size_t n);
/* Duration: "45s", "12m30s", "3h05m", "2d04h"; "-" for NAN or negative. */
void chart_fmt_duration(double s, char *buf, size_t n);

/* Renders the newest width*samples_per_cell values of v[0..n) (oldest first)
 * as an area chart of `height` rows scaled to [0, ymax]. Row i (0 = top) goes
 * to out + i*rowsz as a NUL-terminated UTF-8 string of exactly `width` cells;
 * the data is right-aligned (newest at the right edge), NAN leaves a gap and a
 * positive value always shows at least one dot. Returns 0, or -1 when
 * rowsz < CHART_ROW_BYTES(width) or a size is not positive. */
int chart_render(const double *v, size_t n, int width, int height, double ymax, enum chart_glyphs g,
                 char *out, size_t rowsz);

/* One-row chart of the newest `width` values (block eighths, or " .:-=+*#"). */
int chart_sparkline(const double *v, size_t n, int width, double ymax, enum chart_glyphs g,
                    char *out, size_t outsz);

/* One glyph per status sample, newest right-aligned: UP full block ('#'),
 * DEGRADED shade ('~'), DOWN 'x', none ' '. Shapes differ so the strip reads
 * without colour. */
int chart_status_strip(const int *st, size_t n, int width, enum chart_glyphs g, char *out,
                       size_t outsz);

/* Y-axis label for chart row `row` of `height`: the top row gets ymax, the
 * bottom row 0, the middle row ymax/2 (when height >= 3), others "". Values are
 * formatted with chart_fmt_ms when unit is "ms", else chart_fmt_num + unit. */
void chart_y_label(double ymax, int row, int height, const char *unit, char *buf, size_t n);

/* X-axis line of `width` cells: "now" at the right edge and "-30s", "-2m"...
 * at regular ticks, for a chart whose cells each hold `spc` samples taken
 * every interval_s seconds. Always NUL-terminates; pure ASCII. */
void chart_x_axis(int width, int spc, double interval_s, char *buf, size_t n);

/* Tiles `n` cards over an area of width w and height h: returns the number of
 * columns used and fills out[i] = {y, x, h, w} per card (relative to the
 * area). Cards are at least min_w wide and share the height equally; min_h is
 * the least height the caller can draw a card in: when even that does not
 * fit, cards keep min_h rows, pass the area's bottom and the caller scrolls
 * by card rows. */
struct chart_rect {
    int y, x, h, w;
};
int chart_layout_cards(int w, int h, int n, int min_w, int min_h, struct chart_rect *out);

#endif
