/* Region worker threads and their epoll loops (see server.h).
 * Each worker owns: a listening socket, an eventfd for commands, an array of
 * connections, each registered with its own handler (evloop.h). Requests
 * are handled to completion on the worker thread (api_handle); responses of
 * pipelined requests are batched into one write.
 * The global router is one more worker whose requests go to router.c
 * instead of api_handle: it forwards them on the same epoll set and may
 * answer later (a deferred response, router_done). */
#include "net/server.h"
#include "net/accesslog.h"
#include "util/log.h"
#include "net/api.h"
#include "net/apikeys.h"
#include "net/evloop.h"
#include "net/http.h"
#include "net/router.h"
#include "util/error.h"
#include "util/clock.h"
#include "util/mem.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_MAX        (HTTP_MAX_HEAD + ROUTER_HEAD_GROWTH + HTTP_MAX_BODY + 1)
#define OUT_MAX       (16u << 20)  /* per connection, pending output */
#define OUT_PAUSE     (256u << 10) /* stop parsing pipelined requests above this */
#define DRAIN_SECONDS 5.0
#define TICK_MS       100

/* Command bits: several may be pending at once (a stop from the dashboard
 * thread racing server_stop must not overwrite the drain). */
enum { CMD_PAUSE = 1, CMD_RESUME = 2, CMD_DRAIN = 4 };

struct conn {
    struct evloop_handler ev; /* epoll data of fd */
    struct worker *w;
    int fd, slot;
    struct evloop_deferred *deferred; /* a response still to come; NULL when none */
    unsigned char addr[16];
    char *in;
    size_t in_len, in_cap;
    struct sbuf out;
    size_t out_off;
    double req_start, last_active;
    int close_after, want_write;
    int trusted; /* the peer is a trusted proxy: its heads may be ROUTER_HEAD_GROWTH longer */
    int rd_eof;  /* the client half-closed: answer what it sent, then close */
};

struct worker {
    struct server *s;
    struct api_region reg;
    pthread_t th;
    int started;
    int epfd, lfd, evfd, port;
    struct evloop_handler listen_ev, command_ev; /* epoll data of lfd and evfd */
    struct conn **conns;
    int n_conns, max_conns;
    struct conn **dead; /* closed this iteration, freed after it; n_conns + n_dead
                           <= max_conns (accept_all waits for the reap) */
    int n_dead;
    pthread_mutex_t cmu; /* command hand-off */
    pthread_cond_t ccv;
    int cmd;                         /* pending CMD_* bits */
    unsigned long cmd_seq, cmd_done; /* commands sent / carried out */
    int new_lfd;
    int exited; /* the loop has ended: nobody reads commands */
    int paused, draining;
    int accept_muted; /* out of fds: listener out of the epoll set until the next tick */
    double drain_deadline;
    struct http_limits lim, lim_proxy; /* lim_proxy: for trusted proxies' connections */
    struct router *rt;        /* the router worker; NULL for regions */
    struct region_conf rconf; /* the router's name ("router"), host and port */
};

struct server {
    struct regions_conf conf;
    struct api_shared sh;
    pthread_mutex_t reload_mu;
    int n;
    struct worker *w[REGIONS_MAX];
};

