/* The router's upstream connections (upstream.c) against a scripted region
 * on loopback, driven in one thread: a complete response, keep-alive reuse
 * from the pool, the pool's cap, a region that closes an idle connection,
 * a malformed answer, a refused connect, a response timeout, and
 * cancellation without a callback. */
#include "net/evloop.h"
#include "net/upstream.h"
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PEERS 16

/* The scripted region: answers every complete request on each accepted
 * connection with `answer` (NULL: never answers), then closes the
 * connection when close_after is set. */
struct region {
    int lfd, port;
    int peers[MAX_PEERS], n_peers;
    const char *answer;
    int close_after;
    int requests;
};

struct outcome {
    int calls;
    int status; /* resp->status, or 0 when it failed */
    char why[128];
    int before_send, got, reused, malformed;
    char body[256];
};

static void record(void *user, struct upstream *u, const struct upstream_reply *r, double now)
{
    struct outcome *o = user;
    o->calls++;
    o->before_send = r->before_send;
    o->got = r->got;
    o->reused = r->reused;
    o->malformed = r->malformed;
    o->status = r->resp ? r->resp->status : 0;
    snprintf(o->why, sizeof o->why, "%s", r->why ? r->why : "");
    if (r->resp) {
        snprintf(o->body, sizeof o->body, "%.*s", (int)r->resp->body_len,
                 r->buf + r->resp->head_len);
        upstream_release(u, r->resp->keep_alive, now);
    }
}

static void region_open(struct region *g)
{
    memset(g, 0, sizeof *g);
    g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t al = sizeof a;
    bind(g->lfd, (struct sockaddr *)&a, sizeof a);
    listen(g->lfd, 16);
    getsockname(g->lfd, (struct sockaddr *)&a, &al);
    g->port = ntohs(a.sin_port);
}

static void region_close(struct region *g)
{
    for (int i = 0; i < g->n_peers; i++)
        if (g->peers[i] >= 0)
            close(g->peers[i]);
    if (g->lfd >= 0)
        close(g->lfd);
}

/* Accepts what is pending and answers what is complete. */
static void region_serve(struct region *g)
{
    int fd;
    while (g->n_peers < MAX_PEERS && (fd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
        g->peers[g->n_peers++] = fd;
    for (int i = 0; i < g->n_peers; i++) {
        char buf[4096];
        ssize_t n = g->peers[i] >= 0 ? recv(g->peers[i], buf, sizeof buf - 1, 0) : -1;
        if (n <= 0)
            continue;
        buf[n] = '\0';
        if (!strstr(buf, "\r\n\r\n"))
            continue;
        g->requests++;
        if (!g->answer)
            continue;
        ssize_t w = send(g->peers[i], g->answer, strlen(g->answer), MSG_NOSIGNAL);
        (void)w;
        if (g->close_after) {
            close(g->peers[i]);
            g->peers[i] = -1;
        }
    }
}

/* Closes the region's side of every connection (as an idle timeout would). */
static void region_hang_up(struct region *g)
{
    for (int i = 0; i < g->n_peers; i++)
        if (g->peers[i] >= 0) {
            close(g->peers[i]);
            g->peers[i] = -1;
        }
}

/* One pool with one target, the scripted region, on one epoll set. The
 * clock stands still at NOW: timeouts are driven by explicit ticks. */
#define NOW 1.0
struct rig {
    int epfd, t;
    struct upstream_pool *p;
    struct region g;
};

static void rig_open(struct rig *r, const char *answer)
{
    r->epfd = epoll_create1(0);
    r->p = upstream_pool_new(r->epfd);
    region_open(&r->g);
    r->g.answer = answer;
    r->t = upstream_pool_add(r->p, "127.0.0.1", r->g.port, NULL, 0);
}

static void rig_close(struct rig *r)
{
    upstream_pool_free(r->p);
    region_close(&r->g);
    close(r->epfd);
}

/* Runs the loop (and the region unless serve is 0) until o has heard back
 * or 2 s pass; o NULL: ten turns. */
static void pump(struct rig *r, int serve, struct outcome *o)
{
    for (int spin = 0; spin < 200 && (!o || !o->calls); spin++) {
        struct epoll_event evs[16];
        int n = epoll_wait(r->epfd, evs, 16, 10);
        evloop_dispatch(evs, n > 0 ? n : 0, NOW);
        upstream_pool_reap(r->p);
        if (serve)
            region_serve(&r->g);
        if (!o && spin >= 10)
            break;
    }
}

/* Starts one GET on a pooled or new connection; o hears how it ended. */
static struct upstream *request(struct rig *r, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    struct upstream *u = upstream_get(r->p, r->t, 0, record, o, NOW);
    if (u) {
        sbuf_puts(upstream_request(u), "GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
        upstream_send(u, 1.0, NOW);
    }
    return u;
}

static const char ok_answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

static void test_response_and_reuse(void)
{
    struct rig r;
    struct outcome o;
    rig_open(&r, ok_answer);
    CHECK_INT(r.t, 0);
    CHECK(request(&r, &o) != NULL);
    pump(&r, 1, &o);
    CHECK_INT(o.calls, 1);
    CHECK_INT(o.status, 200);
    CHECK_STR(o.body, "hello");
    CHECK_INT(o.reused, 0);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 1);
    CHECK(request(&r, &o) != NULL);
    pump(&r, 1, &o);
    CHECK_INT(o.status, 200);
    CHECK_INT(o.reused, 1); /* the same connection again */
    CHECK_INT(r.g.n_peers, 1);
    CHECK_INT(r.g.requests, 2);
    /* Idle past UPSTREAM_IDLE_SECONDS: closed by the tick. */
    upstream_pool_tick(r.p, NOW + UPSTREAM_IDLE_SECONDS - 1);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 1);
    upstream_pool_tick(r.p, NOW + UPSTREAM_IDLE_SECONDS + 1);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 0);
    rig_close(&r);
}

