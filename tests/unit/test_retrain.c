/* Scheduled retraining: the interval and tolerance spellings of regions.conf
 * (conf/retrainconf.h) and the activation rule (engine/retrain.h). */
#include "test.h"

#include "conf/regions.h"
#include "conf/retrainconf.h"
#include "engine/retrain.h"
#include "util/error.h"

static void test_retrain_interval(void)
{
    static const struct {
        const char *in;
        int ok;
        double secs;
    } cases[] = {
        {"off", 1, 0},    {"0", 1, 0},
        {"90", 1, 90},    {"30s", 1, 30},
        {"5m", 1, 300},   {"2h", 1, 7200},
        {"1d", 1, 86400}, {"1.5h", 1, 5400},
        {"2s", 1, 2},     {"366d", 1, 366 * 86400.0},
        {"", 0, 0},       {"d", 0, 0},
        {"1w", 0, 0},     {"1dd", 0, 0},
        {"0.5", 0, 0},    {"-1h", 0, 0},
        {"367d", 0, 0},   {"nan", 0, 0},
        {"inf", 0, 0},    {"1 d", 0, 0},
        {"0s", 0, 0},     {"1e9", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -7;
        char err[200] = "";
        int rc = retrainconf_interval(cases[i].in, &v, err, sizeof err);
        if ((rc == 0) != cases[i].ok)
            printf("#   interval \"%s\": rc %d (%s)\n", cases[i].in, rc, err);
        CHECK((rc == 0) == cases[i].ok);
        if (cases[i].ok)
            CHECK_NEAR(v, cases[i].secs, 1e-9);
        else {
            CHECK_INT(rc, ERR_INVALID);
            CHECK(strstr(err, cases[i].in) != NULL); /* the message names the value */
            CHECK_NEAR(v, -7, 0);                    /* untouched */
        }
    }
}

static void test_retrain_tolerance(void)
{
    static const struct {
        const char *in;
        int ok;
        double v;
        int rel;
    } cases[] = {
        {"0.01", 1, 0.01, 0}, {"0", 1, 0, 0},       {"-1", 1, -1, 0},  {"1", 1, 1, 0},
        {"5%", 1, 0.05, 1},   {"-10%", 1, -0.1, 1}, {"100%", 1, 1, 1}, {"", 0, 0, 0},
        {"x", 0, 0, 0},       {"1.5", 0, 0, 0},     {"5%%", 0, 0, 0},  {"101%", 0, 0, 0},
        {"0.01 ", 0, 0, 0},   {"%", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = 9;
        int rel = 9;
        char err[200] = "";
        int rc = retrainconf_tolerance(cases[i].in, &v, &rel, err, sizeof err);
        CHECK((rc == 0) == cases[i].ok);
        if (cases[i].ok) {
            CHECK_NEAR(v, cases[i].v, 1e-12);
            CHECK_INT(rel, cases[i].rel);
        } else
            CHECK_INT(rc, ERR_INVALID);
    }
}

static void test_retrain_decide(void)
{
    struct retrain_tolerance abs1 = {0.01, 0}, zero = {0, 0}, neg = {-1, 0}, rel5 = {0.05, 1},
                             relneg = {-0.1, 1};
    char why[256];
    CHECK_INT(retrain_decide(0.20, 0.20, 1, &zero, why, sizeof why), 1); /* equal: not worse */
    CHECK(strstr(why, "0.2000") != NULL);
    CHECK_INT(retrain_decide(0.199, 0.20, 1, &zero, why, sizeof why), 0);
    CHECK(strstr(why, "worse than tolerance") != NULL);
    CHECK_INT(retrain_decide(0.191, 0.20, 1, &abs1, NULL, 0), 1);
    CHECK_INT(retrain_decide(0.189, 0.20, 1, &abs1, NULL, 0), 0);
    CHECK_INT(retrain_decide(0.30, 0.20, 1, &abs1, NULL, 0), 1);
    CHECK_INT(retrain_decide(1.0, 0.0, 1, &neg, NULL, 0), 1); /* needs >= 1.0 */
    CHECK_INT(retrain_decide(0.99, 0.0, 1, &neg, NULL, 0), 0);
    CHECK_INT(retrain_decide(0.5, 0.5, 1, &neg, NULL, 0), 0);    /* -1: never on a tie */
    CHECK_INT(retrain_decide(0.19, 0.20, 1, &rel5, NULL, 0), 1); /* 0.19 = 0.20 * 0.95 */
    CHECK_INT(retrain_decide(0.189, 0.20, 1, &rel5, NULL, 0), 0);
    CHECK_INT(retrain_decide(0.22, 0.20, 1, &relneg, NULL, 0), 1); /* 10% better needed */
    CHECK_INT(retrain_decide(0.219, 0.20, 1, &relneg, NULL, 0), 0);
    CHECK_INT(retrain_decide(0.0, 0.9, 0, &neg, why, sizeof why), 1); /* nothing active */
    CHECK(strstr(why, "no active model") != NULL);
}

static void test_retrain_regions_conf(void)
{
    struct regions_conf c;
    char err[300];
    const char *ok = "[global]\nretrain_every = 1d\nretrain_tolerance = 5%\nretrain_keep = 3\n"
                     "[region r]\nport = 0\nlatitude = 1\nlongitude = 2\n";
    CHECK_INT(regions_parse("t.conf", ok, strlen(ok), &c, err, sizeof err), 0);
    CHECK_NEAR(c.retrain_every, 86400, 0);
    CHECK_NEAR(c.retrain_tolerance, 0.05, 1e-12);
    CHECK_INT(c.retrain_tolerance_relative, 1);
    CHECK_INT(c.retrain_keep, 3);
    regions_defaults(&c);
    CHECK_NEAR(c.retrain_every, 0, 0); /* off by default */
    CHECK_NEAR(c.retrain_tolerance, RETRAINCONF_TOLERANCE, 0);
    CHECK_INT(c.retrain_keep, REGIONS_RETRAIN_KEEP);
    const char *bad3 = "[global]\nretrain_keep = -1\n[region r]\nport = 0\n";
    CHECK(regions_parse("t.conf", bad3, strlen(bad3), &c, err, sizeof err) < 0);
    CHECK(strstr(err, "t.conf:2") && strstr(err, "retrain_keep"));
    const char *bad = "[global]\n\nretrain_every = 1w\n[region r]\nport = 0\n";
    CHECK(regions_parse("t.conf", bad, strlen(bad), &c, err, sizeof err) < 0);
    CHECK(strstr(err, "t.conf:3") && strstr(err, "retrain_every") && strstr(err, "1w"));
    const char *bad2 = "[global]\nretrain_tolerance = lots\n[region r]\nport = 0\n";
    CHECK(regions_parse("t.conf", bad2, strlen(bad2), &c, err, sizeof err) < 0);
    CHECK(strstr(err, "t.conf:2") && strstr(err, "retrain_tolerance"));
}

int main(void)
{
    RUN(test_retrain_interval);
    RUN(test_retrain_tolerance);
    RUN(test_retrain_decide);
    RUN(test_retrain_regions_conf);
    return TEST_SUMMARY();
}
