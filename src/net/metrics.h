/* Per-region request counters and latency histograms, rendered as
 * Prometheus text, and the same figures over a rolling window (the last
 * `stats_window` seconds) for /health. Not thread-safe: each region updates
 * its own under its lock. Every time is monotonic seconds (clock_monotonic). */
#ifndef RECSYS_NET_METRICS_H
#define RECSYS_NET_METRICS_H

#include <stdint.h>

#include "util/sbuf.h"

enum metrics_route {
    ROUTE_HEALTH,
    ROUTE_RECOMMEND,
    ROUTE_STATS,
    ROUTE_USER,
    ROUTE_PRODUCT,
    ROUTE_MODELS,
    ROUTE_MODEL_ACTIVATE,
    ROUTE_MODEL_ROLLBACK,
    ROUTE_METRICS,
    ROUTE_OPENAPI,
    ROUTE_DOCS,
    ROUTE_EVENTS, /* POST /api/v1/events */
    ROUTE_EXPERIMENTS, /* /api/v1/experiments[/{name}[/stop|/promote]] */
    ROUTE_INSIGHTS,    /* GET /api/v1/insights */
    ROUTE_AUDIENCE,    /* GET /api/v1/products/{id}/audience */
    ROUTE_OTHER, /* no route matched, or the request did not parse */
    ROUTE_COUNT
};

#define METRICS_STATUSES     14 /* 200 400 401 404 405 408 413 429 431 500 501 503 505 other */
#define METRICS_PROM_BUCKETS 14
#define METRICS_QBUCKETS     256 /* log-spaced, 8 per octave from 1 us */
#define METRICS_SLOTS        20  /* the window is cut in this many slots */
#define METRICS_WINDOW_MAX   3600.0

/* The requests of one slot of the window: slot number `epoch` = floor(time / slot_s). */
struct metrics_slot {
    int64_t epoch;
    uint32_t count, errors;
    uint32_t qhist[METRICS_QBUCKETS];
};

struct metrics {
    uint64_t count[ROUTE_COUNT][METRICS_STATUSES];
    uint64_t total, errors;              /* errors: status >= 400 */
    uint64_t prom[METRICS_PROM_BUCKETS]; /* non-cumulative; last is +Inf */
    uint64_t qhist[METRICS_QBUCKETS];
    double sum_seconds;
    double started, window_s, slot_s; /* monotonic seconds */
    struct metrics_slot slot[METRICS_SLOTS];
};

/* The figures of the last window_s seconds (or since the start, if shorter). */
struct metrics_window {
    double seconds; /* the span covered: min(window, time since start) */
    uint64_t requests, errors;
    double per_second; /* requests / seconds */
    double p50, p99;   /* seconds; 0 when nothing in the window */
};

/* Extra gauges the region passes in when rendering. */
struct metrics_extra {
    uint64_t cache_hits, cache_misses;
    double cache_size;
    double cache_bytes; /* bytes held by the cache (cache_bytes bounds it) */
    int64_t model_version;
    double uptime_s;
    int degraded;
    uint64_t log_written, log_dropped; /* the process-wide structured log */
};

const char *metrics_route_name(int route);
/* Zeroes m; window_s (clamped to 1..METRICS_WINDOW_MAX) is the rolling window, now the
 * monotonic start time. */
void metrics_init(struct metrics *m, double window_s, double now);
/* Counts one request that took `seconds` and finished at monotonic time `now`. */
void metrics_record(struct metrics *m, int route, int status, double seconds, double now);
/* Lifetime latency quantile (q in 0..1) in seconds from the log histogram:
 * accurate to one bucket (~9%); 0 when nothing was recorded. */
double metrics_quantile(const struct metrics *m, double q);
/* The rolling-window figures at monotonic time now. The window moves in slots of
 * window_s / METRICS_SLOTS: a request is counted until at most window_s after it finished
 * and at least window_s * (1 - 1/METRICS_SLOTS). */
void metrics_window(const struct metrics *m, double now, struct metrics_window *out);
/* Appends the Prometheus exposition text for this region to out. */
void metrics_prometheus(const struct metrics *m, const char *region, const struct metrics_extra *x,
                        struct sbuf *out);

#endif
