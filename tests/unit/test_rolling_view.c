/* The Data & evaluation view's pure parts: parsing a GET /api/v1/insights
 * body (full, without a model or rolling run, an error body) and the bars. */
#include <math.h>
#include <string.h>

#include "tui/insfetch.h"
#include "tui/view_insights.h"
#include "test.h"

static const char FULL[] =
    "{\"orders_per_month\":[{\"month\":\"2018-01\",\"orders\":85},{\"month\":\"2018-02\","
    "\"orders\":96}],\"top_categories\":[{\"category\":\"bed_bath_table\",\"items\":11115,"
    "\"orders\":9417,\"revenue\":1.5}],\"states\":[{\"state\":\"SP\",\"customers\":40302,"
    "\"orders\":41746}],\"cleaning\":[{\"file\":\"a.csv\",\"rule\":\"rows_loaded\",\"count\":9,"
    "\"detail\":null},{\"file\":\"a.csv\",\"rule\":\"price_outlier_flagged\",\"count\":1966,"
    "\"detail\":\"x\"}],\"dataset\":{\"dataset\":\"real\",\"ingested_at\":\"2026-12-02 04:36:50\","
    "\"orders\":99441,\"customers\":96096,\"products\":32951,\"order_items\":112650,"
    "\"sellers\":3095,\"interactions\":110158},\"model\":{\"version\":3,\"algorithm\":\"hybrid\","
    "\"cutoff\":\"2018-01-01\",\"created_at\":\"x\",\"metrics\":{\"model\":{\"all\":{\"hit_rate\":"
    "0.0229},\"warm\":{\"hit_rate\":0.032}},\"repurchase\":{\"all\":{\"hit_rate\":0.0236},"
    "\"warm\":{\"hit_rate\":0.0823}},\"baseline\":{\"all\":{\"hit_rate\":0.0221},\"warm\":"
    "{\"hit_rate\":0.0229}}}},\"rolling\":{\"run_id\":2,\"created_at\":\"x\",\"k\":10,\"months\":2,"
    "\"interval\":\"wilson95\",\"rows\":["
    "{\"month\":\"2018-01\",\"algorithm\":\"usercf\",\"segment\":\"all\",\"users\":100,\"hits\":4,"
    "\"hit_rate\":0.04},"
    "{\"month\":\"2018-01\",\"algorithm\":\"usercf\",\"segment\":\"warm\",\"users\":10,\"hits\":1,"
    "\"hit_rate\":0.1},"
    "{\"month\":\"2018-01\",\"algorithm\":\"oracle\",\"segment\":\"all\",\"users\":100,\"hits\":6,"
    "\"hit_rate\":0.06},"
    "{\"month\":\"2018-02\",\"algorithm\":\"usercf\",\"segment\":\"all\",\"users\":300,\"hits\":6,"
    "\"hit_rate\":0.02}]},\"build_ms\":12}";

static void test_parse_full(void)
{
    static struct ins_data d;
    CHECK_INT(insfetch_parse(FULL, strlen(FULL), &d), 0);
    CHECK_INT(d.state, INS_OK);
    CHECK_STR(d.dataset, "real");
    CHECK_NEAR(d.orders, 99441, 0);
    CHECK_INT(d.n_months, 2);
    CHECK_STR(d.month[1], "2018-02");
    CHECK_NEAR(d.month_orders[1], 96, 0);
    CHECK_STR(d.cat[0], "bed_bath_table");
    CHECK_STR(d.st[0], "SP");
    CHECK_NEAR(d.st_orders[0], 41746, 0);
    CHECK_INT(d.n_clean, 1); /* rows_loaded is not a cleaning step */
    CHECK_STR(d.clean_rule[0], "price_outlier_flagged");
    CHECK_INT(d.model_version, 3);
    CHECK_INT(d.n_model, 3);
    CHECK_STR(d.model[1].name, "hybrid+repurchase");
    CHECK_NEAR(d.model[1].hr_warm, 0.0823, 1e-12);
    CHECK_INT(d.run_id, 2);
    CHECK_INT(d.n_rmonths, 2);
    CHECK_INT(d.n_algos, 2);
    CHECK_STR(d.algo[1], "oracle");
    CHECK_NEAR(d.hr_all[0][1], 0.02, 1e-12);
    CHECK(isnan(d.hr_all[1][1]));                                  /* no oracle row for 2018-02 */
    CHECK_NEAR(d.hits_all[0] / d.users_all[0], 10.0 / 400, 1e-12); /* pooled: 4+6 of 100+300 */
    CHECK_NEAR(d.users_warm[0], 10, 0);
}

static void test_parse_empty_and_error(void)
{
    static struct ins_data d;
    const char *bare = "{\"orders_per_month\":[],\"model\":null,\"rolling\":null}";
    CHECK_INT(insfetch_parse(bare, strlen(bare), &d), 0);
    CHECK_INT(d.n_model, 0);
    CHECK_INT(d.run_id, 0);
    const char *err = "{\"error\":{\"status\":503,\"message\":\"insights are being computed\"}}";
    CHECK_INT(insfetch_parse(err, strlen(err), &d), -1);
    CHECK_INT(d.state, INS_ERROR);
    CHECK_STR(d.msg, "insights are being computed");
    CHECK_INT(insfetch_parse("nope", 4, &d), -1);
    CHECK_STR(d.msg, "not an insights document");
}

static void test_bar(void)
{
    char b[16];
    view_insights_bar(b, 10, 5, 10);
    CHECK_STR(b, "#####     ");
    view_insights_bar(b, 10, 20, 10); /* clipped */
    CHECK_STR(b, "##########");
    view_insights_bar(b, 4, NAN, 10);
    CHECK_STR(b, "    ");
    view_insights_bar(b, 4, 1, 0);
    CHECK_STR(b, "    ");
    view_insights_bar(b, 0, 1, 1);
    CHECK_STR(b, "");
}

int main(void)
{
    RUN(test_parse_full);
    RUN(test_parse_empty_and_error);
    RUN(test_bar);
    return TEST_SUMMARY();
}
