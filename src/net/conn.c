/* One client connection of a region's worker (see conn.h):
 * reading, parsing, answering in order (pipelining), writing with
 * back-pressure, half-close, 100-continue, the drain, timeouts and the
 * release of idle buffers. */
#include "net/conn.h"
#include "net/worker.h"
#include "util/clock.h"
#include "util/mem.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

void conn_close(struct worker *w, struct conn *c)
{
    if (c->fd < 0)
        return;
    if (c->deferred) {
        c->deferred->cancel(c->deferred);
        c->deferred = NULL;
    }
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    w->conns[c->slot] = NULL;
    w->n_conns--;
    w->dead[w->n_dead++] = c; /* a later event of this batch may still name it */
}

void conn_reap(struct worker *w)
{
    for (int i = 0; i < w->n_dead; i++) {
        struct conn *c = w->dead[i];
        w->freed += c->in_cap + c->out.cap + sizeof *c;
        free(c->in);
        sbuf_free(&c->out);
        free(c);
    }
    w->n_dead = 0;
}

/* Frees the buffers of a connection with nothing pending (an idle
 * keep-alive client costs its struct only); the next request allocates
 * them again. */
static void conn_release(struct worker *w, struct conn *c)
{
    w->freed += c->in_cap + c->out.cap;
    free(c->in);
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    c->need_more = 0;
    sbuf_free(&c->out);
    sbuf_init(&c->out, OUT_MAX);
    c->out_off = 0;
}

/* Registers what c waits for. EPOLLOUT alone while the socket has not taken
 * all output: a client that does not read its answers is not read either
 * (back-pressure). Else EPOLLIN, except after the client's half-close or
 * while the input buffer is full of requests not answered yet (it grows only
 * for a request that does not fit). An epoll_ctl only when that changes. */
static void conn_events(struct worker *w, struct conn *c)
{
    uint32_t want = EPOLLIN;
    if (c->out_off < c->out.len)
        want = EPOLLOUT;
    else if (c->rd_eof ||
             (c->in_cap && c->in_len == c->in_cap && !(c->need_more && c->in_cap < IN_MAX)))
        want = 0;
    if (want != c->events && evloop_mod(w->epfd, c->fd, want, &c->ev) == 0)
        c->events = want;
}

/* Writes pending output. 1 when all of it is out (the buffer is empty
 * again), 0 when the socket is full (EPOLLOUT armed), -1 when the
 * connection was closed (an error, or close_after once all is written). */
static int conn_flush(struct worker *w, struct conn *c, double now)
{
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->last_active = now;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn_events(w, c);
            return 0;
        } else {
            conn_close(w, c);
            return -1;
        }
    }
    sbuf_reset(&c->out);
    c->out_off = 0;
    if (c->close_after && !c->deferred) {
        conn_close(w, c);
        return -1;
    }
    return 1;
}

static void conn_process(struct worker *w, struct conn *c, double now);

/* Called when a deferred answer (an activation, a rollback) is in c->out:
 * go on with the pipelined requests, then write. */
void conn_done(void *ctx, void *client, int keep)
{
    struct worker *w = ctx;
    struct conn *c = client;
    c->deferred = NULL;
    if (!keep)
        c->close_after = 1;
    conn_process(w, c, clock_monotonic());
}

static const struct http_limits *conn_limits(const struct worker *w, const struct conn *c)
{
    return c->trusted ? &w->lim_proxy : &w->lim;
}

/* Draining: the answer to the request of r bytes at the start of in says
 * "Connection: close" unless another complete request is buffered behind
 * it (that one is answered too, and so on): every request already received
 * gets its answer, and the client learns not to send more. */
static void __attribute__((noinline))
conn_drain_keep_alive(struct worker *w, const struct conn *c, const char *in, size_t len, long r,
                      struct http_request *req)
{
    struct http_request next;
    if ((size_t)r == len ||
        http_parse_request(in + r, len - (size_t)r, conn_limits(w, c), &next) <= 0)
        req->keep_alive = 0;
}

