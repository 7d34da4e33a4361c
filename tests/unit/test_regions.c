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
    CHECK_INT(c.cache_bytes, 16 << 20);
    CHECK_STR(c.admin_keys_file, "");
    CHECK_INT(c.n_trusted_proxies, 2); /* loopback: the built-in router */
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
        /* A key set twice is an error naming both lines, never a silent win. */
        {"[global]\ncache_ttl = 1\ncache_ttl = 2\n[region a]\nport=1\n",
         ":3: key 'cache_ttl': set twice in [global] (first on line 2)"},
        {"[global]\nlog = off\n[region a]\nport=1\n[global]\nlog = stderr\n",
         ":6: key 'log': set twice in [global] (first on line 2)"},
        {"[region a]\nport = 1\nlatitude = 2\nport = 3\n",
         ":4: key 'port': set twice in [region a] (first on line 2)"},
        {"[region a]\nport=1\n[region b]\nport=2\n[region a]\nport=3\n",
         ":5: region 'a' is defined twice"},
        {"[global]\ncache_bytes = lots\n[region a]\nport=1\n",
         ":2: key 'cache_bytes': 'lots' is not a byte count"},
        {"[global]\ncache_bytes = -1\n[region a]\nport=1\n",
         ":2: key 'cache_bytes': '-1' is not a byte count"},
        {"[global]\ncache_bytes = 2000G\n[region a]\nport=1\n",
         ":2: key 'cache_bytes': 2000G is over the maximum"},
        {"[global]\ntrusted_proxies = 127.0.0.1, localhost\n[region a]\nport=1\n",
         ":2: key 'trusted_proxies': 'localhost' is not an IP address"},
        {"[global]\ntrusted_proxies = 10.0.0.0/33\n[region a]\nport=1\n",
         ":2: key 'trusted_proxies': '10.0.0.0/33'"},
        {"[global]\ntrusted_proxies = 10.0.0.1,,10.0.0.2\n[region a]\nport=1\n",
         ":2: key 'trusted_proxies': empty entry"},
        {"[global]\ntrusted_proxies = 10.0.0.1,\n[region a]\nport=1\n",
         ":2: key 'trusted_proxies': empty entry"},
        {"[global]\nhealth_interval = 0\n[region a]\nport=1\n",
         ":2: key 'health_interval': 0 is out of range 0.1..3600"},
        {"[region a]\nport=1\nclients = 10.0.0.0/8, europe\n",
         ":3: key 'clients': 'europe' is not an IP address or ADDRESS/BITS block"},
        {"[region a]\nport=1\nclients = 10.0.0.0/8,\n", ":3: key 'clients': empty entry"},
        {"[region a]\nport=1\nclients = 1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,"
         "6.0.0.0/8,7.0.0.0/8,8.0.0.0/8,9.0.0.0/8,10.0.0.0/8,11.0.0.0/8,12.0.0.0/8,13.0.0.0/8,"
         "14.0.0.0/8,15.0.0.0/8,16.0.0.0/8,17.0.0.0/8\n",
         ":3: key 'clients': more than 16 entries"},
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

/* The issue-9 keys: defaults, values, suffixes. */
static void test_serving_keys(void)
{
    struct regions_conf c;
    char err[512] = "";
    CHECK_INT(load("[region a]\nport = 0\n", &c, err, sizeof err), 0);
    CHECK_INT(c.cache_bytes, 16 << 20);
    CHECK_STR(c.admin_keys_file, "");
    CHECK_INT(c.n_trusted_proxies, 0); /* nobody's X-Forwarded-For is believed by default */
    CHECK_INT(load("[global]\ncache_bytes = 4K\nadmin_keys_file = /etc/admin.keys\n"
                   "trusted_proxies = 10.1.0.0/16 , ::1,192.0.2.7\n[region a]\nport=0\n",
                   &c, err, sizeof err),
              0);
    CHECK_STR(err, "");
    CHECK_INT(c.cache_bytes, 4096);
    CHECK_STR(c.admin_keys_file, "/etc/admin.keys");
    CHECK_INT(c.n_trusted_proxies, 3);
    CHECK_INT(c.trusted_proxies[0].bits, 96 + 16);
    CHECK_INT(c.trusted_proxies[1].bits, 128);
    CHECK_INT(load("[global]\ncache_bytes = 0\ntrusted_proxies =\n[region a]\nport=0\n", &c, err,
                   sizeof err),
              0);
    CHECK_INT(c.cache_bytes, 0);
    CHECK_INT(c.n_trusted_proxies, 0);
    CHECK_INT(load("[global]\ncache_bytes = 3m\n[region a]\nport=0\n", &c, err, sizeof err), 0);
    CHECK_INT(c.cache_bytes, 3 << 20);
}

