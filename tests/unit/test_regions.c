/* regions.conf parser: the shipped file, defaults, and one case per error. */
#include "conf/regions.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static char path[64];

/* Writes text to a fresh temp file (its name in path). */
static void write_conf(const char *text)
{
    snprintf(path, sizeof path, "/tmp/test_regions.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

static int load(const char *text, struct regions_conf *c, char *err, size_t errlen)
{
    write_conf(text);
    int rc = regions_load(path, c, err, errlen);
    unlink(path);
    return rc;
}

static void test_shipped_file(void)
{
    struct regions_conf c;
    char err[512] = "";
    CHECK_INT(regions_load("regions.conf", &c, err, sizeof err), 0);
    CHECK_STR(err, "");
    CHECK_INT(c.n_regions, 4);
    CHECK_STR(c.regions[0].name, "us-west");
    CHECK_INT(c.regions[0].port, 8000);
    CHECK_STR(c.regions[0].location, "California");
    CHECK_STR(c.regions[0].host, "127.0.0.1");
    CHECK_NEAR(c.regions[0].latitude, 37.77, 1e-9);
    CHECK_NEAR(c.regions[0].longitude, -122.42, 1e-9);
    CHECK_STR(c.regions[3].name, "ap-south");
    CHECK_INT(c.regions[3].port, 8003);
    CHECK_STR(c.database, "olist.db");
    CHECK_INT(c.cache_ttl, 300);
    CHECK_INT(c.cache_size, 10000);
    CHECK_STR(c.api_keys_file, "");
    CHECK_STR(c.log, "off");
    CHECK_INT(c.max_connections, 1024);
    CHECK(regions_find(&c, "eu-west") == &c.regions[2]);
    CHECK(regions_find(&c, "mars") == NULL);
}

static void test_defaults_and_overrides(void)
{
    struct regions_conf c;
    char err[512] = "";
    CHECK_INT(load("[region a]\nport = 0\n", &c, err, sizeof err), 0);
    CHECK_INT(c.cache_ttl, 300);
    CHECK_INT(c.read_timeout, 10);
    CHECK_INT(c.idle_timeout, 60);
    CHECK_INT(c.regions[0].port, 0);
    CHECK_INT(load("; comment\n[global]\ncache_ttl=5 # five\nlog = /tmp/x.log\n"
                   "database = /a/b.db\nrate_limit = 2.5\n[region  b-1 ]\nport=9\nhost = ::1\n",
                   &c, err, sizeof err),
              0);
    CHECK_INT(c.cache_ttl, 5);
    CHECK_STR(c.log, "/tmp/x.log");
    CHECK_STR(c.database, "/a/b.db");
    CHECK_NEAR(c.rate_limit, 2.5, 1e-12);
    CHECK_STR(c.regions[0].name, "b-1");
    CHECK_STR(c.regions[0].host, "::1");
}

/* Each bad file must fail, and the message must carry the line and key. */
static void test_errors(void)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"[global]\ncache_tll = 3\n[region a]\nport=1\n", ":2: key 'cache_tll': unknown key"},
        {"[region a]\nport = 1\ncolour = red\n", ":3: key 'colour': unknown key in [region a]"},
        {"[region a]\nport = eighty\n", ":2: key 'port': 'eighty' is not an integer"},
        {"[region a]\nport = 70000\n", ":2: key 'port': 70000 is out of range"},
        {"[region a]\nport = 1\nlatitude = 91\n", ":3: key 'latitude'"},
        {"[region a]\nlocation = x\n", ":1: key 'port': missing in [region a]"},
        {"[region a]\nport=1\n[region a]\nport=2\n", ":3: region 'a' is defined twice"},
        {"[region a]\nport=5\n[region b]\nport=5\n", ":3: key 'port': 5 is already used"},
        {"[regions]\n", ":1: unknown section [regions]"},
        {"[global\n", ":1: section header"},
        {"port = 1\n", ":1: key 'port': outside any section"},
        {"[region a]\nport\n", ":2: expected 'key = value'"},
        {"[global]\ncache_ttl = 1\n", "no [region NAME] section"},
        {"[region a/b]\nport=1\n", ":1: region name 'a/b'"},
        {"[global]\nlog =\n[region a]\nport=1\n", ":2: key 'log': empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct regions_conf c;
        char err[512] = "";
        int rc = load(cases[i].text, &c, err, sizeof err);
        CHECK_INT(rc, -1);
        if (!strstr(err, cases[i].needle) || !strstr(err, "/tmp/test_regions.")) {
            test_failed_checks++;
            printf("#   case %zu: '%s' lacks '%s'\n", i, err, cases[i].needle);
        }
    }
}

static void test_missing_file(void)
{
    struct regions_conf c;
    char err[512] = "";
    CHECK_INT(regions_load("/nonexistent/regions.conf", &c, err, sizeof err), -1);
    CHECK(strstr(err, "/nonexistent/regions.conf") != NULL);
}

static void test_distance(void)
{
    struct region_conf london = {.latitude = 51.5074, .longitude = -0.1278};
    struct region_conf paris = {.latitude = 48.8566, .longitude = 2.3522};
    struct region_conf sydney = {.latitude = -33.8688, .longitude = 151.2093};
    CHECK_NEAR(regions_distance_km(&london, &paris), 343.5, 2.0);
    CHECK_NEAR(regions_distance_km(&paris, &london), regions_distance_km(&london, &paris), 1e-9);
    CHECK_NEAR(regions_distance_km(&london, &london), 0.0, 1e-9);
    CHECK_NEAR(regions_distance_km(&london, &sydney), 16990, 60);
}

int main(void)
{
    RUN(test_shipped_file);
    RUN(test_defaults_and_overrides);
    RUN(test_errors);
    RUN(test_missing_file);
    RUN(test_distance);
    return TEST_SUMMARY();
}
