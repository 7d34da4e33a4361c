/* The router's choice of region (router_target, router_pick) as tables of
 * cases over a regions.conf parsed from text, then router_request's own
 * answers and its 503 when every region refuses, driven through a real
 * epoll set with no region listening. */
#include "conf/regions.h"
#include "net/evloop.h"
#include "net/router.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Four regions; distances (km): us-west..us-east 3819, us-east..eu-west
 * 5601, eu-west..ap-south 7603, us-west..eu-west 8177, ap-south..us-east
 * 12995, ap-south..us-west 13494. */
static const char *const four_regions = "[global]\nrate_limit = 0\n"
                                        "[region us-west]\nport = 0\nlatitude = 37.77\n"
                                        "longitude = -122.42\n"
                                        "[region us-east]\nport = 0\nlatitude = 38.03\n"
                                        "longitude = -78.48\n"
                                        "[region eu-west]\nport = 0\nlatitude = 53.35\n"
                                        "longitude = -6.26\n"
                                        "[region ap-south]\nport = 0\nlatitude = 19.08\n"
                                        "longitude = 72.88\n";

/* Parses text as regions.conf (through a temp file, as the program reads it). */
static int conf_from(const char *text, struct regions_conf *c)
{
    char path[64] = "/tmp/test_router.XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    int rc = regions_load(path, c, err, sizeof err);
    unlink(path);
    if (rc < 0)
        printf("#   regions_load: %s\n", err);
    return rc;
}

/* "1101" -> {1, 1, 0, 1}; NULL -> NULL. */
static const unsigned char *flags(const char *s, unsigned char *buf)
{
    if (!s)
        return NULL;
    for (size_t i = 0; s[i] && i < REGIONS_MAX; i++)
        buf[i] = s[i] == '1';
    return buf;
}

/* What the router does with a request: the name of the region that serves
 * it, or the status of the router's own answer ("400", "503"). */
static const char *decide(const struct regions_conf *c, const char *hint, const char *healthy,
                          const char *tried)
{
    unsigned char h[REGIONS_MAX] = {0}, t[REGIONS_MAX] = {0};
    int want = router_target(c, hint, hint ? strlen(hint) : 0);
    if (want < 0)
        return "400";
    int i = router_pick(c, flags(healthy, h), flags(tried, t), want);
    return i < 0 ? "503" : c->regions[i].name;
}

static void test_choice_table(void)
{
    static const struct {
        const char *hint, *healthy, *tried, *want;
    } cases[] = {
        /* no hint: the home region (listed first), or the nearest to it */
        {NULL, "1111", NULL, "us-west"},
        {NULL, "0111", NULL, "us-east"},
        {NULL, "0011", NULL, "eu-west"},
        {NULL, "0001", NULL, "ap-south"},
        /* Region-Hint names the target */
        {"us-east", "1111", NULL, "us-east"},
        {"eu-west", "1111", NULL, "eu-west"},
        {"ap-south", "1111", NULL, "ap-south"},
        {"us-west", "1111", NULL, "us-west"},
        /* target down: the nearest healthy one by great-circle distance */
        {"us-east", "1011", NULL, "us-west"},
        {"us-east", "0011", NULL, "eu-west"},
        {"us-east", "0001", NULL, "ap-south"},
        {"eu-west", "1101", NULL, "us-east"},
        {"eu-west", "1001", NULL, "ap-south"},
        {"eu-west", "1000", NULL, "us-west"},
        {"ap-south", "1110", NULL, "eu-west"},
        {"ap-south", "1100", NULL, "us-east"},
        {"us-west", "0111", NULL, "us-east"},
        /* a region that already failed this request is not tried again */
        {"us-east", "1111", "0100", "us-west"},
        {"us-east", "1111", "1100", "eu-west"},
        {"us-east", "1111", "1110", "ap-south"},
        {"eu-west", "1111", "0110", "ap-south"},
        /* nothing left: 503 */
        {"us-east", "0000", NULL, "503"},
        {NULL, "0000", NULL, "503"},
        {"us-east", "1111", "1111", "503"},
        {"ap-south", "1100", "1100", "503"},
        /* unknown hint: 400, whatever the health */
        {"mars", "1111", NULL, "400"},
        {"mars", "0000", NULL, "400"},
        {"", "1111", NULL, "400"},
        {"US-EAST", "1111", NULL, "400"},
        {"us", "1111", NULL, "400"},
        {"us e", "1111", NULL, "400"},
        /* surrounding blanks are optional white space (RFC 9110 5.5), read as
         * a region reads them (route_hint_parse) */
        {" us-east\t", "1111", NULL, "us-east"},
    };
    struct regions_conf c;
    CHECK_INT(conf_from(four_regions, &c), 0);
    CHECK_INT(c.n_regions, 4);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = decide(&c, cases[i].hint, cases[i].healthy, cases[i].tried);
        if (strcmp(got, cases[i].want)) {
            printf("#   hint %s healthy %s tried %s: %s, expected %s\n",
                   cases[i].hint ? cases[i].hint : "(none)", cases[i].healthy,
                   cases[i].tried ? cases[i].tried : "-", got, cases[i].want);
            test_failed_checks++;
        }
    }
}