/* Binds a non-blocking listener on host:port: 0 with the socket and the bound port, or -1/err. */
static int listen_on(const char *host, int port, int *fd, int *bound, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST};
    struct addrinfo *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc)
        return err_set(err, errlen, "%s:%d: %s", host, port, gai_strerror(rc));
    int s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(s, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s, 1024) < 0) {
        err_set(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (s >= 0)
            close(s);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(s, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    *fd = s;
    return 0;
}

static void conn_close(struct worker *w, struct conn *c)
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

static void reap_dead(struct worker *w)
{
    for (int i = 0; i < w->n_dead; i++) {
        free(w->dead[i]->in);
        sbuf_free(&w->dead[i]->out);
        free(w->dead[i]);
    }
    w->n_dead = 0;
}

static void set_events(struct worker *w, struct conn *c, int want_write)
{
    if (c->want_write == want_write)
        return;
    /* After a half-close EPOLLIN would only report the end of file again. */
    evloop_mod(w->epfd, c->fd, want_write ? EPOLLOUT : c->rd_eof ? 0 : EPOLLIN, &c->ev);
    c->want_write = want_write;
}

/* Writes pending output. 1 when all of it is out, 0 when the socket is
 * full (EPOLLOUT armed), -1 when the connection was closed. */
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
            set_events(w, c, 1);
            return 0;
        } else {
            conn_close(w, c);
            return -1;
        }
    }
    sbuf_reset(&c->out);
    c->out_off = 0;
    if (c->close_after || ((w->draining || c->rd_eof) && c->in_len == 0 && !c->deferred)) {
        conn_close(w, c);
        return -1;
    }
    set_events(w, c, 0);
    return 1;
}

static void conn_process(struct worker *w, struct conn *c, double now);

/* The router's half of conn_process: hands the request to router.c, which
 * answers now or later (c->deferred, then router_done). */
static void route_one(struct worker *w, struct conn *c, const struct http_request *req, long r,
                      double now)
{
    int keep = 1;
    if (!router_request(w->rt, c, &c->out, req, r < 0 ? (int)r : 0, c->addr, now, &c->deferred,
                        &keep) &&
        (!keep || w->draining))
        c->close_after = 1;
}

/* Called by router.c when a deferred answer is in c->out: go on with the
 * pipelined requests, then write. */
static void router_done(void *ctx, void *client, int keep)
{
    struct worker *w = ctx;
    struct conn *c = client;
    c->deferred = NULL;
    if (!keep || w->draining)
        c->close_after = 1;
    conn_process(w, c, clock_monotonic());
}

/* Answers every complete request already buffered, then flushes. */
static void conn_process(struct worker *w, struct conn *c, double now)
{
    struct http_request req;
    while (c->in_len > 0 && !c->close_after && !c->deferred && c->out.len < OUT_PAUSE) {
        long r = http_parse_request(c->in, c->in_len, c->trusted ? &w->lim_proxy : &w->lim, &req);
        if (r == 0)
            break;
        if (w->rt) {
            route_one(w, c, &req, r, now);
            if (r < 0) {
                c->close_after = 1;
                c->in_len = 0;
                break;
            }
            memmove(c->in, c->in + r, c->in_len - (size_t)r);
            c->in_len -= (size_t)r;
            c->req_start = c->in_len ? now : 0;
            continue;
        }
        if (r < 0) {
            api_handle(&w->reg, &req, (int)r, c->addr, &c->out);
            c->close_after = 1;
            c->in_len = 0;
            break;
        }
        if (!api_handle(&w->reg, &req, 0, c->addr, &c->out) || w->draining)
            c->close_after = 1;
        memmove(c->in, c->in + r, c->in_len - (size_t)r);
        c->in_len -= (size_t)r;
        c->req_start = c->in_len ? now : 0;
    }
    if (c->out.overflow) {
        conn_close(w, c);
        return;
    }
    if (c->out.len)
        conn_flush(w, c, now);
    else if ((c->close_after || c->rd_eof) && !c->deferred) /* rd_eof: no request can complete */
        conn_close(w, c);
}

