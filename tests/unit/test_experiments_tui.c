/* The dashboard's Experiments view, its pure parts: the interval bar
 * (tui/view_experiments.c) and the parser of GET /api/v1/experiments
 * (tui/expfetch.c), on a body as the server writes it. */
#include <math.h>
#include <string.h>

#include "tui/expfetch.h"
#include "tui/view_experiments.h"
#include "test.h"

static void test_bar(void)
{
    char b[64];
    view_experiments_bar(b, 11, 0.5, 0.4, 0.6, 1.0); /* cells 0..10: 0.1 each */
    CHECK_STR(b, "----=|=----");
    view_experiments_bar(b, 11, 0.0, 0.0, 0.2, 1.0);
    CHECK_STR(b, "|==--------");
    view_experiments_bar(b, 11, 1.0, 0.8, 1.0, 1.0);
    CHECK_STR(b, "--------==|");
    view_experiments_bar(b, 5, NAN, NAN, NAN, 1.0); /* unknown: the bare scale */
    CHECK_STR(b, "-----");
    view_experiments_bar(b, 5, 0.1, 0.0, 0.2, 0.0); /* no scale yet */
    CHECK_STR(b, "-----");
    view_experiments_bar(b, 0, 0.1, 0.0, 0.2, 1.0);
    CHECK_STR(b, "");
}

static void test_parse(void)
{
    static const char body[] =
        "{\"experiments\":[{\"name\":\"old\",\"status\":\"stopped\",\"created_at\":\"2026-01-01 "
        "00:00:00\",\"stopped_at\":\"2026-01-02 00:00:00\",\"promoted\":\"B\",\"traffic\":{"
        "\"share\":100,\"buckets\":[0,100]},\"variants\":[],\"p_value\":null,\"leader\":\"A\"},"
        "{\"name\":\"pop-vs-hybrid\",\"status\":\"running\",\"created_at\":\"2026-02-01 "
        "10:00:00\",\"stopped_at\":null,\"promoted\":null,\"traffic\":{\"share\":40,\"buckets\":[0,"
        "40]},\"variants\":[{\"name\":\"A\",\"model_version\":1,\"share\":50,\"impressions\":200,"
        "\"users\":190,\"clicks\":30,\"purchases\":6,\"lists_clicked\":28,\"lists_converted\":6,"
        "\"ctr\":{\"value\":0.14,\"low\":0.1,\"high\":0.19},\"conversion\":{\"value\":0.03,"
        "\"low\":0.01,\"high\":0.06},\"vs_control\":null},{\"name\":\"B\",\"model_version\":2,"
        "\"share\":50,\"impressions\":0,\"users\":0,\"clicks\":0,\"purchases\":0,"
        "\"lists_clicked\":0,\"lists_converted\":0,\"ctr\":{\"value\":null,\"low\":null,"
        "\"high\":null},\"conversion\":{\"value\":null,\"low\":null,\"high\":null},"
        "\"vs_control\":{}}],\"p_value\":{\"ctr\":0.0123,\"conversion\":null},\"leader\":\"A\"}],"
        "\"region\":\"us-west\",\"served_by\":\"us-west\"}";
    static struct xf_data d;
    CHECK_INT(expfetch_parse(body, strlen(body), &d), 0);
    CHECK_INT(d.state, XF_OK);
    CHECK_INT(d.n, 2);
    const struct xf_experiment *e = &d.e[0]; /* newest first */
    CHECK_STR(e->name, "pop-vs-hybrid");
    CHECK_STR(e->status, "running");
    CHECK_INT(e->traffic, 40);
    CHECK_INT(e->n, 2);
    CHECK_STR(e->leader, "A");
    CHECK_STR(e->promoted, "");
    CHECK_INT(e->v[0].version, 1);
    CHECK_INT(e->v[0].impressions, 200);
    CHECK_INT(e->v[0].users, 190);
    CHECK_INT(e->v[0].purchases, 6);
    CHECK_NEAR(e->v[0].ctr.low, 0.1, 1e-12);
    CHECK_NEAR(e->v[0].conv.high, 0.06, 1e-12);
    CHECK(isnan(e->v[1].ctr.value));
    CHECK_NEAR(e->p_ctr, 0.0123, 1e-12);
    CHECK(isnan(e->p_conv));
    CHECK_STR(d.e[1].promoted, "B");
    static const char err[] = "{\"error\":{\"status\":403,\"message\":\"admin only\"}}";
    CHECK_INT(expfetch_parse(err, strlen(err), &d), -1);
    CHECK_INT(d.state, XF_ERROR);
    CHECK_STR(d.msg, "admin only");
    CHECK_INT(expfetch_parse("garbage", 7, &d), -1);
}

int main(void)
{
    RUN(test_bar);
    RUN(test_parse);
    return TEST_SUMMARY();
}