/* The hint is matched on its length, not up to a NUL: the parser hands the
 * router a pointer into the request buffer. */
static void test_target_lengths(void)
{
    struct regions_conf c;
    CHECK_INT(conf_from(four_regions, &c), 0);
    const char *buf = "us-eastern";
    CHECK_INT(router_target(&c, buf, 7), 1);
    CHECK_INT(router_target(&c, buf, 10), -1);
    CHECK_INT(router_target(&c, buf, 2), -1);
    CHECK_INT(router_target(&c, NULL, 0), 0);
    CHECK_INT(router_target(&c, "ap-south", 8), 3);
}

/* Failover order over repeated failures: every region once, nearest first,
 * then none. */
static void test_failover_sequence(void)
{
    static const struct {
        const char *target;
        const char *order[4];
    } cases[] = {
        {"us-west", {"us-west", "us-east", "eu-west", "ap-south"}},
        {"us-east", {"us-east", "us-west", "eu-west", "ap-south"}},
        {"eu-west", {"eu-west", "us-east", "ap-south", "us-west"}},
        {"ap-south", {"ap-south", "eu-west", "us-east", "us-west"}},
    };
    struct regions_conf c;
    CHECK_INT(conf_from(four_regions, &c), 0);
    const unsigned char healthy[REGIONS_MAX] = {1, 1, 1, 1};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        unsigned char tried[REGIONS_MAX] = {0};
        int want = router_target(&c, cases[k].target, strlen(cases[k].target));
        for (int step = 0; step < 4; step++) {
            int i = router_pick(&c, healthy, tried, want);
            CHECK(i >= 0);
            if (i < 0)
                break;
            CHECK_STR(c.regions[i].name, cases[k].order[step]);
            tried[i] = 1;
        }
        CHECK_INT(router_pick(&c, healthy, tried, want), -1);
    }
}

/* The home region is whichever the operator lists first, and one region
 * alone has nowhere to fail over to. */
static void test_other_confs(void)
{
    struct regions_conf c;
    CHECK_INT(conf_from("[region eu-west]\nport = 0\nlatitude = 53.35\nlongitude = -6.26\n"
                        "[region us-west]\nport = 0\nlatitude = 37.77\nlongitude = -122.42\n"
                        "[region us-east]\nport = 0\nlatitude = 38.03\nlongitude = -78.48\n",
                        &c),
              0);
    CHECK_STR(decide(&c, NULL, "111", NULL), "eu-west");
    CHECK_STR(decide(&c, NULL, "011", NULL), "us-east");
    CHECK_STR(decide(&c, "us-west", "111", NULL), "us-west");
    CHECK_STR(decide(&c, "us-west", "100", NULL), "eu-west");
    CHECK_INT(conf_from("[region solo]\nport = 0\n", &c), 0);
    CHECK_STR(decide(&c, NULL, "1", NULL), "solo");
    CHECK_STR(decide(&c, "solo", "0", NULL), "503");
    CHECK_STR(decide(&c, "other", "1", NULL), "400");
}

/* ---- router_request without any region listening ---- */

struct done_log {
    int calls, keep;
    void *client;
};

static void on_done(void *ctx, void *client, int keep)
{
    struct done_log *d = ctx;
    d->calls++;
    d->keep = keep;
    d->client = client;
}

/* A loopback port nobody listens on (bound once, then closed). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t al = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* A scripted region for one connection: it answers each request with
 * the request head it received as the body, so a test sees exactly what the
 * router forwarded. */
struct echo {
    int lfd, fd, port;
    char in[16384];
    size_t len;
};