static void conn_readable(struct worker *w, struct conn *c, double now)
{
    if (c->in_len == c->in_cap) {
        /* Past IN_MAX cannot happen (the parser rejects first); no memory can. */
        void *p = c->in;
        if (mem_grow(&p, 1, c->in_cap ? c->in_cap + 1 : 4096, &c->in_cap, IN_MAX) < 0) {
            conn_close(w, c);
            return;
        }
        c->in = p;
    }
    ssize_t n;
    do
        n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    while (n < 0 && errno == EINTR);
    if (n == 0 && !c->rd_eof && (c->in_len || c->deferred || c->out_off < c->out.len)) {
        /* A half-close (HTTP/1.0 scripts, `nc -N`): the requests already
         * received, a forward still in flight and unsent output are answered
         * first; the connection closes once nothing is left. */
        c->rd_eof = 1;
        if (!c->want_write)
            evloop_mod(w->epfd, c->fd, 0, &c->ev);
        conn_process(w, c, now);
        return;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        conn_close(w, c);
        return;
    }
    if (n < 0)
        return;
    if (c->in_len == 0)
        c->req_start = now;
    c->in_len += (size_t)n;
    c->last_active = now;
    conn_process(w, c, now);
}

static void to_addr16(const struct sockaddr_storage *ss, unsigned char out[16])
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
    if (events & EPOLLOUT) {
        if (conn_flush(c->w, c, now) == 1 && c->in_len)
            conn_process(c->w, c, now);
    } else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        conn_readable(c->w, c, now);
    }
}

static void accept_all(struct worker *w, double now)
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
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->ev.on_event = conn_on_event;
        c->w = w;
        c->fd = fd;
        c->slot = slot;
        c->last_active = now;
        to_addr16(&ss, c->addr);
        /* The router is the edge: its own limit is the same for everyone. */
        c->trusted = !w->rt && regions_proxy_trusted(&w->s->conf, c->addr);
        sbuf_init(&c->out, OUT_MAX);
        if (evloop_add(w->epfd, fd, EPOLLIN, &c->ev) < 0) {
            close(fd);
            free(c);
            continue;
        }
        w->conns[slot] = c;
        w->n_conns++;
    }
}

static void close_listener(struct worker *w)
{
    if (w->lfd >= 0) {
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd, NULL);
        close(w->lfd);
        w->lfd = -1;
    }
    atomic_store(&w->reg.up, 0);
}

static void open_listener(struct worker *w, int fd)
{
    w->lfd = fd;
    evloop_add(w->epfd, fd, EPOLLIN, &w->listen_ev);
    atomic_store(&w->reg.up, 1);
}

static void listener_on_event(struct evloop_handler *h, uint32_t events, double now)
{
    struct worker *w = evloop_container_of(h, struct worker, listen_ev);
    (void)events;
    if (w->lfd >= 0) /* not closed earlier in this epoll batch */
        accept_all(w, now);
}

/* Closes connections that are too slow (partial request or unread output
 * past read_timeout) or idle past idle_timeout; while draining, idle ones
 * go at once. */
static void sweep(struct worker *w, double now)
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
        else if (!busy_in && !busy_out && (w->draining || now - c->last_active > cf->idle_timeout))
            conn_close(w, c);
    }
}