/* Answers the complete requests at the start of c->in, in order, until the
 * input is used up, a request is incomplete, the connection is to close, an
 * answer is deferred, or OUT_BOUND bytes of output wait. 1 when it stopped
 * for that bound (write, then go on with what is buffered), else 0. */
static int conn_parse(struct worker *w, struct conn *c, double now)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    struct http_request req;
    int more = 0;
    size_t off = 0; /* answered bytes at the front of c->in: moved out once, at the end */
    while (off < c->in_len && !c->close_after && !c->deferred) {
        if (c->out.len >= OUT_BOUND) {
            more = 1;
            break;
        }
        const char *in = c->in + off;
        size_t len = c->in_len - off;
        long r = http_parse_request(in, len, conn_limits(w, c), &req);
        if (r == 0) {
            c->need_more = 1;
            /* RFC 9110 10.1.1: the client waits for this before the body. */
            if (req.expect_continue && !c->sent_continue) {
                sbuf_append(&c->out, cont, sizeof cont - 1);
                c->sent_continue = 1;
            }
            break;
        }
        c->need_more = c->sent_continue = 0;
        if (r > 0 && w->draining && req.keep_alive)
            conn_drain_keep_alive(w, c, in, len, r, &req);
        if (!api_handle(&w->reg, &req, r < 0 ? (int)r : 0, c->addr, &c->out, c, &c->deferred))
            c->close_after = 1;
        if (r < 0) { /* rejected: answered, and nothing after it can be framed */
            c->close_after = 1;
            off = c->in_len;
            break;
        }
        off += (size_t)r;
        c->req_start = off < c->in_len ? now : 0;
    }
    /* One move per call, not one per request: a buffer full of small
     * pipelined requests would otherwise be copied once for each of them. */
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    /* A half-closed client gets every answer, then the close. */
    if (c->rd_eof && !c->deferred && !more && (c->in_len == 0 || c->need_more))
        c->close_after = 1;
    return more;
}

/* Answers what is buffered and writes it, over and over while the socket
 * takes the output and complete requests remain (pipelining), then waits
 * for the right event. */
static void conn_process(struct worker *w, struct conn *c, double now)
{
    for (;;) {
        int more = conn_parse(w, c, now);
        if (c->out.overflow) {
            conn_close(w, c);
            return;
        }
        if (c->out.len == 0) {
            if (c->close_after && !c->deferred)
                conn_close(w, c);
            else
                conn_events(w, c);
            return;
        }
        if (conn_flush(w, c, now) != 1)
            return;
        if (!more) {
            conn_events(w, c);
            return;
        }
    }
}

static void conn_readable(struct worker *w, struct conn *c, double now)
{
    if (c->in_len == c->in_cap) {
        /* Full: grow only for a request that does not fit (past IN_MAX the
         * parser has rejected it); requests waiting for their turn wait. */
        void *p = c->in;
        if (c->in_cap && !(c->need_more && c->in_cap < IN_MAX)) {
            conn_events(w, c);
            return;
        }
        if (mem_grow(&p, 1, c->in_cap ? c->in_cap + 1 : IN_INIT, &c->in_cap, IN_MAX) < 0) {
            conn_close(w, c);
            return;
        }
        c->in = p;
    }
    ssize_t n;
    do
        n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n < 0) {
        conn_close(w, c);
        return;
    }
    if (n == 0) { /* half-close: what is buffered is still answered */
        c->rd_eof = 1;
        conn_process(w, c, now);
        return;
    }
    if (c->in_len == 0)
        c->req_start = now;
    c->in_len += (size_t)n;
    c->last_active = now;
    conn_process(w, c, now);
}

static void conn_addr16(const struct sockaddr_storage *ss, unsigned char out[16])
{
    memset(out, 0, 16);
    if (ss->ss_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    } else if (ss->ss_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    }
}

/* A client connection's epoll event. */
static void conn_on_event(struct evloop_handler *h, uint32_t events, double now)
{
    struct conn *c = evloop_container_of(h, struct conn, ev);
    if (c->fd < 0) /* closed earlier in this epoll batch */
        return;
    if (events & (EPOLLERR | EPOLLHUP)) { /* reset: no answer can reach the client */
        conn_close(c->w, c);
    } else if (events & EPOLLOUT) {
        if (conn_flush(c->w, c, now) == 1)
            conn_process(c->w, c, now);
    } else if (events & EPOLLIN) {
        conn_readable(c->w, c, now);
    }
}

