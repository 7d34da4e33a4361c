/* Feedback event helpers: type names round trip, id and request_id checks,
 * ISO 8601 timestamps (offsets, fractions, leap days) and the range check. */
#include <stdint.h>
#include <string.h>

#include "engine/feedback.h"
#include "test.h"
#include "util/error.h"

static void test_feedback_types(void)
{
    static const struct {
        const char *name;
        enum feedback_type t;
    } cases[] = {{"view", FEEDBACK_VIEW},
                 {"click", FEEDBACK_CLICK},
                 {"add_to_cart", FEEDBACK_ADD_TO_CART},
                 {"purchase", FEEDBACK_PURCHASE}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum feedback_type t = FEEDBACK_VIEW;
        CHECK_INT(feedback_type_parse(cases[i].name, &t), 0);
        CHECK_INT(t, cases[i].t);
        CHECK_STR(feedback_type_name(cases[i].t), cases[i].name);
    }
    enum feedback_type t;
    static const char *bad[] = {"", "Purchase", "buy", "purchase ", "add-to-cart"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(feedback_type_parse(bad[i], &t), ERR_INVALID);
    CHECK_INT(feedback_type_parse(NULL, &t), ERR_INVALID);
    CHECK_STR(feedback_type_name((enum feedback_type)9), "?");
}

static void test_feedback_ids(void)
{
    CHECK(feedback_id_valid("0123456789abcdef0123456789ABCDEF"));
    CHECK(!feedback_id_valid("0123456789abcdef0123456789abcde"));
    CHECK(!feedback_id_valid("0123456789abcdef0123456789abcdef0"));
    CHECK(!feedback_id_valid("0123456789abcdef0123456789abcdeg"));
    CHECK(!feedback_id_valid(""));
    CHECK(!feedback_id_valid(NULL));
    CHECK(feedback_request_id_valid("r-1"));
    CHECK(feedback_request_id_valid("a1B2.c_d:e-f"));
    CHECK(feedback_request_id_valid("123456789012345678901234567890123456789"));
    CHECK(!feedback_request_id_valid("1234567890123456789012345678901234567890"));
    CHECK(!feedback_request_id_valid(""));
    CHECK(!feedback_request_id_valid("a b"));
    CHECK(!feedback_request_id_valid("a\"b"));
    CHECK(!feedback_request_id_valid(NULL));
}

static void test_feedback_ts(void)
{
    static const struct {
        const char *s;
        int64_t ts;
    } ok[] = {
        {"1970-01-01", 0},
        {"2018-01-31T12:00:00Z", 1517400000},
        {"2018-01-31 12:00:00", 1517400000},
        {"2018-01-31T12:00:00.123Z", 1517400000},
        {"2018-01-31T14:00:00+02:00", 1517400000},
        {"2018-01-31T09:30:00-0230", 1517400000},
        {"2018-01-31T12:00Z", 1517400000},
        {"2020-02-29T00:00:00Z", 1582934400},
        {"2000-03-01", 951868800},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t t = -1;
        char err[ERR_LEN] = "";
        CHECK_INT(feedback_ts_parse(ok[i].s, &t, err, sizeof err), 0);
        CHECK_INT(t, ok[i].ts);
    }
    static const char *bad[] = {"",
                                "2018-1-31",
                                "2018-02-30",
                                "2019-02-29",
                                "2018-01-31T25:00:00",
                                "2018-01-31X",
                                "2018-13-01",
                                "2018-01-31T12:00:00.",
                                "yesterday",
                                "2018-01-31T12:00:00+2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 0;
        char err[ERR_LEN] = "";
        CHECK_INT(feedback_ts_parse(bad[i], &t, err, sizeof err), ERR_INVALID);
        CHECK(err[0] != '\0');
    }
    char out[20];
    feedback_ts_format(1517400000, out);
    CHECK_STR(out, "2018-01-31 12:00:00");
    feedback_ts_format(1582934399, out);
    CHECK_STR(out, "2020-02-28 23:59:59");
    char err[ERR_LEN];
    int64_t now = 1700000000;
    CHECK_INT(feedback_ts_check(now, now, err, sizeof err), 0);
    CHECK_INT(feedback_ts_check(now + 86400, now, err, sizeof err), 0);
    CHECK_INT(feedback_ts_check(now + 86401, now, err, sizeof err), ERR_INVALID);
    CHECK_INT(feedback_ts_check(946684799, now, err, sizeof err), ERR_INVALID);
    CHECK_INT(feedback_ts_check(0, now, err, sizeof err), ERR_INVALID);
}

int main(void)
{
    RUN(test_feedback_types);
    RUN(test_feedback_ids);
    RUN(test_feedback_ts);
    return TEST_SUMMARY();
}
