/* The router's outbound connections and their keep-alive pools (see
 * upstream.h). Each connection is an epoll registration of the router
 * worker with its own handler (evloop.h); its user hears how the exchange
 * ended through the callback it gave upstream_get. */
#include "net/upstream.h"
#include "net/evloop.h"
#include "util/error.h"
#include "util/mem.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQ_MAX (HTTP_MAX_HEAD + HTTP_MAX_BODY + 1024)

enum { UP_IDLE, UP_CONNECTING, UP_SENDING, UP_READING };

struct upstream {
    struct evloop_handler ev; /* epoll data of fd */
    struct upstream_pool *pool;
    int target;
    int fd, state, reused, events;
    upstream_reply_fn fn; /* the user of this exchange; NULL when idle */
    void *user;
    struct sbuf out; /* request bytes */
    size_t out_off;
    char *in; /* response bytes */
    size_t in_len, in_cap;
    double deadline, idle_since, timeout;
    struct upstream *prev, *next; /* pool->live, or pool->dead once closed */
    struct upstream *next_idle;   /* target's idle list */
};

struct upstream_target {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct upstream *idle;
    int n_idle;
};

struct upstream_pool {
    int epfd;
    int n;
    struct upstream_target t[UPSTREAM_MAX_TARGETS];
    struct upstream *live, *dead;
};

static void up_on_event(struct evloop_handler *h, uint32_t events, double now);

static void up_events(struct upstream *u, int want_out)
{
    int ev = want_out ? EPOLLOUT : EPOLLIN;
    if (u->events == ev)
        return;
    evloop_mod(u->pool->epfd, u->fd, (uint32_t)ev, &u->ev);
    u->events = ev;
}

static void idle_remove(struct upstream *u)
{
    struct upstream_target *t = &u->pool->t[u->target];
    for (struct upstream **pp = &t->idle; *pp; pp = &(*pp)->next_idle)
        if (*pp == u) {
            *pp = u->next_idle;
            t->n_idle--;
            return;
        }
}

void upstream_close(struct upstream *u)
{
    struct upstream_pool *p = u->pool;
    if (u->fd < 0)
        return;
    if (u->state == UP_IDLE)
        idle_remove(u);
    u->fn = NULL;
    close(u->fd); /* also leaves the epoll set */
    u->fd = -1;
    if (u->prev)
        u->prev->next = u->next;
    else
        p->live = u->next;
    if (u->next)
        u->next->prev = u->prev;
    u->prev = NULL;
    u->next = p->dead;
    p->dead = u;
}

/* Ends the exchange on u with a failure: closes u, then tells its user. */
static void up_fail(struct upstream *u, const char *why, int before_send, int malformed, double now)
{
    upstream_reply_fn fn = u->fn;
    struct upstream_reply r = {.why = why,
                               .before_send = before_send,
                               .got = u->in_len > 0,
                               .reused = u->reused,
                               .malformed = malformed};
    void *user = u->user;
    upstream_close(u);
    if (fn)
        fn(user, u, &r, now);
}

