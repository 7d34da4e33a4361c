/* cmd_haproxy_render: the haproxy.cfg written for a regions.conf, as
 * tables of lines that must (or must not) appear, in order where order
 * matters; and the inputs it refuses. haproxy itself checks the whole file
 * in tests/e2e/haproxy.sh (haproxy -c). */
#include "cli/cmd_haproxy.h"
#include "test.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>

static const char four[] = "[global]\n"
                           "router_port = 9000\n"
                           "router_host = 0.0.0.0\n"
                           "health_interval = 2.5\n"
                           "max_connections = 100\n"
                           "[region us-west]\nhost = 10.0.1.2\nport = 8000\n"
                           "latitude = 37.77\nlongitude = -122.42\n"
                           "clients = 10.0.0.0/8, 10.1.0.0/16\n"
                           "[region us-east]\nhost = 2001:db8::5\nport = 8001\n"
                           "latitude = 38.03\nlongitude = -78.48\n"
                           "clients = 10.2.3.0/24\n"
                           "[region eu-west]\nport = 8002\nlatitude = 53.35\nlongitude = -6.26\n"
                           "[region ap-south]\nport = 8003\nlatitude = 19.08\nlongitude = 72.88\n";

/* Renders text; returns the rc, the output in out (caller frees). */
static int render(const char *text, struct sbuf *out, char *err, size_t errlen)
{
    struct regions_conf *c = malloc(sizeof *c);
    int rc = regions_parse("test.conf", text, strlen(text), c, err, errlen);
    sbuf_init(out, 1 << 20);
    if (rc == 0)
        rc = cmd_haproxy_render(c, "test.conf", out, err, errlen);
    free(c);
    return rc;
}

/* Each needle in order, each after the previous one. */
static void check_in_order(const char *hay, const char *const *needles, size_t n)
{
    const char *at = hay;
    for (size_t i = 0; i < n; i++) {
        const char *hit = at ? strstr(at, needles[i]) : NULL;
        if (!hit) {
            test_failed_checks++;
            printf("#   missing (or out of order): '%s'\n", needles[i]);
            continue;
        }
        at = hit + strlen(needles[i]);
    }
}

static void test_four_regions(void)
{
    struct sbuf out;
    char err[ERR_LEN] = "";
    CHECK_INT(render(four, &out, err, sizeof err), 0);
    CHECK_STR(err, "");
    const char *s = out.p ? out.p : "";
    static const char *const lines[] = {
        "    maxconn 400\n",
        "    timeout check 2500ms\n",
        "    option httpchk GET /api/v1/health/\n",
        "    default-server inter 2500ms fall 3 rise 1 observe layer4 error-limit 1 on-error "
        "mark-down maxconn 100\n",
        "    option redispatch 1\n",
        "    retry-on conn-failure empty-response response-timeout\n",
        "    option forwardfor\n",
        "frontend recsys\n    bind 0.0.0.0:9000\n",
        "    acl known_hint req.fhdr(Region-Hint) -m str us-west us-east eu-west ap-south\n",
        "if has_hint !known_hint\n",
        "    use_backend region_us-west if { req.fhdr(Region-Hint) -m str us-west }\n",
        "    use_backend region_ap-south if { req.fhdr(Region-Hint) -m str ap-south }\n",
        /* client networks: the longest prefix first, whatever the region order */
        "    use_backend region_us-east if !has_hint { src 10.2.3.0/24 }\n",
        "    use_backend region_us-west if !has_hint { src 10.1.0.0/16 }\n",
        "    use_backend region_us-west if !has_hint { src 10.0.0.0/8 }\n",
        "    default_backend any_region\n",
        /* us-east: home, then the others nearest first, IPv6 with ipv6@ */
        "backend region_us-east\n",
        "    http-response set-header X-Failover us-east if !{ srv_name -m str us-east }\n",
        "    server us-east ipv6@2001:db8::5:8001 check\n",
        "    server us-west 10.0.1.2:8000 check backup",
        "    server eu-west 127.0.0.1:8002 check backup",
        "    server ap-south 127.0.0.1:8003 check backup",
        "backend region_eu-west\n",
        "    server eu-west 127.0.0.1:8002 check\n",
        "    server us-east ipv6@2001:db8::5:8001 check backup",
        "    server ap-south 127.0.0.1:8003 check backup",
        "    server us-west 10.0.1.2:8000 check backup",
        "backend any_region\n",
        "    balance roundrobin\n",
        "    server us-west 10.0.1.2:8000 check\n",
        "    server ap-south 127.0.0.1:8003 check\n",
    };
    check_in_order(s, lines, sizeof lines / sizeof lines[0]);
    CHECK(strstr(s, "server ap-south 127.0.0.1:8003 check backup") != NULL);
    const char *any = strstr(s, "\nbackend any_region\n");
    CHECK(any && !strstr(any, "backup")); /* round-robin over all, none held back */
    sbuf_free(&out);
}

static void test_no_clients(void)
{
    struct sbuf out;
    char err[ERR_LEN] = "";
    CHECK_INT(render("[global]\nrouter_port = 1\n[region a]\nport = 2\n", &out, err, sizeof err),
              0);
    CHECK(out.p && !strstr(out.p, "{ src "));
    CHECK(out.p && strstr(out.p, "    bind 127.0.0.1:1\n"));
    CHECK(out.p && strstr(out.p, "inter 1000ms"));
    sbuf_free(&out);
}

static void test_refused(void)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"[region a]\nport = 8000\n", "test.conf: key 'router_port' in [global]: not set"},
        {"[global]\nrouter_port = 0\n[region a]\nport = 8000\n", "key 'router_port'"},
        {"[global]\nrouter_port = 9000\n\n[region a]\nport = 8000\n[region b]\nport = 0\n",
         "test.conf:6: key 'port' in [region b]: 0 (an ephemeral port)"},
        {"[global]\nrouter_port = 9000\n[region a]\nport = 1\nclients = 10.0.0.0/33\n",
         "test.conf:5: key 'clients': '10.0.0.0/33'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sbuf out;
        char err[ERR_LEN] = "";
        int rc = render(cases[i].text, &out, err, sizeof err);
        CHECK(rc < 0);
        if (!strstr(err, cases[i].needle)) {
            test_failed_checks++;
            printf("#   case %zu: '%s' lacks '%s'\n", i, err, cases[i].needle);
        }
        sbuf_free(&out);
    }
}

int main(void)
{
    RUN(test_four_regions);
    RUN(test_no_clients);
    RUN(test_refused);
    return TEST_SUMMARY();
}
