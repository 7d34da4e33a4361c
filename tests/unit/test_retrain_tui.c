/* The dashboard's System view reads health "events" and "retrain" (feedback
 * events per second, queue depth, the last and next retraining). */
#include "test.h"

#include "tui/poller.h"
#include "tui/poller_json.h"

/* The dashboard reads health "events" and "retrain" (tui/poller_json.c). */
static void test_retrain_health_json(void)
{
    static struct region_view r; /* as the poller keeps it: zeroed, then updated */
    const char *h1 = "{\"uptime_s\":10,\"events\":{\"enabled\":true,\"stored\":100,"
                     "\"queued\":3,\"capacity\":65536},\"retrain\":{\"enabled\":true,"
                     "\"every_s\":86400,\"running\":false,\"next_in_s\":60,\"last\":null}}";
    const char *h2 = "{\"uptime_s\":12,\"events\":{\"enabled\":true,\"stored\":150,"
                     "\"queued\":0,\"capacity\":65536},\"retrain\":{\"enabled\":true,"
                     "\"every_s\":86400,\"running\":true,\"next_in_s\":null,\"last\":{"
                     "\"started\":\"2026-12-02T04:00:00Z\",\"outcome\":\"kept\",\"version\":7,"
                     "\"reason\":\"candidate hit-rate 0.1 < active 0.2\"}}}";
    CHECK_INT(poller_json_health(h1, &r), 0);
    CHECK(isnan(r.events_rate)); /* one sample: no rate yet */
    CHECK_INT(r.events_queued, 3);
    CHECK_INT(r.events_capacity, 65536);
    CHECK_INT(r.retrain_on, 1);
    CHECK_NEAR(r.retrain_next_s, 60, 0);
    CHECK_STR(r.retrain_last, "");
    CHECK_INT(poller_json_health(h2, &r), 0);
    CHECK_NEAR(r.events_rate, 25, 1e-9); /* 50 events in 2 s of the server's uptime */
    CHECK_INT(r.retrain_running, 1);
    CHECK(isnan(r.retrain_next_s));
    CHECK_STR(r.retrain_last, "2026-12-02T04:00:00Z kept v7: candidate hit-rate 0.1 < active 0.2");
    CHECK_INT(poller_json_health("{\"uptime_s\":1}", &r), 0); /* an older server */
    CHECK_INT(r.events_on, 0);
    CHECK_INT(r.retrain_on, 0);
}

int main(void)
{
    RUN(test_retrain_health_json);
    return TEST_SUMMARY();
}
