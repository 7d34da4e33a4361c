/* Ring buffer of samples for the charts (see series.h). */
#include "tui/series.h"

#include <math.h>

void series_init(struct series *s)
{
    s->head = 0;
    s->len = 0;
}

void series_push(struct series *s, double x)
{
    s->v[s->head] = x;
    s->head = (s->head + 1) % SERIES_CAP;
    if (s->len < SERIES_CAP)
        s->len++;
}

size_t series_last(const struct series *s, double *out, size_t n)
{
    if (n > s->len)
        n = s->len;
    size_t start = (s->head + SERIES_CAP - n) % SERIES_CAP;
    for (size_t i = 0; i < n; i++)
        out[i] = s->v[(start + i) % SERIES_CAP];
    return n;
}

double series_latest(const struct series *s)
{
    if (!s->len)
        return NAN;
    return s->v[(s->head + SERIES_CAP - 1) % SERIES_CAP];
}

double series_max(const struct series *s, size_t n)
{
    double buf[SERIES_CAP], m = 0;
    n = series_last(s, buf, n);
    for (size_t i = 0; i < n; i++)
        if (isfinite(buf[i]) && buf[i] > m)
            m = buf[i];
    return m;
}

double series_mean(const struct series *s, size_t n, int nan_as_zero)
{
    double buf[SERIES_CAP], sum = 0;
    size_t k = 0;
    n = series_last(s, buf, n);
    for (size_t i = 0; i < n; i++) {
        if (isfinite(buf[i])) {
            sum += buf[i];
            k++;
        } else if (nan_as_zero) {
            k++;
        }
    }
    return k ? sum / (double)k : NAN;
}
