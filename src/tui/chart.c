/* Pure chart rendering (see chart.h). Braille: each cell is 2x4 dots, so a
 * row of W cells shows 2W samples at 4 levels per row; blocks use the eighth
 * glyphs U+2581..U+2588; ASCII uses '#' and '.' (half cell). */
#include "tui/chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int chart_samples_per_cell(enum chart_glyphs g)
{
    return g == CHART_BRAILLE ? 2 : 1;
}

double chart_nice_max(double v)
{
    static const double steps[] = {1, 2, 2.5, 5, 10};
    if (!isfinite(v) || v <= 0)
        return 1;
    double p = pow(10, floor(log10(v)));
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] * p >= v * (1 - 1e-12))
            return steps[i] * p;
    return 10 * p;
}

void chart_fmt_ms(double ms, char *buf, size_t n)
{
    if (!isfinite(ms))
        snprintf(buf, n, "-");
    else if (ms < 10)
        snprintf(buf, n, "%.2f ms", ms);
    else if (ms < 100)
        snprintf(buf, n, "%.1f ms", ms);
    else if (ms < 1000)
        snprintf(buf, n, "%.0f ms", ms);
    else
        snprintf(buf, n, "%.1f s", ms / 1000);
}

void chart_fmt_num(double v, char *buf, size_t n)
{
    double a = fabs(v);
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else if (a >= 1e6)
        snprintf(buf, n, "%.1fM", v / 1e6);
    else if (a >= 1e4)
        snprintf(buf, n, "%.0fk", v / 1e3);
    else if (a >= 1e3)
        snprintf(buf, n, "%.1fk", v / 1e3);
    else if (a >= 100 || v == floor(v))
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.1f", v);
}

void chart_fmt_duration(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "-");
        return;
    }
    /* Capped at 2e9 s (63 years): every form then fits a 16-byte buffer. */
    int t = s < 2e9 ? (int)s : 2000000000;
    if (t < 60)
        snprintf(buf, n, "%ds", t);
    else if (t < 3600)
        snprintf(buf, n, "%dm%02ds", t / 60, t % 60);
    else if (t < 86400)
        snprintf(buf, n, "%dh%02dm", t / 3600, t % 3600 / 60);
    else
        snprintf(buf, n, "%dd%02dh", t / 86400, t % 86400 / 3600);
}

