/* Counters, quantiles and the Prometheus text. */
#include "net/metrics.h"
#include "test.h"

#include <stdlib.h>

static void test_quantiles(void)
{
    struct metrics m;
    metrics_init(&m, 10, 100);
    CHECK_NEAR(metrics_quantile(&m, 0.5), 0, 0);
    for (int i = 1; i <= 1000; i++) /* 10 us .. 10 ms, uniform */
        metrics_record(&m, ROUTE_HEALTH, 200, i * 1e-5, 100 + i * 1e-3);
    double p50 = metrics_quantile(&m, 0.5), p99 = metrics_quantile(&m, 0.99);
    CHECK_NEAR(p50, 5e-3, 5e-3 * 0.1);
    CHECK_NEAR(p99, 9.9e-3, 9.9e-3 * 0.1);
    CHECK_INT(m.total, 1000);
    CHECK_INT(m.errors, 0);
}

static void test_prometheus(void)
{
    struct metrics m;
    metrics_init(&m, 10, 0);
    metrics_record(&m, ROUTE_RECOMMEND, 200, 0.0004, 1);
    metrics_record(&m, ROUTE_RECOMMEND, 200, 0.002, 1);
    metrics_record(&m, ROUTE_OTHER, 404, 0.00001, 1);
    metrics_record(&m, ROUTE_OTHER, 418, 2.0, 1);
    struct metrics_extra x = {.cache_hits = 7,
                              .cache_misses = 3,
                              .model_version = 4,
                              .uptime_s = 1.5,
                              .log_written = 12,
                              .log_dropped = 345};
    struct sbuf b;
    sbuf_init(&b, 1 << 20);
    metrics_prometheus(&m, "us-west", &x, &b);
    CHECK(strstr(
        b.p, "recsys_requests_total{region=\"us-west\",route=\"recommend\",status=\"200\"} 2\n"));
    CHECK(strstr(b.p,
                 "recsys_requests_total{region=\"us-west\",route=\"other\",status=\"404\"} 1\n"));
    CHECK(strstr(b.p, "route=\"other\",status=\"other\"} 1\n"));
    CHECK(strstr(b.p,
                 "recsys_request_duration_seconds_bucket{region=\"us-west\",le=\"0.0005\"} 2\n"));
    CHECK(strstr(b.p, "recsys_request_duration_seconds_bucket{region=\"us-west\",le=\"1\"} 3\n"));
    CHECK(
        strstr(b.p, "recsys_request_duration_seconds_bucket{region=\"us-west\",le=\"+Inf\"} 4\n"));
    CHECK(strstr(b.p, "recsys_request_duration_seconds_count{region=\"us-west\"} 4\n"));
    CHECK(strstr(b.p, "recsys_cache_hits_total{region=\"us-west\"} 7\n"));
    CHECK(strstr(b.p, "recsys_cache_misses_total{region=\"us-west\"} 3\n"));
    CHECK(strstr(b.p, "recsys_model_version{region=\"us-west\"} 4\n"));
    CHECK(strstr(b.p, "recsys_uptime_seconds{region=\"us-west\"} 1.500\n"));
    CHECK(strstr(b.p, "# TYPE recsys_request_duration_seconds histogram\n"));
    CHECK(strstr(b.p, "\nrecsys_log_lines_total 12\n"));
    CHECK(strstr(b.p, "\nrecsys_log_dropped_total 345\n"));
    CHECK(strstr(b.p, "# TYPE recsys_log_dropped_total counter\n"));
    /* every non-comment line is "name{labels} value", or "recsys_log_* value" (process-wide) */
    char *save, *line = strtok_r(b.p, "\n", &save);
    int bad = 0;
    while (line) {
        if (line[0] != '#') {
            char *sp = strrchr(line, ' ');
            char *end;
            if (!sp || (!strchr(line, '{') && strncmp(line, "recsys_log_", 11)) ||
                (strtod(sp + 1, &end), *end))
                bad++;
        }
        line = strtok_r(NULL, "\n", &save);
    }
    CHECK_INT(bad, 0);
    CHECK_INT(m.errors, 2);
    sbuf_free(&b);
    CHECK_STR(metrics_route_name(ROUTE_MODEL_ACTIVATE), "model_activate");
}