static void command_on_event(struct evloop_handler *h, uint32_t events, double now)
{
    struct worker *w = evloop_container_of(h, struct worker, command_ev);
    (void)events;
    (void)now;
    uint64_t v;
    ssize_t r = read(w->evfd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&w->cmu);
    int cmd = w->cmd;
    unsigned long seq = w->cmd_seq;
    w->cmd = 0;
    if (cmd & CMD_PAUSE) {
        close_listener(w);
        for (int i = 0; i < w->max_conns; i++)
            if (w->conns[i])
                conn_close(w, w->conns[i]);
        w->paused = 1;
    }
    if ((cmd & CMD_RESUME) && !(cmd & CMD_DRAIN)) {
        if (w->lfd < 0)
            open_listener(w, w->new_lfd);
        else
            close(w->new_lfd); /* already listening */
        w->paused = 0;
    } else if (cmd & CMD_RESUME) {
        close(w->new_lfd);
    }
    if (cmd & CMD_DRAIN) {
        close_listener(w);
        w->draining = 1;
        w->drain_deadline = clock_monotonic() + DRAIN_SECONDS;
    }
    w->cmd_done = seq;
    pthread_cond_broadcast(&w->ccv);
    pthread_mutex_unlock(&w->cmu);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[128];
    double last_sweep = clock_monotonic();
    for (;;) {
        int n = epoll_wait(w->epfd, evs, 128, TICK_MS);
        if (n < 0 && errno != EINTR)
            break;
        double now = clock_monotonic();
        evloop_dispatch(evs, n > 0 ? n : 0, now);
        if (now - last_sweep >= TICK_MS / 1000.0 || w->draining) {
            if (w->accept_muted && w->lfd >= 0)
                evloop_mod(w->epfd, w->lfd, EPOLLIN, &w->listen_ev);
            w->accept_muted = 0;
            sweep(w, now);
            if (w->rt)
                router_tick(w->rt, now);
            last_sweep = now;
        }
        reap_dead(w);
        if (w->rt)
            router_reap(w->rt);
        if (w->draining && (w->n_conns == 0 || now > w->drain_deadline))
            break;
    }
    for (int i = 0; i < w->max_conns; i++)
        if (w->conns[i])
            conn_close(w, w->conns[i]);
    reap_dead(w);
    if (w->rt)
        router_reap(w->rt);
    pthread_mutex_lock(&w->cmu); /* release anyone waiting on a late command */
    w->exited = 1;
    if (w->cmd & CMD_RESUME) /* a restart that came too late */
        close(w->new_lfd);
    w->cmd = 0;
    w->cmd_done = w->cmd_seq;
    pthread_cond_broadcast(&w->ccv);
    pthread_mutex_unlock(&w->cmu);
    return NULL;
}

/* Sends a command and, when wait is set, waits until the worker has carried
 * it out (commands from several threads add up; none is lost). 0, or -1
 * when the worker's loop has already ended (the command was not run). */
static int worker_command(struct worker *w, int cmd, int wait)
{
    uint64_t one = 1;
    pthread_mutex_lock(&w->cmu);
    if (w->exited) {
        pthread_mutex_unlock(&w->cmu);
        return -1;
    }
    w->cmd |= cmd;
    unsigned long mine = ++w->cmd_seq;
    ssize_t r = write(w->evfd, &one, sizeof one);
    (void)r;
    while (wait && w->cmd_done < mine)
        pthread_cond_wait(&w->ccv, &w->cmu);
    pthread_mutex_unlock(&w->cmu);
    return 0;
}

static void worker_free(struct worker *w)
{
    if (!w)
        return;
    if (w->lfd >= 0)
        close(w->lfd);
    if (w->evfd >= 0)
        close(w->evfd);
    if (w->epfd >= 0)
        close(w->epfd);
    router_free(w->rt); /* after the connections: they cancel their forwards */
    free(w->conns);
    free(w->dead);
    if (w->reg.sh)
        api_region_free(&w->reg);
    pthread_mutex_destroy(&w->cmu);
    pthread_cond_destroy(&w->ccv);
    free(w);
}

/* A worker for region rc, or (router = 1) the router worker listening on
 * rc's host:port (rc->name is "router"). NULL with err on failure. */