/* A new non-blocking connection to target t, or NULL (errno) when it failed at once. */
static struct upstream *up_open(struct upstream_pool *p, int t, double now)
{
    struct upstream_target *tg = &p->t[t];
    int fd = socket(tg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, (struct sockaddr *)&tg->addr, tg->addrlen);
    if (rc < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    struct upstream *u = calloc(1, sizeof *u);
    if (!u) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    u->ev.on_event = up_on_event;
    u->pool = p;
    u->target = t;
    u->fd = fd;
    u->state = rc == 0 ? UP_SENDING : UP_CONNECTING;
    u->deadline = now + UPSTREAM_CONNECT_TIMEOUT;
    u->events = EPOLLOUT;
    sbuf_init(&u->out, REQ_MAX);
    if (evloop_add(p->epfd, fd, EPOLLOUT, &u->ev) < 0) {
        int en = errno;
        close(fd);
        sbuf_free(&u->out);
        free(u);
        errno = en;
        return NULL;
    }
    u->next = p->live;
    if (p->live)
        p->live->prev = u;
    p->live = u;
    return u;
}

struct upstream *upstream_get(struct upstream_pool *p, int target, int fresh, upstream_reply_fn fn,
                              void *user, double now)
{
    struct upstream_target *t = &p->t[target];
    struct upstream *u = fresh ? NULL : t->idle;
    if (u) {
        t->idle = u->next_idle;
        t->n_idle--;
        u->next_idle = NULL;
        u->state = UP_SENDING;
        u->reused = 1;
        u->deadline = now + UPSTREAM_CONNECT_TIMEOUT;
    } else if (!(u = up_open(p, target, now))) {
        return NULL;
    }
    u->fn = fn;
    u->user = user;
    return u;
}

struct sbuf *upstream_request(struct upstream *u)
{
    sbuf_reset(&u->out);
    u->out_off = 0;
    u->in_len = 0;
    return &u->out;
}

void upstream_release(struct upstream *u, int keep, double now)
{
    struct upstream_target *t = &u->pool->t[u->target];
    u->fn = NULL;
    u->user = NULL;
    if (!keep || t->n_idle >= UPSTREAM_POOL_IDLE) {
        upstream_close(u);
        return;
    }
    sbuf_reset(&u->out);
    u->out_off = 0;
    u->in_len = 0;
    u->state = UP_IDLE;
    u->idle_since = now;
    up_events(u, 0); /* a region closing it is noticed (EOF) */
    u->next_idle = t->idle;
    t->idle = u;
    t->n_idle++;
}

static void up_flush(struct upstream *u, double now)
{
    while (u->out_off < u->out.len) {
        ssize_t n = send(u->fd, u->out.p + u->out_off, u->out.len - u->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            u->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            up_events(u, 1);
            return;
        } else {
            up_fail(u, n < 0 ? strerror(errno) : "send failed", u->out_off == 0, 0, now);
            return;
        }
    }
    u->state = UP_READING;
    u->deadline = now + u->timeout;
    up_events(u, 0);
}

void upstream_send(struct upstream *u, double timeout, double now)
{
    u->timeout = timeout;
    if (u->state == UP_SENDING)
        up_flush(u, now);
    else
        up_events(u, 1); /* connecting: EPOLLOUT says when it is done */
}

/* Reads what is there and, once the response is complete, hands it over. */
static void up_read(struct upstream *u, double now)
{
    int eof = 0;
    for (;;) {
        if (u->in_len == u->in_cap) {
            void *p = u->in;
            if (mem_grow(&p, 1, u->in_cap ? u->in_cap + 1 : 16384, &u->in_cap,
                         HTTP_MAX_HEAD + UPSTREAM_RESP_MAX) < 0) {
                up_fail(u, "response too large", 0, 0, now);
                return;
            }
            u->in = p;
        }
        ssize_t n = recv(u->fd, u->in + u->in_len, u->in_cap - u->in_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) {
            up_fail(u, strerror(errno), 0, 0, now);
            return;
        }
        if (n == 0) { /* a response framed by Content-Length may still be complete */
            eof = 1;
            break;
        }
        u->in_len += (size_t)n;
    }
    if (u->state != UP_READING) { /* an idle connection closed, or bytes nobody asked for */
        if (eof || u->in_len)
            up_fail(u, "connection closed", 0, 0, now);
        return;
    }
    struct http_response resp;
    long r = http_parse_response(u->in, u->in_len, HTTP_MAX_HEAD, UPSTREAM_RESP_MAX, &resp);
    if (r == 0) {
        if (eof)
            up_fail(u, "connection closed before a complete response", 0, 0, now);
        return;
    }
    if (r < 0 || (size_t)r != u->in_len) {
        up_fail(u, "malformed response", 0, 1, now);
        return;
    }
    if (eof)
        resp.keep_alive = 0;
    struct upstream_reply rep = {.buf = u->in, .resp = &resp, .reused = u->reused};
    upstream_reply_fn fn = u->fn;
    void *user = u->user;
    u->fn = NULL; /* the user now owns u: it releases or closes it */
    if (fn)
        fn(user, u, &rep, now);
    else
        upstream_close(u);
}

static void up_on_event(struct evloop_handler *h, uint32_t events, double now)
{
    struct upstream *u = evloop_container_of(h, struct upstream, ev);
    if (u->fd < 0) /* closed earlier in this epoll batch */
        return;
    if (u->state == UP_CONNECTING) {
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
            e = errno;
        if (e) {
            up_fail(u, strerror(e), 1, 0, now);
            return;
        }
        u->state = UP_SENDING;
    }
    if (u->state == UP_SENDING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        up_flush(u, now);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        up_read(u, now);
}

struct upstream_pool *upstream_pool_new(int epfd)
{
    struct upstream_pool *p = calloc(1, sizeof *p);
    if (p)
        p->epfd = epfd;
    return p;
}

int upstream_pool_add(struct upstream_pool *p, const char *host, int port, char *err, size_t errlen)
{
    if (p->n >= UPSTREAM_MAX_TARGETS)
        return err_set(err, errlen, "more than %d upstream targets", UPSTREAM_MAX_TARGETS);
    if (port <= 0)
        return err_set(err, errlen, "needs a fixed port (not 0)");
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc)
        return err_set(err, errlen, "%s", gai_strerror(rc));
    struct upstream_target *t = &p->t[p->n];
    memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
    t->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return p->n++;
}

int upstream_pool_idle(const struct upstream_pool *p, int target)
{
    return p->t[target].n_idle;
}

void upstream_pool_drop_idle(struct upstream_pool *p, int target)
{
    while (p->t[target].idle)
        upstream_close(p->t[target].idle);
}

void upstream_pool_tick(struct upstream_pool *p, double now)
{
    /* One expired connection at a time: its user may close or open others. */
    for (;;) {
        struct upstream *u = p->live;
        while (u && !(u->state == UP_IDLE ? now - u->idle_since > UPSTREAM_IDLE_SECONDS
                                          : now > u->deadline))
            u = u->next;
        if (!u)
            break;
        if (u->state == UP_IDLE)
            upstream_close(u);
        else
            up_fail(u, u->state == UP_CONNECTING ? "connect timed out" : "response timed out",
                    u->state == UP_CONNECTING, 0, now);
    }
}

void upstream_pool_reap(struct upstream_pool *p)
{
    while (p->dead) {
        struct upstream *u = p->dead;
        p->dead = u->next;
        sbuf_free(&u->out);
        free(u->in);
        free(u);
    }
}

void upstream_pool_free(struct upstream_pool *p)
{
    if (!p)
        return;
    while (p->live)
        upstream_close(p->live);
    upstream_pool_reap(p);
    free(p);
}
