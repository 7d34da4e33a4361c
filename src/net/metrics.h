/* Per-region request counters and latency histograms, rendered as
 * Prometheus text. Not thread-safe: each region updates its own under its
 * lock. */
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
    ROUTE_OTHER, /* no route matched, or the request did not parse */
    ROUTE_COUNT
};

#define METRICS_STATUSES     14 /* 200 400 401 404 405 408 413 429 431 500 501 503 505 other */
#define METRICS_PROM_BUCKETS 14
#define METRICS_QBUCKETS     256 /* log-spaced, 8 per octave from 1 us */

struct metrics {
    uint64_t count[ROUTE_COUNT][METRICS_STATUSES];
    uint64_t total, errors;              /* errors: status >= 400 */
    uint64_t prom[METRICS_PROM_BUCKETS]; /* non-cumulative; last is +Inf */
    uint64_t qhist[METRICS_QBUCKETS];
    double sum_seconds;
};

/* Extra gauges the region passes in when rendering. */
struct metrics_extra {
    uint64_t cache_hits, cache_misses;
    double cache_size;
    int64_t model_version;
    double uptime_s;
    int degraded;
};

const char *metrics_route_name(int route);
void metrics_init(struct metrics *m);
void metrics_record(struct metrics *m, int route, int status, double seconds);
/* Latency quantile (q in 0..1) in seconds from the log histogram: accurate to
 * one bucket (~9%); 0 when nothing was recorded. */
double metrics_quantile(const struct metrics *m, double q);
/* Appends the Prometheus exposition text for this region to out. */
void metrics_prometheus(const struct metrics *m, const char *region, const struct metrics_extra *x,
                        struct sbuf *out);

#endif
