#include "util/progress.h"
#include "util/clock.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int quiet_forced;

void progress_set_quiet(int quiet)
{
    quiet_forced = quiet;
}

static void draw(struct progress *p, int final)
{
    double elapsed = clock_monotonic() - p->started;
    double rate = elapsed > 0 ? (double)p->items / elapsed : 0;
    if (p->total && !final)
        fprintf(stderr, "\r  %-28s %10llu rows %5.1f%%  %9.0f rows/s", p->label,
                (unsigned long long)p->items, 100.0 * (double)p->done / (double)p->total, rate);
    else
        fprintf(stderr, "\r  %-28s %10llu rows %6.2fs  %9.0f rows/s%s", p->label,
                (unsigned long long)p->items, elapsed, rate, final ? "\n" : "");
    fflush(stderr);
}

void progress_begin(struct progress *p, const char *label, uint64_t total)
{
    p->enabled = !quiet_forced && isatty(STDERR_FILENO);
    p->label = label;
    p->total = total;
    p->done = p->items = 0;
    p->started = p->last_draw = clock_monotonic();
}

void progress_update(struct progress *p, uint64_t done, uint64_t items)
{
    p->done = done;
    p->items = items;
    if (!p->enabled)
        return;
    double now = clock_monotonic();
    if (now - p->last_draw < 0.1)
        return;
    p->last_draw = now;
    draw(p, 0);
}

void progress_end(struct progress *p)
{
    if (p->enabled)
        draw(p, 1);
}