/* The rolling window at synthetic monotonic times: old requests fall out, the rate and the
 * quantiles are those of the window, and the lifetime figures keep everything. */
static void test_window(void)
{
    struct metrics m;
    metrics_init(&m, 10, 1000); /* a 10 s window, slots of 0.5 s, started at t = 1000 */
    struct metrics_window w;
    metrics_window(&m, 1000, &w);
    CHECK_INT(w.requests, 0);
    CHECK_NEAR(w.per_second, 0, 0);
    CHECK_NEAR(w.p99, 0, 0);
    /* a slow burst at t = 1001: 100 requests of 500 ms, two of them errors */
    for (int i = 0; i < 100; i++)
        metrics_record(&m, ROUTE_RECOMMEND, i < 2 ? 500 : 200, 0.5, 1001 + i * 1e-3);
    metrics_window(&m, 1002, &w);
    CHECK_INT(w.requests, 100);
    CHECK_INT(w.errors, 2);
    CHECK_NEAR(w.seconds, 2, 1e-9); /* only two seconds since the start */
    CHECK_NEAR(w.per_second, 50, 1e-9);
    CHECK_NEAR(w.p99, 0.5, 0.5 * 0.1);
    CHECK_NEAR(w.p50, 0.5, 0.5 * 0.1);
    /* then quiet traffic of 1 ms, ten per second, from t = 1005 to t = 1030 */
    int s = 0;
    for (; s < 30; s++)
        metrics_record(&m, ROUTE_HEALTH, 200, 0.001, 1005 + s * 0.1);
    /* at t = 1008 the burst is still in the window */
    metrics_window(&m, 1008, &w);
    CHECK_INT(w.requests, 100 + 30);
    CHECK_NEAR(w.p99, 0.5, 0.5 * 0.1);
    for (; s < 250; s++)
        metrics_record(&m, ROUTE_HEALTH, 200, 0.001, 1005 + s * 0.1);
    /* at t = 1030.05 the window is (1020.5 .. 1030.05]: the burst has fallen out */
    metrics_window(&m, 1030.05, &w);
    CHECK(w.seconds > 9.5 - 1e-9 && w.seconds <= 10);
    CHECK_NEAR(w.per_second, 10, 0.6);
    CHECK_NEAR(w.p99, 0.001, 0.001 * 0.1);
    CHECK_NEAR(w.p50, 0.001, 0.001 * 0.1);
    CHECK_INT(w.errors, 0);
    /* the lifetime figures keep the burst */
    CHECK_INT(m.total, 350);
    CHECK_INT(m.errors, 2);
    CHECK_NEAR(metrics_quantile(&m, 0.99), 0.5, 0.5 * 0.1);
    /* a long silence empties the window; slots are reused, never double counted */
    metrics_window(&m, 1100, &w);
    CHECK_INT(w.requests, 0);
    CHECK_NEAR(w.p99, 0, 0);
    metrics_record(&m, ROUTE_HEALTH, 200, 0.002, 1100.2);
    metrics_window(&m, 1100.3, &w);
    CHECK_INT(w.requests, 1);
    /* a sample is counted for less than the window, and for at least 95% of it */
    metrics_window(&m, 1100.2 + 9.4, &w);
    CHECK_INT(w.requests, 1);
    metrics_window(&m, 1100.2 + 10.01, &w);
    CHECK_INT(w.requests, 0);
    /* out-of-range windows are clamped */
    metrics_init(&m, 0, 0);
    CHECK_NEAR(m.window_s, 1, 0);
    metrics_init(&m, 1e9, 0);
    CHECK_NEAR(m.window_s, METRICS_WINDOW_MAX, 0);
}

int main(void)
{
    RUN(test_quantiles);
    RUN(test_prometheus);
    RUN(test_window);
    return TEST_SUMMARY();
}