/* Connection: close from the region, or a full pool: not kept. */
static void test_pool_limits(void)
{
    struct rig r;
    struct outcome o, os[UPSTREAM_POOL_IDLE + 2];
    rig_open(&r, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    r.g.close_after = 1;
    request(&r, &o);
    pump(&r, 1, &o);
    CHECK_INT(o.status, 200);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 0);
    /* UPSTREAM_POOL_IDLE + 2 exchanges at once: only the cap stays pooled. */
    r.g.answer = ok_answer;
    r.g.close_after = 0;
    int n = UPSTREAM_POOL_IDLE + 2, ok = 0;
    for (int i = 0; i < n; i++)
        request(&r, &os[i]);
    for (int i = 0; i < n; i++)
        pump(&r, 1, &os[i]);
    for (int i = 0; i < n; i++)
        ok += os[i].status == 200;
    CHECK_INT(ok, n);
    CHECK_INT(upstream_pool_idle(r.p, r.t), UPSTREAM_POOL_IDLE);
    upstream_pool_drop_idle(r.p, r.t);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 0);
    rig_close(&r);
}

/* The region closes an idle connection: the pool notices (no callback:
 * nobody was using it); a send on a stale one fails as reused. */
static void test_region_hangs_up(void)
{
    struct rig r;
    struct outcome o;
    rig_open(&r, ok_answer);
    request(&r, &o);
    pump(&r, 1, &o);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 1);
    region_hang_up(&r.g);
    pump(&r, 1, NULL);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 0);
    /* Hang-up not noticed yet (no loop turn): the exchange fails as reused,
     * with nothing received, which the router retries on a fresh one. */
    request(&r, &o);
    pump(&r, 1, &o);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 1);
    region_hang_up(&r.g);
    request(&r, &o);
    pump(&r, 0, &o);
    CHECK_INT(o.calls, 1);
    CHECK_INT(o.status, 0);
    CHECK_INT(o.reused, 1);
    CHECK_INT(o.got, 0);
    rig_close(&r);
}

/* Failures, as a table: what the region does, and what the user hears. */
static void test_failures(void)
{
    static const struct {
        const char *name;
        const char *answer; /* NULL: never answers */
        int listening;
        double tick; /* seconds after NOW when the tick runs; 0 = none */
        const char *why;
        int before_send, got, malformed;
    } cases[] = {
        {"refused", NULL, 0, 0, "Connection refused", 1, 0, 0},
        {"malformed", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 1, 0, "malformed response", 0,
         1, 1},
        {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1, 0,
         "malformed response", 0, 1, 1},
        {"extra bytes", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", 1, 0,
         "malformed response", 0, 1, 1},
        {"silent", NULL, 1, 1.5, "response timed out", 0, 0, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        struct rig r;
        struct outcome o;
        rig_open(&r, cases[k].answer);
        if (!cases[k].listening) {
            close(r.g.lfd);
            r.g.lfd = -1;
        }
        request(&r, &o);
        if (cases[k].tick > 0) {
            pump(&r, 1, NULL);
            CHECK_INT(o.calls, 0);
            upstream_pool_tick(r.p, NOW + 0.5);
            CHECK_INT(o.calls, 0);
            upstream_pool_tick(r.p, NOW + cases[k].tick);
        } else {
            pump(&r, cases[k].listening, &o);
        }
        if (o.calls != 1 || strcmp(o.why, cases[k].why) || o.before_send != cases[k].before_send ||
            o.got != cases[k].got || o.malformed != cases[k].malformed || o.status) {
            printf("#   %s: calls %d why '%s' before_send %d got %d malformed %d status %d\n",
                   cases[k].name, o.calls, o.why, o.before_send, o.got, o.malformed, o.status);
            test_failed_checks++;
        }
        CHECK_INT(upstream_pool_idle(r.p, r.t), 0);
        rig_close(&r);
    }
}

/* A closed exchange never calls back, even when its answer arrives. */
static void test_close_is_silent(void)
{
    struct rig r;
    struct outcome o;
    rig_open(&r, ok_answer);
    upstream_close(request(&r, &o));
    pump(&r, 1, NULL);
    CHECK_INT(o.calls, 0);
    CHECK_INT(upstream_pool_idle(r.p, r.t), 0);
    rig_close(&r);
}

static void test_targets(void)
{
    int epfd = epoll_create1(0);
    struct upstream_pool *p = upstream_pool_new(epfd);
    char err[256] = "";
    CHECK_INT(upstream_pool_add(p, "127.0.0.1", 0, err, sizeof err), -1);
    CHECK(strstr(err, "fixed port") != NULL);
    for (int i = 0; i < UPSTREAM_MAX_TARGETS; i++)
        CHECK_INT(upstream_pool_add(p, "127.0.0.1", 1000 + i, err, sizeof err), i);
    CHECK_INT(upstream_pool_add(p, "127.0.0.1", 2000, err, sizeof err), -1);
    upstream_pool_free(p);
    upstream_pool_free(NULL);
    close(epfd);
}

int main(void)
{
    RUN(test_response_and_reuse);
    RUN(test_pool_limits);
    RUN(test_region_hangs_up);
    RUN(test_failures);
    RUN(test_close_is_silent);
    RUN(test_targets);
    return TEST_SUMMARY();
}