static int echo_open(struct echo *e)
{
    memset(e, 0, sizeof *e);
    e->fd = -1;
    e->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t al = sizeof a;
    if (bind(e->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(e->lfd, 8) < 0 ||
        getsockname(e->lfd, (struct sockaddr *)&a, &al) < 0)
        return -1;
    e->port = ntohs(a.sin_port);
    return 0;
}

static void echo_pump(struct echo *e)
{
    if (e->fd < 0)
        e->fd = accept4(e->lfd, NULL, NULL, SOCK_NONBLOCK);
    if (e->fd < 0)
        return;
    ssize_t n = recv(e->fd, e->in + e->len, sizeof e->in - e->len - 1, 0);
    if (n > 0)
        e->len += (size_t)n;
    e->in[e->len] = '\0';
    char *end = strstr(e->in, "\r\n\r\n");
    if (!end)
        return;
    size_t head = (size_t)(end - e->in) + 4;
    char resp[256];
    int rl = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", head);
    ssize_t w = send(e->fd, resp, (size_t)rl, MSG_NOSIGNAL);
    w += send(e->fd, e->in, head, MSG_NOSIGNAL);
    (void)w;
    memmove(e->in, e->in + head, e->len - head);
    e->len -= head;
}

static void echo_close(struct echo *e)
{
    if (e->fd >= 0)
        close(e->fd);
    close(e->lfd);
}

struct rig {
    struct regions_conf conf;
    int epfd;
    struct router *rt;
    struct done_log log;
    struct sbuf out;
    char buf[16384];
    struct echo *echo; /* us-west, when set */
};

/* A router over the four regions, each on a port where nothing listens
 * (us-west: echo's, when given). */
static int rig_open_echo(struct rig *g, struct echo *echo)
{
    memset(g, 0, sizeof *g);
    g->echo = echo;
    if (conf_from(four_regions, &g->conf) < 0)
        return -1;
    for (int i = 0; i < g->conf.n_regions; i++)
        g->conf.regions[i].port = i == 0 && echo ? echo->port : closed_port();
    g->epfd = epoll_create1(EPOLL_CLOEXEC);
    char err[256] = "";
    g->rt = router_new(&g->conf, g->epfd, on_done, &g->log, err, sizeof err);
    if (!g->rt)
        printf("#   router_new: %s\n", err);
    sbuf_init(&g->out, 1 << 20);
    return g->rt ? 0 : -1;
}

static int rig_open(struct rig *g)
{
    return rig_open_echo(g, NULL);
}

static void rig_close(struct rig *g)
{
    router_free(g->rt);
    close(g->epfd);
    sbuf_free(&g->out);
}

/* Sends one raw request through router_request; the answer, once it is in
 * (at most 2 s of the router's loop), is in g->out. Returns the status, or
 * -1 when none came. */
static int rig_request_from(struct rig *g, const char *raw, const char *peer, int *keep)
{
    unsigned char addr[16];
    CHECK_INT(regions_addr_parse(peer, strlen(peer), addr), 0);
    struct http_request req;
    struct http_limits lim;
    http_limits_default(&lim);
    snprintf(g->buf, sizeof g->buf, "%s", raw);
    long r = http_parse_request(g->buf, strlen(g->buf), &lim, &req);
    struct evloop_deferred *d = NULL;
    int calls = g->log.calls;
    sbuf_reset(&g->out);
    int later = router_request(g->rt, g, &g->out, &req, r < 0 ? (int)r : 0, addr, 0.0, &d, keep);
    CHECK(later ? d != NULL : d == NULL);
    for (int spin = 0; later && g->log.calls == calls && spin < 200; spin++) {
        struct epoll_event evs[16];
        int n = epoll_wait(g->epfd, evs, 16, 10);
        evloop_dispatch(evs, n > 0 ? n : 0, 0.0);
        router_reap(g->rt);
        if (g->echo)
            echo_pump(g->echo);
    }
    if (later) {
        if (g->log.calls != calls + 1)
            return -1;
        CHECK(g->log.client == g);
        *keep = g->log.keep;
    }
    int status = -1;
    if (g->out.len)
        sscanf(g->out.p, "HTTP/1.1 %d", &status);
    return status;
}

static int rig_request(struct rig *g, const char *raw, int *keep)
{
    return rig_request_from(g, raw, "127.0.0.1", keep);
}

static const char *body_of(const struct rig *g)
{
    const char *e = g->out.p ? strstr(g->out.p, "\r\n\r\n") : NULL;
    return e ? e + 4 : "";
}

static void test_request_own_answers(void)
{
    struct rig g;
    if (rig_open(&g) < 0) {
        CHECK(!"rig");
        return;
    }
    int keep = -1;
    CHECK_INT(rig_request(&g, "GET /api/v1/router HTTP/1.1\r\nHost: t\r\n\r\n", &keep), 200);
    CHECK_INT(keep, 1);
    CHECK(strstr(body_of(&g), "\"default_region\":\"us-west\"") != NULL);
    CHECK(strstr(body_of(&g), "\"healthy\":true") != NULL);
    CHECK_INT(rig_request(&g, "HEAD /api/v1/router HTTP/1.1\r\nHost: t\r\n\r\n", &keep), 200);
    CHECK_STR(body_of(&g), "");
    CHECK(strstr(g.out.p, "Content-Length: ") != NULL);
    CHECK_INT(rig_request(&g, "POST /api/v1/router HTTP/1.1\r\nHost: t\r\n\r\n", &keep), 405);
    CHECK(strstr(g.out.p, "Allow: GET, HEAD\r\n") != NULL);
    CHECK_INT(rig_request(&g,
                          "GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\nRegion-Hint: mars\r\n"
                          "Connection: close\r\n\r\n",
                          &keep),
              400);
    CHECK_INT(keep, 0);
    CHECK(strstr(body_of(&g), "Region-Hint names no region") != NULL);
    CHECK_INT(rig_request(&g, "GET / HTTP/2.0\r\n\r\n", &keep), 505);
    CHECK_INT(keep, 0);
    rig_close(&g);
}

/* Every region refuses: each is marked down in turn and the client gets
 * one 503 naming them, as JSON with Retry-After (HEAD: no body). */
static void test_request_all_refused(void)
{
    struct rig g;
    if (rig_open(&g) < 0) {
        CHECK(!"rig");
        return;
    }
    int keep = -1;
    CHECK_INT(rig_request(&g,
                          "GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\nRegion-Hint: eu-west\r\n\r\n",
                          &keep),
              503);
    CHECK_INT(keep, 1);
    CHECK(strstr(g.out.p, "Retry-After: 1\r\n") != NULL);
    CHECK(strstr(body_of(&g), "\"status\":503") != NULL);
    CHECK(strstr(body_of(&g), "no healthy region") != NULL);
    CHECK(strstr(body_of(&g), "eu-west: ") != NULL);
    CHECK(strstr(body_of(&g), "not tried") == NULL); /* every one was tried */
    CHECK_INT(rig_request(&g, "GET /api/v1/router HTTP/1.1\r\nHost: t\r\n\r\n", &keep), 200);
    CHECK(strstr(body_of(&g), "\"healthy\":true") == NULL);
    CHECK(strstr(body_of(&g), "\"unavailable\":1") != NULL);
    CHECK_INT(rig_request(&g, "HEAD /api/v1/health/ HTTP/1.1\r\nHost: t\r\n\r\n", &keep), 503);
    CHECK_STR(body_of(&g), "");
    rig_close(&g);
}

/* X-Forwarded-For is appended to (one header, the client last), the
 * region is named, hop-by-hop headers go, and the head grows by at most
 * ROUTER_HEAD_GROWTH whatever the client sent. */
static void test_forwarded_head(void)
{
    struct echo e;
    struct rig g;
    if (echo_open(&e) < 0 || rig_open_echo(&g, &e) < 0) {
        CHECK(!"rig");
        return;
    }
    static const struct {
        const char *peer, *headers, *want;
    } cases[] = {
        {"192.0.2.1", "", "\r\nX-Forwarded-For: 192.0.2.1\r\n"},
        {"127.0.0.1", "X-Forwarded-For: 203.0.113.7\r\n",
         "\r\nX-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n"},
        {"2001:db8::1", "x-forwarded-for: 10.0.0.1, 10.0.0.2\r\nX-Forwarded-For: 10.0.0.3\r\n",
         "\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2, 10.0.0.3, 2001:db8::1\r\n"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "Region-Hint: us-west\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\n",
         "\r\nX-Forwarded-For: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\r\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char raw[1024];
        int n = snprintf(raw, sizeof raw, "GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\n%s\r\n",
                         cases[i].headers);
        int keep = -1;
        CHECK_INT(rig_request_from(&g, raw, cases[i].peer, &keep), 200);
        const char *fwd = body_of(&g);
        size_t flen = strlen(fwd);
        if (!strstr(fwd, cases[i].want) || !strstr(fwd, "\r\nRegion-Hint: us-west\r\n") ||
            strstr(fwd, "Keep-Alive") || strstr(fwd, "Connection") ||
            strstr(strstr(fwd, "X-Forwarded-For") + 1, "X-Forwarded-For") ||
            strstr(fwd, "x-forwarded-for") || flen > (size_t)n + ROUTER_HEAD_GROWTH) {
            test_failed_checks++;
            printf("#   case %zu: forwarded (%zu bytes from %d):\n%s\n", i, flen, n, fwd);
        }
    }
    rig_close(&g);
    echo_close(&e);
}

int main(void)
{
    RUN(test_choice_table);
    RUN(test_target_lengths);
    RUN(test_failover_sequence);
    RUN(test_other_confs);
    RUN(test_request_own_answers);
    RUN(test_request_all_refused);
    RUN(test_forwarded_head);
    return TEST_SUMMARY();
}