/* Appends the UTF-8 encoding of a BMP code point; returns bytes written. */
static int put_utf8(char *p, unsigned cp)
{
    if (cp < 0x80) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (char)(0xC0 | (cp >> 6));
        p[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    p[0] = (char)(0xE0 | (cp >> 12));
    p[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    p[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Level 0..levels of one sample; -1 for a gap. Positive values show >= 1. */
static int level_of(double x, double ymax, int levels)
{
    if (!isfinite(x))
        return -1;
    if (x <= 0 || ymax <= 0)
        return 0;
    int l = (int)lround(x / ymax * levels);
    if (l < 1)
        l = 1;
    return l > levels ? levels : l;
}

/* Sample for slot `slot` of `slots` (right-aligned), or NAN when before the data. */
static double sample_at(const double *v, size_t n, int slot, int slots)
{
    long i = (long)n - (long)slots + slot;
    return i >= 0 && i < (long)n ? v[i] : NAN;
}

int chart_render(const double *v, size_t n, int width, int height, double ymax, enum chart_glyphs g,
                 char *out, size_t rowsz)
{
    static const unsigned bits[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};
    if (width <= 0 || height <= 0 || rowsz < CHART_ROW_BYTES(width))
        return -1;
    int spc = chart_samples_per_cell(g);
    int per_row = g == CHART_BRAILLE ? 4 : g == CHART_BLOCK ? 8 : 2;
    int levels = per_row * height, slots = width * spc;
    for (int r = 0; r < height; r++) {
        char *p = out + (size_t)r * rowsz;
        int base = (height - 1 - r) * per_row; /* levels below this row */
        for (int c = 0; c < width; c++) {
            if (g == CHART_BRAILLE) {
                unsigned mask = 0;
                for (int k = 0; k < 2; k++) {
                    int l = level_of(sample_at(v, n, c * 2 + k, slots), ymax, levels);
                    for (int d = 0; d < 4; d++) /* d = 0 is the top dot row */
                        if (l >= base + (4 - d))
                            mask |= bits[k][d];
                }
                p += mask ? put_utf8(p, 0x2800 + mask) : put_utf8(p, ' ');
                continue;
            }
            int fill = level_of(sample_at(v, n, c, slots), ymax, levels) - base;
            if (g == CHART_BLOCK)
                p += fill >= 8  ? put_utf8(p, 0x2588)
                     : fill > 0 ? put_utf8(p, 0x2580 + (unsigned)fill)
                                : put_utf8(p, ' ');
            else
                *p++ = fill >= 2 ? '#' : fill == 1 ? '.' : ' ';
        }
        *p = '\0';
    }
    return 0;
}

int chart_sparkline(const double *v, size_t n, int width, double ymax, enum chart_glyphs g,
                    char *out, size_t outsz)
{
    static const char ascii[] = " .:-=+*#";
    if (width <= 0 || outsz < CHART_ROW_BYTES(width))
        return -1;
    char *p = out;
    for (int c = 0; c < width; c++) {
        int l = level_of(sample_at(v, n, c, width), ymax, 8);
        if (l <= 0)
            *p++ = ' ';
        else if (g == CHART_ASCII)
            *p++ = ascii[l > 7 ? 7 : l];
        else
            p += put_utf8(p, 0x2580 + (unsigned)l);
    }
    *p = '\0';
    return 0;
}

int chart_status_strip(const int *st, size_t n, int width, enum chart_glyphs g, char *out,
                       size_t outsz)
{
    if (width <= 0 || outsz < CHART_ROW_BYTES(width))
        return -1;
    char *p = out;
    for (int c = 0; c < width; c++) {
        long i = (long)n - width + c;
        int s = i >= 0 ? st[i] : CHART_ST_NONE;
        if (s == CHART_ST_UP)
            p += g == CHART_ASCII ? put_utf8(p, '#') : put_utf8(p, 0x2588);
        else if (s == CHART_ST_DEGRADED)
            p += g == CHART_ASCII ? put_utf8(p, '~') : put_utf8(p, 0x2592);
        else if (s == CHART_ST_DOWN)
            *p++ = 'x';
        else
            *p++ = ' ';
    }
    *p = '\0';
    return 0;
}

void chart_y_label(double ymax, int row, int height, const char *unit, char *buf, size_t n)
{
    double val;
    if (row == 0)
        val = ymax;
    else if (row == height - 1)
        val = 0;
    else if (height >= 3 && row == (height - 1) / 2)
        val = ymax * (height - 1 - row) / (height - 1);
    else {
        if (n)
            buf[0] = '\0';
        return;
    }
    if (unit && !strcmp(unit, "ms")) {
        chart_fmt_ms(val, buf, n);
    } else {
        char num[32];
        chart_fmt_num(val, num, sizeof num);
        snprintf(buf, n, "%s%s", num, unit ? unit : "");
    }
}

void chart_x_axis(int width, int spc, double interval_s, char *buf, size_t n)
{
    if (!n)
        return;
    if (width <= 0 || (size_t)width >= n) {
        buf[0] = '\0';
        return;
    }
    memset(buf, ' ', (size_t)width);
    buf[width] = '\0';
    if (width >= 3)
        memcpy(buf + width - 3, "now", 3);
    int tick = width >= 40 ? width / 4 : width / 2;
    if (tick < 8)
        return;
    for (int col = width - tick; col >= 0; col -= tick) {
        char lab[16], d[16];
        double age = (double)(width - col) * spc * interval_s;
        chart_fmt_duration(age, d, sizeof d);
        int len = snprintf(lab, sizeof lab, "-%s", d);
        int at = col - len / 2;
        if (at < 0 || at + len > width - 4)
            continue;
        memcpy(buf + at, lab, (size_t)len);
    }
}

int chart_layout_cards(int w, int h, int n, int min_w, int min_h, struct chart_rect *out)
{
    if (n <= 0)
        return 0;
    int cols = w / (min_w > 0 ? min_w : 1);
    if (cols < 1)
        cols = 1;
    if (cols > n)
        cols = n;
    /* Prefer a balanced grid (2x2 over 3+1) unless one row fits all. */
    if (cols < n && cols > 1)
        while (cols > 1 && (n + cols - 1) / cols == (n + cols - 2) / (cols - 1))
            cols--;
    int rows = (n + cols - 1) / cols;
    int ch = h / rows;
    if (ch < min_h)
        ch = min_h;
    for (int i = 0; i < n; i++) {
        int r = i / cols, c = i % cols;
        int x0 = w * c / cols, x1 = w * (c + 1) / cols;
        out[i].y = r * ch;
        out[i].x = x0;
        out[i].h = ch;
        out[i].w = x1 - x0;
    }
    return cols;
}
