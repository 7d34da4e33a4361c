/* Counters, quantiles and the Prometheus text. */
#include "net/metrics.h"
#include "test.h"

#include <stdlib.h>

static void test_quantiles(void)
{
    struct metrics m;
    metrics_init(&m);
    CHECK_NEAR(metrics_quantile(&m, 0.5), 0, 0);
    for (int i = 1; i <= 1000; i++) /* 10 us .. 10 ms, uniform */
        metrics_record(&m, ROUTE_HEALTH, 200, i * 1e-5);
    double p50 = metrics_quantile(&m, 0.5), p99 = metrics_quantile(&m, 0.99);
    CHECK_NEAR(p50, 5e-3, 5e-3 * 0.1);
    CHECK_NEAR(p99, 9.9e-3, 9.9e-3 * 0.1);
    CHECK_INT(m.total, 1000);
    CHECK_INT(m.errors, 0);
}

static void test_prometheus(void)
{
    struct metrics m;
    metrics_init(&m);
    metrics_record(&m, ROUTE_RECOMMEND, 200, 0.0004);
    metrics_record(&m, ROUTE_RECOMMEND, 200, 0.002);
    metrics_record(&m, ROUTE_OTHER, 404, 0.00001);
    metrics_record(&m, ROUTE_OTHER, 418, 2.0);
    struct metrics_extra x = {
        .cache_hits = 7, .cache_misses = 3, .model_version = 4, .uptime_s = 1.5};
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
    /* every non-comment line is "name{labels} value" */
    char *save, *line = strtok_r(b.p, "\n", &save);
    int bad = 0;
    while (line) {
        if (line[0] != '#') {
            char *sp = strrchr(line, ' ');
            char *end;
            if (!sp || !strchr(line, '{') || (strtod(sp + 1, &end), *end))
                bad++;
        }
        line = strtok_r(NULL, "\n", &save);
    }
    CHECK_INT(bad, 0);
    CHECK_INT(m.errors, 2);
    sbuf_free(&b);
    CHECK_STR(metrics_route_name(ROUTE_MODEL_ACTIVATE), "model_activate");
}

int main(void)
{
    RUN(test_quantiles);
    RUN(test_prometheus);
    return TEST_SUMMARY();
}