/* Addresses as inet_pton reads them, and block membership. */
static void test_addresses(void)
{
    static const struct {
        const char *text;
        int ok;
        unsigned char last, first; /* addr[15], addr[0] */
    } cases[] = {
        {"127.0.0.1", 1, 1, 0},
        {"255.255.255.255", 1, 255, 0},
        {"0.0.0.0", 1, 0, 0},
        {"::1", 1, 1, 0},
        {"::", 1, 0, 0},
        {"2001:db8::7", 1, 7, 0x20},
        {"fe80:0:0:0:0:0:0:9", 1, 9, 0xfe},
        {"::ffff:10.0.0.3", 1, 3, 0},
        {"1::", 1, 0, 0},
        {"256.0.0.1", 0, 0, 0},
        {"1.2.3", 0, 0, 0},
        {"1.2.3.4.5", 0, 0, 0},
        {"01.2.3.4", 0, 0, 0},
        {"1.2.3.4 ", 0, 0, 0},
        {"", 0, 0, 0},
        {":", 0, 0, 0},
        {":::", 0, 0, 0},
        {"1::2::3", 0, 0, 0},
        {"12345::", 0, 0, 0},
        {"1:2:3:4:5:6:7:8:9", 0, 0, 0},
        {"1:2:3:4:5:6:7", 0, 0, 0},
        {"1:2:3:4:5:6:7:8::", 0, 0, 0},
        {"1:", 0, 0, 0},
        {":1", 0, 0, 0},
        {"g::1", 0, 0, 0},
        {"::1.2.3", 0, 0, 0},
        {"localhost", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char a[16];
        memset(a, 0xaa, sizeof a);
        int rc = regions_addr_parse(cases[i].text, strlen(cases[i].text), a);
        if ((rc == 0) != cases[i].ok ||
            (rc == 0 && (a[15] != cases[i].last || a[0] != cases[i].first))) {
            test_failed_checks++;
            printf("#   address '%s': rc %d, a[0]=%d a[15]=%d\n", cases[i].text, rc, a[0], a[15]);
        }
    }
    unsigned char v4[16], v6[16];
    CHECK_INT(regions_addr_parse("10.0.0.3", 8, v4), 0);
    CHECK_INT(regions_addr_parse("::ffff:10.0.0.3", 15, v6), 0);
    CHECK(!memcmp(v4, v6, 16)); /* IPv4 is kept mapped into IPv6 */

    struct regions_conf c;
    char err[512] = "";
    CHECK_INT(
        load("[global]\ntrusted_proxies = 10.1.0.0/16, 2001:db8::/32, 192.0.2.7, 172.16.0.0/12\n"
             "[region a]\nport=0\n",
             &c, err, sizeof err),
        0);
    static const struct {
        const char *addr;
        int trusted;
    } m[] = {
        {"10.1.0.1", 1},   {"10.1.255.255", 1}, {"10.2.0.1", 0},       {"192.0.2.7", 1},
        {"192.0.2.8", 0},  {"2001:db8::1", 1},  {"2001:db9::1", 0},    {"127.0.0.1", 0},
        {"172.31.1.1", 1}, {"172.32.0.1", 0},   {"172.15.255.255", 0}, {"::1", 0},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        unsigned char a[16];
        CHECK_INT(regions_addr_parse(m[i].addr, strlen(m[i].addr), a), 0);
        if (regions_proxy_trusted(&c, a) != m[i].trusted) {
            test_failed_checks++;
            printf("#   %s: trusted %d, expected %d\n", m[i].addr, !m[i].trusted, m[i].trusted);
        }
    }
    struct regions_cidr b;
    CHECK_INT(regions_cidr_parse("0.0.0.0/0", 9, &b), 0);
    CHECK_INT(b.bits, 96);
    CHECK_INT(regions_cidr_parse("::/0", 4, &b), 0);
    CHECK_INT(b.bits, 0);
    CHECK_INT(regions_cidr_parse("::/129", 6, &b), -1);
    CHECK_INT(regions_cidr_parse("1.2.3.4/", 8, &b), -1);
    CHECK_INT(regions_cidr_parse("1.2.3.4/x", 9, &b), -1);
}

/* The router keys (issue 10): health_interval, a region's clients, and the
 * line of each [region] header that messages name. */
static void test_router_keys(void)
{
    struct regions_conf c;
    char err[512] = "";
    CHECK_INT(load("[region a]\nport = 0\n", &c, err, sizeof err), 0);
    CHECK_NEAR(c.health_interval, 1.0, 1e-9);
    CHECK_INT(c.regions[0].n_clients, 0);
    CHECK_INT(c.regions[0].line, 1);
    CHECK_INT(load("[global]\nhealth_interval = 0.5\n\n[region a]\nport = 1\n"
                   "clients = 10.1.0.0/16, 2001:db8::/32 ,192.0.2.7\n[region b]\nport = 2\n",
                   &c, err, sizeof err),
              0);
    CHECK_STR(err, "");
    CHECK_NEAR(c.health_interval, 0.5, 1e-9);
    CHECK_INT(c.regions[0].line, 4);
    CHECK_INT(c.regions[1].line, 7);
    CHECK_INT(c.regions[0].n_clients, 3);
    CHECK_INT(c.regions[0].clients[0].bits, 96 + 16);
    CHECK_INT(c.regions[0].clients[1].bits, 32);
    CHECK_INT(c.regions[0].clients[2].bits, 128);
    CHECK_INT(c.regions[1].n_clients, 0);
    CHECK_INT(c.n_trusted_proxies, 0); /* clients are not proxies */
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
    RUN(test_serving_keys);
    RUN(test_addresses);
    RUN(test_router_keys);
    RUN(test_missing_file);
    RUN(test_distance);
    return TEST_SUMMARY();
}