static struct worker *worker_new(struct server *s, const struct region_conf *rc, int router,
                                 char *err, size_t errlen)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w) {
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    w->s = s;
    w->lfd = w->evfd = w->epfd = -1;
    w->listen_ev.on_event = listener_on_event;
    w->command_ev.on_event = command_on_event;
    pthread_mutex_init(&w->cmu, NULL);
    pthread_cond_init(&w->ccv, NULL);
    http_limits_default(&w->lim);
    w->lim_proxy = w->lim;
    w->lim_proxy.max_head += ROUTER_HEAD_GROWTH;
    w->lim_proxy.max_headers += HTTP_PROXY_HEADERS;
    w->max_conns = s->conf.max_connections;
    w->conns = calloc((size_t)w->max_conns, sizeof *w->conns);
    w->dead = calloc((size_t)w->max_conns, sizeof *w->dead);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!w->conns || !w->dead || w->epfd < 0 || w->evfd < 0) {
        err_set(err, errlen, "region %s: %s", rc->name, strerror(errno));
        goto fail;
    }
    if (router) {
        w->rconf = *rc;
        w->reg.conf = &w->rconf;
        if (!(w->rt = router_new(&s->conf, w->epfd, router_done, w, err, errlen)))
            goto fail;
    } else if (api_region_init(&w->reg, &s->sh, rc, err, errlen) < 0) {
        goto fail;
    }
    int fd;
    if (listen_on(rc->host, rc->port, &fd, &w->port, err, errlen) < 0)
        goto fail;
    evloop_add(w->epfd, w->evfd, EPOLLIN, &w->command_ev);
    open_listener(w, fd);
    return w;
fail:
    worker_free(w);
    return NULL;
}

/* Opens the engine; on failure the process serves without one (503s). */
static void open_engine(struct server *s)
{
    struct engine *e = NULL;
    s->sh.engine_err[0] = '\0';
    if (engine_open(s->sh.db_path, &e, s->sh.engine_err, sizeof s->sh.engine_err) < 0) {
        e = NULL;
        log_error(NULL, "error", "what=engine_open database=%s message=%s", s->sh.db_path,
                  s->sh.engine_err);
    }
    s->sh.engine = e;
    atomic_store(&s->sh.engine_gen, 1);
}

static int reload_cb(void *ctx, char *err, size_t errlen)
{
    return server_reload(ctx, err, errlen);
}

/* A server with no worker yet (conf copied); NULL on OOM. */
static struct server *server_alloc(const struct regions_conf *conf)
{
    struct server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->conf = *conf;
    pthread_mutex_init(&s->reload_mu, NULL);
    pthread_mutex_init(&s->sh.engine_mu, NULL);
    s->sh.conf = &s->conf;
    return s;
}

/* Starts the thread of every worker. Workers never take process signals
 * (the front end waits for them), so they start with all signals blocked.
 * 0, or -1 with err (the threads already started keep running: server_stop
 * joins them). */
