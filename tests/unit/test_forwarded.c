/* X-Forwarded-For through trusted proxies: who the client is. */
#include "net/forwarded.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static struct regions_conf conf;

/* Parses "GET / HTTP/1.1\r\n" + headers + "\r\n" into req (text kept in buf). */
static void parse(const char *headers, char *buf, size_t buflen, struct http_request *req)
{
    struct http_limits lim;
    http_limits_default(&lim);
    snprintf(buf, buflen, "GET / HTTP/1.1\r\nHost: x\r\n%s\r\n", headers);
    long r = http_parse_request(buf, strlen(buf), &lim, req);
    CHECK(r == (long)strlen(buf));
}

static void addr(const char *text, unsigned char out[16])
{
    CHECK_INT(regions_addr_parse(text, strlen(text), out), 0);
}

static void test_client(void)
{
    static const struct {
        const char *peer, *headers, *client;
        enum forwarded_how how;
    } cases[] = {
        /* No header: the peer, trusted or not. */
        {"203.0.113.9", "", "203.0.113.9", FORWARDED_DIRECT},
        {"127.0.0.1", "", "127.0.0.1", FORWARDED_DIRECT},
        /* From a peer that is no trusted proxy the header is not believed. */
        {"203.0.113.9", "X-Forwarded-For: 127.0.0.1\r\n", "203.0.113.9", FORWARDED_UNVERIFIED},
        {"127.0.0.2", "X-Forwarded-For: 10.9.9.9\r\n", "127.0.0.2", FORWARDED_UNVERIFIED},
        /* The router (127.0.0.1, trusted) names its client. */
        {"127.0.0.1", "X-Forwarded-For: 198.51.100.4\r\n", "198.51.100.4", FORWARDED_TRUSTED},
        {"127.0.0.1", "x-forwarded-for: 198.51.100.4\r\n", "198.51.100.4", FORWARDED_TRUSTED},
        /* A client's own forged entries sit left of the address its proxy
         * appended: the walk stops at the first untrusted one from the right. */
        {"127.0.0.1", "X-Forwarded-For: 127.0.0.1, 198.51.100.4\r\n", "198.51.100.4",
         FORWARDED_TRUSTED},
        {"127.0.0.1", "X-Forwarded-For: 1.1.1.1, 198.51.100.4, 10.0.0.7\r\n", "198.51.100.4",
         FORWARDED_TRUSTED},
        /* Every hop trusted: the leftmost is the client. */
        {"127.0.0.1", "X-Forwarded-For: 10.0.0.8, 10.0.0.7\r\n", "10.0.0.8", FORWARDED_TRUSTED},
        /* Two headers are one list, in order. */
        {"127.0.0.1", "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-For: 10.0.0.7\r\n", "192.0.2.1",
         FORWARDED_TRUSTED},
        {"127.0.0.1", "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-For: 192.0.2.2\r\n", "192.0.2.2",
         FORWARDED_TRUSTED},
        /* Ports and IPv6 forms. */
        {"127.0.0.1", "X-Forwarded-For: 192.0.2.1:5000\r\n", "192.0.2.1", FORWARDED_TRUSTED},
        {"127.0.0.1", "X-Forwarded-For: [2001:db8::5]:443\r\n", "2001:db8::5", FORWARDED_TRUSTED},
        {"127.0.0.1", "X-Forwarded-For: 2001:db8::5\r\n", "2001:db8::5", FORWARDED_TRUSTED},
        {"::1", "X-Forwarded-For: 192.0.2.1\r\n", "192.0.2.1", FORWARDED_TRUSTED},
        /* Garbage from a trusted hop: the client is not known; the nearest
         * address known stands in. Garbage left of an untrusted address does
         * not matter. */
        {"127.0.0.1", "X-Forwarded-For: unknown\r\n", "127.0.0.1", FORWARDED_UNVERIFIED},
        {"127.0.0.1", "X-Forwarded-For: 10.0.0.7, ,\r\n", "127.0.0.1", FORWARDED_UNVERIFIED},
        {"127.0.0.1", "X-Forwarded-For: garbage, 10.0.0.7\r\n", "10.0.0.7", FORWARDED_UNVERIFIED},
        {"127.0.0.1", "X-Forwarded-For: garbage, 192.0.2.3\r\n", "192.0.2.3", FORWARDED_TRUSTED},
    };
    char err[256] = "";
    char path[] = "/tmp/test_forwarded.XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("[global]\ntrusted_proxies = 127.0.0.1, ::1, 10.0.0.0/8\n[region a]\nport = 0\n", f);
    fclose(f);
    CHECK_INT(regions_load(path, &conf, err, sizeof err), 0);
    unlink(path);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[1024], got[FORWARDED_ADDR_TEXT];
        struct http_request req;
        unsigned char peer[16], out[16];
        parse(cases[i].headers, buf, sizeof buf, &req);
        addr(cases[i].peer, peer);
        enum forwarded_how how = forwarded_client(&conf, peer, &req, out);
        forwarded_addr_text(out, got);
        if (how != cases[i].how || strcmp(got, cases[i].client)) {
            test_failed_checks++;
            printf("#   case %zu: peer %s, %s-> %s (how %d), expected %s (how %d)\n", i,
                   cases[i].peer, cases[i].headers, got, how, cases[i].client, cases[i].how);
        }
    }
}

static void test_loopback(void)
{
    static const struct {
        const char *a;
        int lo;
    } cases[] = {{"127.0.0.1", 1}, {"127.9.8.7", 1}, {"::1", 1},    {"::ffff:127.0.0.2", 1},
                 {"128.0.0.1", 0}, {"10.0.0.1", 0},  {"::2", 0},    {"::127.0.0.1", 0},
                 {"0.0.0.0", 0},   {"::", 0},        {"fe80::1", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char a[16];
        addr(cases[i].a, a);
        if (forwarded_is_loopback(a) != cases[i].lo) {
            test_failed_checks++;
            printf("#   %s: loopback %d, expected %d\n", cases[i].a, !cases[i].lo, cases[i].lo);
        }
    }
}

int main(void)
{
    RUN(test_client);
    RUN(test_loopback);
    return TEST_SUMMARY();
}
