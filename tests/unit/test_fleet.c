/* tui/fleet.c: the fleet's model version, which regions differ from it, the
 * alert text, and the tail of a long source for a narrow card. One table row
 * per situation. */
#include "test.h"
#include "tui/fleet.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A region as the poller leaves it: version v (0: no model), status s. */
struct reg {
    const char *name;
    int version;
    enum region_status s;
};

struct fleet_case {
    const char *what;
    struct reg r[5];
    int n;
    int want_fleet, want_versions;
    const char *want_odd; /* one '1' or '0' per region */
    const char *want_alert;
};

static const struct fleet_case cases[] = {
    {"all agree",
     {{"a", 2, REGION_UP}, {"b", 2, REGION_UP}, {"c", 2, REGION_DEGRADED}},
     3,
     2,
     1,
     "000",
     ""},
    {"one region on another version",
     {{"a", 2, REGION_UP}, {"b", 1, REGION_UP}, {"c", 2, REGION_UP}},
     3,
     2,
     2,
     "010",
     "b v1; the others v2"},
    {"two of four behind",
     {{"w", 7, REGION_UP}, {"e", 6, REGION_UP}, {"x", 7, REGION_UP}, {"y", 6, REGION_DEGRADED}},
     4,
     7,
     2,
     "0101",
     "e v6, y v6; the others v7"},
    {"majority wins over the newest",
     {{"a", 3, REGION_UP}, {"b", 3, REGION_UP}, {"c", 9, REGION_UP}},
     3,
     3,
     2,
     "001",
     "c v9; the others v3"},
    {"a tie goes to the newest",
     {{"a", 1, REGION_UP}, {"b", 2, REGION_UP}},
     2,
     2,
     2,
     "10",
     "a v1; b v2"},
    {"three versions, none shared",
     {{"a", 1, REGION_UP}, {"b", 2, REGION_UP}, {"c", 3, REGION_UP}},
     3,
     3,
     3,
     "110",
     "a v1, b v2; c v3"},
    {"a DOWN region is not counted",
     {{"a", 2, REGION_UP}, {"b", 1, REGION_DOWN}},
     2,
     2,
     1,
     "00",
     ""},
    {"a region without a model is not counted",
     {{"a", 2, REGION_UP}, {"b", 0, REGION_DEGRADED}, {"c", 2, REGION_UP}},
     3,
     2,
     1,
     "000",
     ""},
    {"a region not heard from yet is not counted",
     {{"a", 2, REGION_UP}, {"b", 5, REGION_UNKNOWN}},
     2,
     2,
     1,
     "00",
     ""},
    {"one region alone is never odd", {{"a", 4, REGION_UP}}, 1, 4, 1, "0", ""},
    {"nobody answering", {{"a", 4, REGION_DOWN}, {"b", 3, REGION_DOWN}}, 2, 0, 0, "00", ""},
};

static void test_versions_table(void)
{
    static struct tui_data d;
    for (size_t c = 0; c < COUNT(cases); c++) {
        const struct fleet_case *fc = &cases[c];
        memset(&d, 0, sizeof d);
        d.n_regions = fc->n;
        for (int i = 0; i < fc->n; i++) {
            struct region_view *r = &d.r[i];
            snprintf(r->name, sizeof r->name, "%s", fc->r[i].name);
            r->model_version = fc->r[i].version;
            r->fsm.status = fc->r[i].s;
            r->have_health = fc->r[i].s != REGION_UNKNOWN;
            r->version_odd = 1; /* stale: must be recomputed */
        }
        fleet_versions(&d);
        char odd[8] = "", alert[160];
        for (int i = 0; i < fc->n; i++)
            odd[i] = d.r[i].version_odd ? '1' : '0';
        fleet_versions_alert(&d, alert, sizeof alert);
        if (d.fleet_version != fc->want_fleet || d.n_versions != fc->want_versions ||
            strcmp(odd, fc->want_odd) || strcmp(alert, fc->want_alert)) {
            test_failed_checks++;
            printf("#   %s: fleet v%d (want v%d), %d versions (want %d), odd %s (want %s), "
                   "alert \"%s\" (want \"%s\")\n",
                   fc->what, d.fleet_version, fc->want_fleet, d.n_versions, fc->want_versions, odd,
                   fc->want_odd, alert, fc->want_alert);
        }
    }
}

static void test_alert_cut(void)
{
    static struct tui_data d;
    memset(&d, 0, sizeof d);
    d.n_regions = 3;
    const char *names[] = {"a-region-with-a-long-name", "b", "c"};
    int v[] = {1, 2, 2};
    for (int i = 0; i < 3; i++) {
        snprintf(d.r[i].name, sizeof d.r[i].name, "%s", names[i]);
        d.r[i].model_version = v[i];
        d.r[i].fsm.status = REGION_UP;
        d.r[i].have_health = 1;
    }
    fleet_versions(&d);
    char small[12];
    fleet_versions_alert(&d, small, sizeof small); /* too small: cut, still terminated */
    CHECK(strlen(small) < sizeof small);
    char one[1] = {'x'};
    fleet_versions_alert(&d, one, sizeof one);
    CHECK_INT(one[0], 0);
}

struct tail_case {
    const char *in;
    int w;
    const char *want;
};

static void test_tail(void)
{
    static const struct tail_case t[] = {
        {"s3://bucket/prefix/v7", 30, "s3://bucket/prefix/v7"},
        {"s3://bucket/prefix/v7", 21, "s3://bucket/prefix/v7"},
        {"s3://bucket/prefix/v7", 20, ".../bucket/prefix/v7"},
        {"/tmp/recsys-e2e.abcdef/a/olist.db", 14, ".../a/olist.db"},
        {"/var/lib/x", 4, "...x"},
        {"/var/lib/x", 3, "..."},
        {"/var/lib/x", 1, "."},
        {"/var/lib/x", 0, ""},
        {"/var/lib/x", -5, ""},
        {"", 10, ""},
    };
    for (size_t i = 0; i < COUNT(t); i++) {
        char out[64];
        fleet_tail(t[i].in, t[i].w, out, sizeof out);
        if (strcmp(out, t[i].want)) {
            test_failed_checks++;
            printf("#   fleet_tail(\"%s\", %d) = \"%s\", want \"%s\"\n", t[i].in, t[i].w, out,
                   t[i].want);
        }
        if (t[i].w >= 0 && strlen(out) > (size_t)t[i].w) {
            test_failed_checks++;
            printf("#   fleet_tail(\"%s\", %d) is wider than %d\n", t[i].in, t[i].w, t[i].w);
        }
    }
}

int main(void)
{
    RUN(test_versions_table);
    RUN(test_alert_cut);
    RUN(test_tail);
    return TEST_SUMMARY();
}
