/* Counters and histograms (see metrics.h). */
#include "net/metrics.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const char *const route_names[ROUTE_COUNT] = {
    "health",         "recommend",      "stats",   "user",    "product", "models",
    "model_activate", "model_rollback", "metrics", "openapi", "docs",    "events", "experiments", "insights", "audience", "other",
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

void metrics_init(struct metrics *m, double window_s, double now)
{
    memset(m, 0, sizeof *m);
    if (!(window_s >= 1))
        window_s = 1;
    if (window_s > METRICS_WINDOW_MAX)
        window_s = METRICS_WINDOW_MAX;
    m->window_s = window_s;
    m->slot_s = window_s / METRICS_SLOTS;
    m->started = now;
    for (int i = 0; i < METRICS_SLOTS; i++)
        m->slot[i].epoch = INT64_MIN; /* empty */
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

static int64_t slot_epoch(const struct metrics *m, double now)
{
    return (int64_t)floor(now / m->slot_s);
}

void metrics_record(struct metrics *m, int route, int status, double seconds, double now)
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
    int q = qbucket(seconds);
    m->qhist[q]++;
    m->sum_seconds += seconds;
    int64_t e = slot_epoch(m, now);
    struct metrics_slot *sl = &m->slot[(uint64_t)e % METRICS_SLOTS];
    if (sl->epoch != e) { /* a slot from a window ago: reuse it */
        memset(sl, 0, sizeof *sl);
        sl->epoch = e;
    }
    sl->count++;
    if (status >= 400)
        sl->errors++;
    sl->qhist[q]++;
}

static double hist_quantile(const uint64_t *hist, uint64_t total, double q)
{
    if (total == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)total);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int i = 0; i < METRICS_QBUCKETS; i++) {
        seen += hist[i];
        if (seen >= rank) /* geometric middle of the bucket */
            return i == 0 ? 1e-6 : pow(2.0, (i + 0.5) / 8.0) * 1e-6;
    }
    return pow(2.0, METRICS_QBUCKETS / 8.0) * 1e-6;
}

double metrics_quantile(const struct metrics *m, double q)
{
    return hist_quantile(m->qhist, m->total, q);
}

void metrics_window(const struct metrics *m, double now, struct metrics_window *out)
{
    memset(out, 0, sizeof *out);
    if (now < m->started)
        now = m->started;
    int64_t e = slot_epoch(m, now);
    uint64_t hist[METRICS_QBUCKETS] = {0};
    for (int i = 0; i < METRICS_SLOTS; i++) {
        const struct metrics_slot *sl = &m->slot[i];
        if (sl->epoch > e || sl->epoch <= e - METRICS_SLOTS)
            continue; /* empty, or older than the window */
        out->requests += sl->count;
        out->errors += sl->errors;
        for (int b = 0; b < METRICS_QBUCKETS; b++)
            hist[b] += sl->qhist[b];
    }
    /* the window's slots start at (e - SLOTS + 1) * slot_s */
    double span = now - (double)(e - METRICS_SLOTS + 1) * m->slot_s;
    if (span > now - m->started)
        span = now - m->started;
    out->seconds = span;
    out->per_second = span > 0 ? (double)out->requests / span : 0;
    out->p50 = hist_quantile(hist, out->requests, 0.5);
    out->p99 = hist_quantile(hist, out->requests, 0.99);
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
                "# HELP recsys_cache_bytes Bytes held by the recommendation cache.\n"
                "# TYPE recsys_cache_bytes gauge\n"
                "recsys_cache_bytes{region=\"%s\"} %.0f\n"
                "# HELP recsys_model_version Active model version (0: fallback or none).\n"
                "# TYPE recsys_model_version gauge\n"
                "recsys_model_version{region=\"%s\"} %lld\n"
                "# HELP recsys_up 1 when healthy, 0 when degraded.\n"
                "# TYPE recsys_up gauge\n"
                "recsys_up{region=\"%s\"} %d\n"
                "# HELP recsys_uptime_seconds Seconds since the region started.\n"
                "# TYPE recsys_uptime_seconds gauge\n"
                "recsys_uptime_seconds{region=\"%s\"} %.3f\n",
                region, x->cache_size, region, x->cache_bytes, region, (long long)x->model_version,
                region, x->degraded ? 0 : 1, region, x->uptime_s);
    /* process-wide: the same in every region's exposition, so no region label */
    sbuf_printf(out,
                "# HELP recsys_log_lines_total Structured log lines written to the sink.\n"
                "# TYPE recsys_log_lines_total counter\n"
                "recsys_log_lines_total %llu\n"
                "# HELP recsys_log_dropped_total Log lines dropped: the sink was too slow or "
                "failed.\n"
                "# TYPE recsys_log_dropped_total counter\n"
                "recsys_log_dropped_total %llu\n",
                (unsigned long long)x->log_written, (unsigned long long)x->log_dropped);
}