static int start_threads(struct server *s, char *err, size_t errlen)
{
    sigset_t all, old;
    int rc = 0;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; i < s->n && rc == 0; i++) {
        if (pthread_create(&s->w[i]->th, NULL, worker_main, s->w[i]) != 0)
            rc = err_set(err, errlen, "cannot start the thread of %s", s->w[i]->reg.conf->name);
        else
            s->w[i]->started = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int server_start(const struct regions_conf *conf, const char *db_path, const char *const *names,
                 int n, struct server **out, char *err, size_t errlen)
{
    *out = NULL;
    struct server *s = server_alloc(conf);
    if (!s)
        return err_set(err, errlen, "out of memory");
    snprintf(s->sh.db_path, sizeof s->sh.db_path, "%s", db_path ? db_path : conf->database);
    s->sh.reload = reload_cb;
    s->sh.reload_ctx = s;
    if (conf->admin_keys_file[0] &&
        !(s->sh.admin_keys = apikeys_load(conf->admin_keys_file, err, errlen)))
        goto fail;
    if (conf->api_keys_file[0] && !(s->sh.keys = apikeys_load(conf->api_keys_file, err, errlen)))
        goto fail;
    if (accesslog_open(conf->log, &s->sh.log, err, errlen) < 0)
        goto fail;
    for (int i = 0; i < (n > 0 ? n : s->conf.n_regions); i++) {
        const struct region_conf *rc =
            n > 0 ? regions_find(&s->conf, names[i]) : &s->conf.regions[i];
        if (!rc) {
            err_set(err, errlen, "no region '%s' in the configuration", names[i]);
            goto fail;
        }
        for (int j = 0; j < s->n; j++)
            if (s->w[j]->reg.conf == rc) {
                err_set(err, errlen, "region '%s' selected twice", rc->name);
                goto fail;
            }
        if (!(s->w[s->n] = worker_new(s, rc, 0, err, errlen)))
            goto fail;
        s->sh.regions[s->n] = &s->w[s->n]->reg;
        s->n++;
        s->sh.n_regions = s->n;
    }
    open_engine(s);
    if (start_threads(s, err, errlen) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    server_stop(s);
    return -1;
}

int server_router_start(const struct regions_conf *conf, int port, struct server **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    struct server *s = server_alloc(conf);
    if (!s)
        return err_set(err, errlen, "out of memory");
    struct region_conf rc;
    memset(&rc, 0, sizeof rc);
    snprintf(rc.name, sizeof rc.name, "router");
    snprintf(rc.host, sizeof rc.host, "%s", conf->router_host[0] ? conf->router_host : "127.0.0.1");
    snprintf(rc.location, sizeof rc.location, "global router");
    rc.port = port;
    if (!(s->w[0] = worker_new(s, &rc, 1, err, errlen)) ||
        (s->n = 1, start_threads(s, err, errlen) < 0)) {
        server_stop(s);
        return -1;
    }
    *out = s;
    return 0;
}

static struct worker *find_worker(const struct server *s, const char *region)
{
    for (int i = 0; s && region && i < s->n; i++)
        if (!strcmp(s->w[i]->reg.conf->name, region))
            return s->w[i];
    return NULL;
}

int server_port(const struct server *s, const char *region)
{
    struct worker *w = find_worker(s, region);
    return w ? w->port : -1;
}

int server_region_stop(struct server *s, const char *region)
{
    struct worker *w = find_worker(s, region);
    if (!w)
        return -1;
    return worker_command(w, CMD_PAUSE, 1);
}

int server_region_start(struct server *s, const char *region)
{
    struct worker *w = find_worker(s, region);
    char err[256];
    int fd, port;
    if (!w)
        return -1;
    if (atomic_load(&w->reg.up))
        return 0;
    if (listen_on(w->reg.conf->host, w->port, &fd, &port, err, sizeof err) < 0)
        return -1;
    pthread_mutex_lock(&w->cmu);
    w->new_lfd = fd;
    pthread_mutex_unlock(&w->cmu);
    if (worker_command(w, CMD_RESUME, 1) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}

int server_reload(struct server *s, char *err, size_t errlen)
{
    struct engine *e = NULL, *old;
    char why[512] = "";
    pthread_mutex_lock(&s->reload_mu);
    if (engine_open(s->sh.db_path, &e, why, sizeof why) < 0) {
        pthread_mutex_unlock(&s->reload_mu);
        return err_set(err, errlen, "reload failed, still serving the previous model: %s", why);
    }
    pthread_mutex_lock(&s->sh.engine_mu);
    old = s->sh.engine;
    s->sh.engine = e;
    /* engine_err is left alone: regions read it without a lock while their
     * engine is NULL, and it is only written before the threads start. */
    atomic_fetch_add(&s->sh.engine_gen, 1);
    pthread_mutex_unlock(&s->sh.engine_mu);
    engine_release(old); /* regions still holding it release theirs on their next request */
    pthread_mutex_unlock(&s->reload_mu);
    return 0;
}

void server_stop(struct server *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        if (s->w[i]->started)
            worker_command(s->w[i], CMD_DRAIN, 0);
    for (int i = 0; i < s->n; i++)
        if (s->w[i]->started)
            pthread_join(s->w[i]->th, NULL);
    for (int i = 0; i < s->n; i++)
        worker_free(s->w[i]);
    engine_release(s->sh.engine);
    apikeys_free(s->sh.keys);
    apikeys_free(s->sh.admin_keys);
    accesslog_close(s->sh.log);
    pthread_mutex_destroy(&s->sh.engine_mu);
    pthread_mutex_destroy(&s->reload_mu);
    free(s);
}
