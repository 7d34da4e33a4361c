/* Counters and histograms (see metrics.h). */
#include "net/metrics.h"

#include <math.h>
#include <string.h>

static const char *const route_names[ROUTE_COUNT] = {
    "health",         "recommend",      "stats",   "user",    "product", "models",
    "model_activate", "model_rollback", "metrics", "openapi", "docs",    "other",
};

static const int statuses[METRICS_STATUSES - 1] = {200, 400, 401, 404, 405, 408, 413,
                                                   429, 431, 500, 501, 503, 505};

/* Upper bounds in seconds; the last bucket (+Inf) is implicit. */
static const double prom_bounds[METRICS_PROM_BUCKETS - 1] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};

const char *metrics_route_name(int route)
{
    return route >= 0 && route < ROUTE_COUNT ? route_names[route] : "other";
}

void metrics_init(struct metrics *m)
{
    memset(m, 0, sizeof *m);
}

static int status_index(int status)
{
    for (int i = 0; i < METRICS_STATUSES - 1; i++)
        if (statuses[i] == status)
            return i;
    return METRICS_STATUSES - 1;
}

/* Bucket i covers [2^(i/8), 2^((i+1)/8)) microseconds; below 1 us is bucket 0. */
static int qbucket(double seconds)
{
    double us = seconds * 1e6;
    if (!(us > 1))
        return 0;
    int i = (int)(log2(us) * 8);
    return i >= METRICS_QBUCKETS ? METRICS_QBUCKETS - 1 : i;
}

void metrics_record(struct metrics *m, int route, int status, double seconds)
{
    if (route < 0 || route >= ROUTE_COUNT)
        route = ROUTE_OTHER;
    if (seconds < 0)
        seconds = 0;
    m->count[route][status_index(status)]++;
    m->total++;
    if (status >= 400)
        m->errors++;
    int b = 0;
    while (b < METRICS_PROM_BUCKETS - 1 && seconds > prom_bounds[b])
        b++;
    m->prom[b]++;
    m->qhist[qbucket(seconds)]++;
    m->sum_seconds += seconds;
}

double metrics_quantile(const struct metrics *m, double q)
{
    if (m->total == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)m->total);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < METRICS_QBUCKETS; i++) {
        seen += m->qhist[i];
        if (seen >= rank) /* geometric middle of the bucket */
            return i == 0 ? 1e-6 : pow(2.0, (i + 0.5) / 8.0) * 1e-6;
    }
    return pow(2.0, METRICS_QBUCKETS / 8.0) * 1e-6;
}

void metrics_prometheus(const struct metrics *m, const char *region, const struct metrics_extra *x,
                        struct sbuf *out)
{
    sbuf_puts(out, "# HELP recsys_requests_total HTTP requests by route and status.\n"
                   "# TYPE recsys_requests_total counter\n");
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (int s = 0; s < METRICS_STATUSES; s++)
            if (m->count[r][s]) {
                if (s < METRICS_STATUSES - 1)
                    sbuf_printf(out,
                                "recsys_requests_total{region=\"%s\",route=\"%s\",status=\"%d\"} "
                                "%llu\n",
                                region, route_names[r], statuses[s],
                                (unsigned long long)m->count[r][s]);
                else
                    sbuf_printf(
                        out,
                        "recsys_requests_total{region=\"%s\",route=\"%s\",status=\"other\"} "
                        "%llu\n",
                        region, route_names[r], (unsigned long long)m->count[r][s]);
            }
    sbuf_puts(out, "# HELP recsys_request_duration_seconds Time to build a response.\n"
                   "# TYPE recsys_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (int b = 0; b < METRICS_PROM_BUCKETS; b++) {
        cum += m->prom[b];
        if (b < METRICS_PROM_BUCKETS - 1)
            sbuf_printf(out,
                        "recsys_request_duration_seconds_bucket{region=\"%s\",le=\"%g\"} %llu\n",
                        region, prom_bounds[b], (unsigned long long)cum);
        else
            sbuf_printf(out,
                        "recsys_request_duration_seconds_bucket{region=\"%s\",le=\"+Inf\"} %llu\n",
                        region, (unsigned long long)cum);
    }
    sbuf_printf(out, "recsys_request_duration_seconds_sum{region=\"%s\"} %.9f\n", region,
                m->sum_seconds);
    sbuf_printf(out, "recsys_request_duration_seconds_count{region=\"%s\"} %llu\n", region,
                (unsigned long long)m->total);
    sbuf_printf(out,
                "# HELP recsys_cache_hits_total Recommendation cache hits.\n"
                "# TYPE recsys_cache_hits_total counter\n"
                "recsys_cache_hits_total{region=\"%s\"} %llu\n"
                "# HELP recsys_cache_misses_total Recommendation cache misses.\n"
                "# TYPE recsys_cache_misses_total counter\n"
                "recsys_cache_misses_total{region=\"%s\"} %llu\n",
                region, (unsigned long long)x->cache_hits, region,
                (unsigned long long)x->cache_misses);
    sbuf_printf(out,
                "# HELP recsys_cache_entries Entries in the recommendation cache.\n"
                "# TYPE recsys_cache_entries gauge\n"
                "recsys_cache_entries{region=\"%s\"} %.0f\n"
                "# HELP recsys_model_version Active model version (0: fallback or none).\n"
                "# TYPE recsys_model_version gauge\n"
                "recsys_model_version{region=\"%s\"} %lld\n"
                "# HELP recsys_up 1 when healthy, 0 when degraded.\n"
                "# TYPE recsys_up gauge\n"
                "recsys_up{region=\"%s\"} %d\n"
                "# HELP recsys_uptime_seconds Seconds since the region started.\n"
                "# TYPE recsys_uptime_seconds gauge\n"
                "recsys_uptime_seconds{region=\"%s\"} %.3f\n",
                region, x->cache_size, region, (long long)x->model_version, region,
                x->degraded ? 0 : 1, region, x->uptime_s);
}