void conn_accept_all(struct worker *w, double now)
{
    for (;;) {
        /* A slot closed in this iteration is free in conns[] but its conn
         * still sits in dead[] until the reap: accepting into it could
         * overflow dead[] if the new conn closed in the same iteration.
         * The listener is level-triggered, so the next iteration accepts. */
        if (w->n_conns < w->max_conns && w->n_conns + w->n_dead >= w->max_conns)
            return;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(w->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                /* EMFILE, ENFILE, ENOBUFS...: the pending connection keeps the
                 * level-triggered listener readable, so epoll_wait would spin.
                 * Mute it until the next sweep tick (fds may be free then). */
                evloop_mod(w->epfd, w->lfd, 0, &w->listen_ev);
                w->accept_muted = 1;
            }
            return;
        }
        if (w->n_conns >= w->max_conns) {
            size_t len;
            const char *resp = api_overload_response(&len);
            ssize_t r = send(fd, resp, len, MSG_NOSIGNAL);
            (void)r;
            close(fd);
            continue;
        }
        struct conn *c = calloc(1, sizeof *c);
        int slot = 0;
        while (slot < w->max_conns && w->conns[slot])
            slot++;
        if (!c) {
            close(fd);
            continue;
        }
        c->ev.on_event = conn_on_event;
        c->w = w;
        c->fd = fd;
        c->slot = slot;
        c->last_active = now;
        conn_addr16(&ss, c->addr);
        c->trusted = regions_proxy_trusted(&w->s->conf, c->addr);
        sbuf_init(&c->out, OUT_MAX);
        c->events = EPOLLIN;
        if (evloop_add(w->epfd, fd, EPOLLIN, &c->ev) < 0) {
            close(fd);
            free(c);
            continue;
        }
        w->conns[slot] = c;
        w->n_conns++;
    }
}

/* Draining, an idle keep-alive connection: closed once it has been idle
 * DRAIN_IDLE seconds (a client in the middle of a series sends its next
 * request sooner and gets it answered with "Connection: close"), after one
 * last read for a request that came in since the last epoll_wait. */
static void conn_drain_idle(struct worker *w, struct conn *c, double now)
{
    if (now - c->last_active < DRAIN_IDLE)
        return;
    if (!c->rd_eof && c->events == EPOLLIN)
        conn_readable(w, c, now);
    if (c->fd >= 0 && c->in_len == 0 && c->out_off == c->out.len && !c->deferred)
        conn_close(w, c);
}

/* Closes connections that are too slow (partial request or unread output
 * past read_timeout) or idle past idle_timeout (while draining, DRAIN_IDLE);
 * frees the buffers of those idle past IDLE_RELEASE, and gives freed memory
 * back to the system once TRIM_BYTES of it add up (else the allocator keeps
 * what thousands of slow clients once held). */
void conn_sweep(struct worker *w, double now)
{
    const struct regions_conf *cf = &w->s->conf;
    for (int i = 0; i < w->max_conns; i++) {
        struct conn *c = w->conns[i];
        if (!c || c->deferred) /* whoever answers later times out its own work */
            continue;
        int busy_in = c->in_len > 0, busy_out = c->out_off < c->out.len;
        if (busy_in && now - c->req_start > cf->read_timeout)
            conn_close(w, c);
        else if (busy_out && now - c->last_active > cf->read_timeout)
            conn_close(w, c);
        else if (busy_in || busy_out)
            continue;
        else if (w->draining)
            conn_drain_idle(w, c, now);
        else if (now - c->last_active > cf->idle_timeout)
            conn_close(w, c);
        else if ((c->in_cap || c->out.cap) && now - c->last_active > IDLE_RELEASE)
            conn_release(w, c);
    }
}

/* Returns freed heap to the system (see conn_sweep); glibc keeps it otherwise. */
void conn_trim(struct worker *w)
{
    if (w->freed < TRIM_BYTES)
        return;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    w->freed = 0;
}
