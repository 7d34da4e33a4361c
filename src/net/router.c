/* The global router's outbound side (see router.h): region selection,
 * failover, health checks and keep-alive connection pools, all driven by
 * the epoll loop of the router's worker thread in server.c. */
#include "net/router.h"
#include "util/error.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESP_BODY_MAX     (8u << 20) /* a region's largest body (api.c BODY_MAX) */
#define REQ_MAX           (HTTP_MAX_HEAD + HTTP_MAX_BODY + 1024)
#define POOL_IDLE_SECONDS 30.0 /* below the regions' default idle_timeout (60 s) */

enum { UP_IDLE, UP_CONNECTING, UP_SENDING, UP_READING };

struct upstream {
    int kind; /* ROUTER_KIND: must stay first (router_owns) */
    int fd, state, reused, health, events;
    struct rt_region *reg;
    struct fwd *fwd; /* the request in flight; NULL for idle or health checks */
    struct sbuf out; /* request bytes */
    size_t out_off;
    char *in; /* response bytes */
    size_t in_len, in_cap;
    double deadline, idle_since;
    struct upstream *prev, *next; /* rt->live, or rt->dead once closed */
    struct upstream *next_idle;   /* reg->idle pool */
};

struct rt_region {
    const struct region_conf *conf;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int healthy;
    double checked_at;
    int check_retried;      /* the current check already replaced a stale connection */
    struct upstream *check; /* health check in flight */
    struct upstream *idle;  /* pool */
    int n_idle;
    uint64_t forwarded, failed;
    char why[160]; /* why it is unhealthy */
};

struct fwd {
    void *client;
    struct sbuf *out; /* the client's output */
    struct sbuf req;  /* request line + kept headers, then (from head_len) the body */
    size_t head_len;
    int keep, retry_safe, stale_retry;
    int head;      /* HEAD: forwarded as GET, relayed without the body */
    int want, cur; /* region asked for, region of this attempt */
    int tried[REGIONS_MAX];
    struct upstream *up;
};

struct router {
    const struct regions_conf *conf;
    int epfd;
    router_done_fn done;
    void *ctx;
    int n;
    struct rt_region reg[REGIONS_MAX];
    struct upstream *live, *dead;
    uint64_t forwarded, failovers, unavailable;
};

static void fwd_next(struct router *rt, struct fwd *f, double now);

/* ---- upstream connections ---- */

static void up_events(struct router *rt, struct upstream *u, int want_out)
{
    int ev = want_out ? EPOLLOUT : EPOLLIN;
    if (u->events == ev)
        return;
    struct epoll_event e = {.events = (uint32_t)ev, .data.ptr = u};
    epoll_ctl(rt->epfd, EPOLL_CTL_MOD, u->fd, &e);
    u->events = ev;
}

static void pool_remove(struct upstream *u)
{
    struct rt_region *r = u->reg;
    for (struct upstream **pp = &r->idle; *pp; pp = &(*pp)->next_idle)
        if (*pp == u) {
            *pp = u->next_idle;
            r->n_idle--;
            return;
        }
}

static void up_close(struct router *rt, struct upstream *u)
{
    if (u->fd < 0)
        return;
    if (u->state == UP_IDLE)
        pool_remove(u);
    if (u->reg->check == u)
        u->reg->check = NULL;
    close(u->fd);
    u->fd = -1;
    if (u->prev)
        u->prev->next = u->next;
    else
        rt->live = u->next;
    if (u->next)
        u->next->prev = u->prev;
    u->prev = NULL;
    u->next = rt->dead;
    rt->dead = u;
}

/* A new non-blocking connection to r, or NULL (errno) when it failed at once. */
static struct upstream *up_open(struct router *rt, struct rt_region *r, double now)
{
    int fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, (struct sockaddr *)&r->addr, r->addrlen);
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
    u->kind = ROUTER_KIND;
    u->fd = fd;
    u->reg = r;
    u->state = rc == 0 ? UP_SENDING : UP_CONNECTING;
    u->deadline = now + ROUTER_CONNECT_TIMEOUT;
    u->events = EPOLLOUT;
    sbuf_init(&u->out, REQ_MAX);
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = u};
    if (epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
        int en = errno;
        close(fd);
        sbuf_free(&u->out);
        free(u);
        errno = en;
        return NULL;
    }
    u->next = rt->live;
    if (rt->live)
        rt->live->prev = u;
    rt->live = u;
    return u;
}

/* A pooled connection to r, else a new one; NULL (errno) on failure. */
static struct upstream *up_get(struct router *rt, struct rt_region *r, int fresh, double now)
{
    struct upstream *u = fresh ? NULL : r->idle;
    if (u) {
        r->idle = u->next_idle;
        r->n_idle--;
        u->next_idle = NULL;
        u->state = UP_SENDING;
        u->reused = 1;
        u->deadline = now + ROUTER_CONNECT_TIMEOUT;
        return u;
    }
    return up_open(rt, r, now);
}

/* Back to the pool after a complete response, or closed when the pool is
 * full, the region unhealthy or the server asked to close. */
static void up_release(struct router *rt, struct upstream *u, int server_keep, double now)
{
    struct rt_region *r = u->reg;
    u->fwd = NULL;
    u->health = 0;
    if (r->check == u)
        r->check = NULL;
    if (!server_keep || !r->healthy || r->n_idle >= ROUTER_POOL_IDLE) {
        up_close(rt, u);
        return;
    }
    sbuf_reset(&u->out);
    u->out_off = 0;
    u->in_len = 0;
    u->state = UP_IDLE;
    u->idle_since = now;
    up_events(rt, u, 0);
    u->next_idle = r->idle;
    r->idle = u;
    r->n_idle++;
}

static void mark_down(struct router *rt, struct rt_region *r, const char *why)
{
    if (r->healthy)
        r->failed++;
    r->healthy = 0;
    snprintf(r->why, sizeof r->why, "%s", why);
    while (r->idle) /* connections to a dead region are dead too */
        up_close(rt, r->idle);
}

/* ---- responses to the client ---- */

static void finish(struct router *rt, struct fwd *f)
{
    void *client = f->client;
    int keep = f->keep;
    sbuf_free(&f->req);
    free(f);
    rt->done(rt->ctx, client, keep);
}

static void error_reply(struct sbuf *out, int status, int keep, const char *msg)
{
    struct sbuf b;
    sbuf_init(&b, 4096);
    sbuf_printf(&b, "{\"error\":{\"status\":%d,\"message\":", status);
    sbuf_json_str(&b, msg);
    sbuf_puts(&b, "}}");
    sbuf_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n",
                status, http_status_text(status), b.len);
    if (status == 503)
        sbuf_puts(out, "Retry-After: 1\r\n");
    if (status == 405) /* the router's one route, /api/v1/router */
        sbuf_puts(out, "Allow: GET, HEAD\r\n");
    sbuf_puts(out, keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    sbuf_append(out, b.p ? b.p : "", b.len);
    sbuf_free(&b);
}

static void fwd_fail(struct router *rt, struct fwd *f, int status, const char *msg)
{
    if (status == 503)
        rt->unavailable++;
    error_reply(f->out, status, f->keep, msg);
    finish(rt, f);
}

/* Copies the region's response to the client: its headers except the
 * connection ones, plus X-Failover when another region served it. */
static void relay(struct router *rt, struct fwd *f, const char *buf,
                  const struct http_response *resp)
{
    struct sbuf *o = f->out;
    const char *le = memmem(buf, resp->head_len, "\r\n", 2);
    sbuf_append(o, buf, (size_t)(le - buf) + 2);
    int has_region = 0;
    for (int i = 0; i < resp->n_headers; i++) {
        const struct http_header *h = &resp->headers[i];
        if ((h->name_len == 10 && !strncasecmp(h->name, "Connection", 10)) ||
            (h->name_len == 10 && !strncasecmp(h->name, "Keep-Alive", 10)) ||
            (h->name_len == 10 && !strncasecmp(h->name, "X-Failover", 10)))
            continue;
        if (h->name_len == 8 && !strncasecmp(h->name, "X-Region", 8))
            has_region = 1;
        sbuf_append(o, h->name, h->name_len);
        sbuf_puts(o, ": ");
        sbuf_append(o, h->value, h->value_len);
        sbuf_puts(o, "\r\n");
    }
    if (!has_region)
        sbuf_printf(o, "X-Region: %s\r\n", rt->reg[f->cur].conf->name);
    if (f->cur != f->want) {
        sbuf_printf(o, "X-Failover: %s\r\n", rt->reg[f->want].conf->name);
        rt->failovers++;
    }
    sbuf_puts(o, f->keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    if (!f->head)
        sbuf_append(o, buf + resp->head_len, resp->body_len);
    rt->forwarded++;
    rt->reg[f->cur].forwarded++;
}

/* ---- health checks ---- */

static void health_start(struct router *rt, struct rt_region *r, int fresh, double now)
{
    r->checked_at = now;
    struct upstream *u = up_get(rt, r, fresh, now);
    if (!u) {
        char why[160];
        snprintf(why, sizeof why, "health check: %s", strerror(errno));
        mark_down(rt, r, why);
        return;
    }
    u->health = 1;
    r->check = u;
    sbuf_printf(&u->out,
                "GET /api/v1/health/ HTTP/1.1\r\nHost: %s\r\nRegion-Hint: %s\r\n"
                "User-Agent: recsys-tui-router\r\n\r\n",
                r->conf->host, r->conf->name);
    up_events(rt, u, 1);
}

/* Healthy = 200 and, when the body says so, a reachable database. */
static void health_done(struct router *rt, struct upstream *u, const char *buf,
                        const struct http_response *resp, double now)
{
    struct rt_region *r = u->reg;
    int ok = resp->status == 200;
    char why[160] = "";
    if (!ok)
        snprintf(why, sizeof why, "health check answered %d", resp->status);
    cJSON *j = ok ? cJSON_ParseWithLength(buf + resp->head_len, resp->body_len) : NULL;
    cJSON *db =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "database"), "ok");
    if (ok && cJSON_IsFalse(db)) {
        ok = 0;
        snprintf(why, sizeof why, "database unreachable");
    }
    cJSON_Delete(j);
    r->check = NULL;
    r->check_retried = 0;
    if (ok) {
        r->healthy = 1;
        r->why[0] = '\0';
    } else {
        mark_down(rt, r, why);
    }
    up_release(rt, u, resp->keep_alive, now);
}

/* ---- the upstream state machine ---- */

/* The attempt on u failed (why). Health checks mark the region down; a
 * forward retries: on a fresh connection when a pooled one turned out stale,
 * else on the next region when nothing came back and a retry is safe. */
static void up_fail(struct router *rt, struct upstream *u, const char *why, int before_send,
                    double now)
{
    struct rt_region *r = u->reg;
    struct fwd *f = u->fwd;
    int got = u->in_len > 0, reused = u->reused, health = u->health;
    char msg[200];
    snprintf(msg, sizeof msg, "%s: %s", r->conf->name, why);
    up_close(rt, u);
    if (health) {
        if (reused && !got && !r->check_retried) {
            r->check_retried = 1;
            health_start(rt, r, 1, now);
        } else {
            r->check_retried = 0;
            mark_down(rt, r, why);
        }
        return;
    }
    if (!f)
        return;
    f->up = NULL;
    if (reused && !got && !f->stale_retry && (before_send || f->retry_safe)) {
        f->stale_retry = 1; /* the region closed an idle connection: not a failure */
        struct upstream *nu = up_get(rt, r, 1, now);
        if (nu) {
            f->up = nu;
            nu->fwd = f;
            fwd_next(rt, f, now); /* rebuilds the request on nu */
            return;
        }
    }
    mark_down(rt, r, why);
    f->tried[f->cur] = 1;
    if (got || !(before_send || f->retry_safe)) {
        fwd_fail(rt, f, 502, msg);
        return;
    }
    fwd_next(rt, f, now);
}

static void up_send(struct router *rt, struct upstream *u, double now)
{
    while (u->out_off < u->out.len) {
        ssize_t n = send(u->fd, u->out.p + u->out_off, u->out.len - u->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            u->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            up_events(rt, u, 1);
            return;
        } else {
            up_fail(rt, u, n < 0 ? strerror(errno) : "send failed", u->out_off == 0, now);
            return;
        }
    }
    u->state = UP_READING;
    u->deadline = now + (u->health ? ROUTER_CONNECT_TIMEOUT : (double)rt->conf->read_timeout);
    up_events(rt, u, 0);
}

static void up_read(struct router *rt, struct upstream *u, double now)
{
    int eof = 0;
    for (;;) {
        if (u->in_len == u->in_cap) {
            size_t cap = u->in_cap ? u->in_cap * 2 : 16384;
            if (cap > HTTP_MAX_HEAD + RESP_BODY_MAX)
                cap = HTTP_MAX_HEAD + RESP_BODY_MAX;
            char *p = cap > u->in_cap ? realloc(u->in, cap) : NULL;
            if (!p) {
                up_fail(rt, u, "response too large", 0, now);
                return;
            }
            u->in = p;
            u->in_cap = cap;
        }
        ssize_t n = recv(u->fd, u->in + u->in_len, u->in_cap - u->in_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) {
            up_fail(rt, u, strerror(errno), 0, now);
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
            up_fail(rt, u, "connection closed", 0, now);
        return;
    }
    struct http_response resp;
    long r = http_parse_response(u->in, u->in_len, HTTP_MAX_HEAD, RESP_BODY_MAX, &resp);
    if (r == 0) {
        if (eof)
            up_fail(rt, u, "connection closed before a complete response", 0, now);
        return;
    }
    if (eof)
        resp.keep_alive = 0;
    if (r < 0 || (size_t)r != u->in_len) {
        struct fwd *f = u->fwd;
        int health = u->health;
        if (health) {
            up_fail(rt, u, "malformed response", 0, now);
            return;
        }
        u->fwd = NULL;
        up_close(rt, u);
        if (f) {
            f->up = NULL;
            fwd_fail(rt, f, 502, "the region sent a malformed response");
        }
        return;
    }
    if (u->health) {
        health_done(rt, u, u->in, &resp, now);
        return;
    }
    struct fwd *f = u->fwd;
    relay(rt, f, u->in, &resp);
    f->up = NULL;
    up_release(rt, u, resp.keep_alive, now);
    finish(rt, f);
}

void router_event(struct router *rt, void *ptr, uint32_t events, double now)
{
    struct upstream *u = ptr;
    if (u->fd < 0)
        return;
    if (u->state == UP_CONNECTING) {
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
            e = errno;
        if (e) {
            up_fail(rt, u, strerror(e), 1, now);
            return;
        }
        u->state = UP_SENDING;
    }
    if (u->state == UP_SENDING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        up_send(rt, u, now);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        up_read(rt, u, now);
}

/* ---- forwarding ---- */

/* Starts (or restarts) forward f on the best region not tried yet: the one
 * asked for when healthy, else the nearest healthy one. */
static void fwd_next(struct router *rt, struct fwd *f, double now)
{
    struct upstream *u = f->up;
    while (!u) {
        int best = -1;
        double best_d = 0;
        const struct region_conf *want = rt->reg[f->want].conf;
        for (int i = 0; i < rt->n; i++) {
            if (f->tried[i] || !rt->reg[i].healthy)
                continue;
            double d = i == f->want ? -1 : regions_distance_km(want, rt->reg[i].conf);
            if (best < 0 || d < best_d) {
                best = i;
                best_d = d;
            }
        }
        if (best < 0) {
            char msg[400];
            int n = snprintf(msg, sizeof msg, "no healthy region");
            for (int i = 0; i < rt->n && n < (int)sizeof msg - 40; i++)
                n += snprintf(msg + n, sizeof msg - (size_t)n, "%s%s: %s", i ? "; " : " (",
                              rt->reg[i].conf->name,
                              rt->reg[i].why[0] ? rt->reg[i].why : "not tried");
            if (n < (int)sizeof msg - 1)
                snprintf(msg + n, sizeof msg - (size_t)n, ")");
            fwd_fail(rt, f, 503, msg);
            return;
        }
        f->cur = best;
        u = up_get(rt, &rt->reg[best], 0, now);
        if (!u) {
            mark_down(rt, &rt->reg[best], strerror(errno));
            f->tried[best] = 1;
        }
    }
    f->up = u;
    u->fwd = f;
    struct rt_region *r = u->reg;
    f->cur = (int)(r - rt->reg);
    sbuf_reset(&u->out);
    u->out_off = 0;
    u->in_len = 0;
    sbuf_append(&u->out, f->req.p, f->head_len);
    sbuf_printf(&u->out, "Region-Hint: %s\r\n\r\n", r->conf->name);
    sbuf_append(&u->out, f->req.p + f->head_len, f->req.len - f->head_len);
    if (u->state == UP_SENDING)
        up_send(rt, u, now);
}

/* Forwarded unchanged except hop-by-hop headers and Region-Hint (the router
 * names the region it picked, so a multi-region process serves it as that
 * region). */
static int skip_header(const struct http_header *h)
{
    static const char *const drop[] = {"Connection",  "Keep-Alive",      "Proxy-Connection",
                                       "Region-Hint", "X-Forwarded-For", "TE",
                                       "Upgrade"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        if (h->name_len == strlen(drop[i]) && !strncasecmp(h->name, drop[i], h->name_len))
            return 1;
    return 0;
}

static void status_reply(struct router *rt, struct sbuf *out, int keep, double now)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "default_region", rt->reg[0].conf->name);
    cJSON_AddNumberToObject(j, "forwarded", (double)rt->forwarded);
    cJSON_AddNumberToObject(j, "failovers", (double)rt->failovers);
    cJSON_AddNumberToObject(j, "unavailable", (double)rt->unavailable);
    cJSON *arr = cJSON_AddArrayToObject(j, "regions");
    for (int i = 0; i < rt->n; i++) {
        struct rt_region *r = &rt->reg[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", r->conf->name);
        cJSON_AddStringToObject(o, "host", r->conf->host);
        cJSON_AddNumberToObject(o, "port", r->conf->port);
        cJSON_AddBoolToObject(o, "healthy", r->healthy);
        if (r->why[0])
            cJSON_AddStringToObject(o, "reason", r->why);
        else
            cJSON_AddNullToObject(o, "reason");
        cJSON_AddNumberToObject(o, "checked_s_ago", r->checked_at > 0 ? now - r->checked_at : -1);
        cJSON_AddNumberToObject(o, "idle_connections", r->n_idle);
        cJSON_AddNumberToObject(o, "forwarded", (double)r->forwarded);
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) {
        error_reply(out, 500, keep, "out of memory");
        return;
    }
    sbuf_printf(out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                "X-Region: router\r\n%s",
                strlen(s), keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    sbuf_puts(out, s);
    free(s);
}

static int is_head(const struct http_request *req)
{
    return req->method_len == 4 && !memcmp(req->method, "HEAD", 4);
}

/* The request as sent upstream into f->req: request line (HEAD becomes
 * GET), the client's headers minus hop-by-hop ones, X-Forwarded-For, then
 * the body from f->head_len. f->req.overflow tells when it did not fit. */
static void fwd_build(struct fwd *f, const struct http_request *req, const unsigned char addr[16])
{
    char ip[INET6_ADDRSTRLEN] = "";
    static const unsigned char v4map[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(addr, v4map, 12))
        inet_ntop(AF_INET, addr + 12, ip, sizeof ip);
    else
        inet_ntop(AF_INET6, addr, ip, sizeof ip);
    sbuf_init(&f->req, REQ_MAX);
    /* A region's HEAD answer has a Content-Length but no body, which the
     * response parser cannot frame; ask for the GET and drop its body. */
    f->head = is_head(req);
    sbuf_printf(&f->req, "%.*s %.*s%s%.*s HTTP/1.1\r\n", f->head ? 3 : (int)req->method_len,
                f->head ? "GET" : req->method, (int)req->path_len, req->path, req->query ? "?" : "",
                (int)req->query_len, req->query ? req->query : "");
    for (int i = 0; i < req->n_headers; i++) {
        const struct http_header *hd = &req->headers[i];
        if (skip_header(hd))
            continue;
        sbuf_append(&f->req, hd->name, hd->name_len);
        sbuf_puts(&f->req, ": ");
        sbuf_append(&f->req, hd->value, hd->value_len);
        sbuf_puts(&f->req, "\r\n");
    }
    sbuf_printf(&f->req, "X-Forwarded-For: %s\r\n", ip);
    f->head_len = f->req.len;
    sbuf_append(&f->req, req->body ? req->body : "", req->body_len);
}

static int request_inner(struct router *rt, void *client, struct sbuf *out,
                         const struct http_request *req, int parse_status,
                         const unsigned char addr[16], double now, void **pending, int *keep);

int router_request(struct router *rt, void *client, struct sbuf *out,
                   const struct http_request *req, int parse_status, const unsigned char addr[16],
                   double now, void **pending, int *keep)
{
    size_t mark = out->len;
    int started = request_inner(rt, client, out, req, parse_status, addr, now, pending, keep);
    /* The router's own answers to a HEAD (status, errors) keep their head and
     * Content-Length but lose the body, as the regions do. */
    if (!started && parse_status >= 0 && is_head(req) && !out->overflow) {
        const char *e = memmem(out->p + mark, out->len - mark, "\r\n\r\n", 4);
        if (e) {
            out->len = (size_t)(e + 4 - out->p);
            out->p[out->len] = '\0';
        }
    }
    return started;
}

static int request_inner(struct router *rt, void *client, struct sbuf *out,
                         const struct http_request *req, int parse_status,
                         const unsigned char addr[16], double now, void **pending, int *keep)
{
    *pending = NULL;
    if (parse_status < 0) {
        *keep = 0;
        error_reply(out, -parse_status, 0, http_reject_reason(parse_status));
        return 0;
    }
    *keep = req->keep_alive;
    if (req->path_len == 14 && !memcmp(req->path, "/api/v1/router", 14)) {
        if ((req->method_len == 3 && !memcmp(req->method, "GET", 3)) || is_head(req))
            status_reply(rt, out, *keep, now);
        else
            error_reply(out, 405, *keep, "method not allowed here (allowed: GET, HEAD)");
        return 0;
    }
    int want = 0;
    size_t hl = 0;
    const char *h = http_header_get(req, "Region-Hint", &hl);
    if (h) {
        want = -1;
        for (int i = 0; i < rt->n; i++)
            if (strlen(rt->reg[i].conf->name) == hl && !memcmp(rt->reg[i].conf->name, h, hl))
                want = i;
        if (want < 0) {
            error_reply(out, 400, *keep, "Region-Hint names no region in regions.conf");
            return 0;
        }
    }
    struct fwd *f = calloc(1, sizeof *f);
    if (!f) {
        error_reply(out, 503, *keep, "out of memory");
        return 0;
    }
    f->client = client;
    f->out = out;
    f->keep = *keep;
    f->want = f->cur = want;
    /* Reads are safe to send twice; model activation and rollback are not. */
    f->retry_safe =
        !(req->method_len == 4 && !memcmp(req->method, "POST", 4) &&
          !(req->path_len > 29 && !memcmp(req->path, "/api/v1/recommendations/user/", 29)));
    fwd_build(f, req, addr);
    if (f->req.overflow) {
        sbuf_free(&f->req);
        free(f);
        error_reply(out, 431, *keep, "request too large to forward");
        return 0;
    }
    *pending = f;
    fwd_next(rt, f, now); /* may finish at once (503): done() then runs first */
    return 1;
}

void router_cancel(struct router *rt, void *pending)
{
    struct fwd *f = pending;
    if (f->up) {
        f->up->fwd = NULL;
        up_close(rt, f->up); /* its response would arrive for nobody */
    }
    sbuf_free(&f->req);
    free(f);
}

void router_tick(struct router *rt, double now)
{
    /* One expired upstream at a time: handling it may close or open others. */
    for (;;) {
        struct upstream *u = rt->live;
        while (u &&
               !(u->state == UP_IDLE ? now - u->idle_since > POOL_IDLE_SECONDS : now > u->deadline))
            u = u->next;
        if (!u)
            break;
        if (u->state == UP_IDLE)
            up_close(rt, u);
        else
            up_fail(rt, u, u->state == UP_CONNECTING ? "connect timed out" : "response timed out",
                    u->state == UP_CONNECTING, now);
    }
    for (int i = 0; i < rt->n; i++) {
        struct rt_region *r = &rt->reg[i];
        if (!r->check && now - r->checked_at >= ROUTER_HEALTH_INTERVAL)
            health_start(rt, r, 0, now);
    }
}

void router_reap(struct router *rt)
{
    while (rt->dead) {
        struct upstream *u = rt->dead;
        rt->dead = u->next;
        sbuf_free(&u->out);
        free(u->in);
        free(u);
    }
}

struct router *router_new(const struct regions_conf *conf, int epfd, router_done_fn done, void *ctx,
                          char *err, size_t errlen)
{
    if (conf->n_regions < 1) {
        err_set(err, errlen, "the router needs at least one [region] in the configuration");
        return NULL;
    }
    struct router *rt = calloc(1, sizeof *rt);
    if (!rt) {
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    rt->conf = conf;
    rt->epfd = epfd;
    rt->done = done;
    rt->ctx = ctx;
    for (int i = 0; i < conf->n_regions; i++) {
        struct rt_region *r = &rt->reg[i];
        const struct region_conf *rc = &conf->regions[i];
        struct addrinfo hints = {
            .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
        struct addrinfo *ai = NULL;
        char ps[16];
        snprintf(ps, sizeof ps, "%d", rc->port);
        int rc_gai = getaddrinfo(rc->host, ps, &hints, &ai);
        if (rc_gai || rc->port <= 0) {
            err_set(err, errlen, "router: region %s at %s:%d: %s", rc->name, rc->host, rc->port,
                    rc_gai ? gai_strerror(rc_gai) : "needs a fixed port (not 0)");
            if (ai)
                freeaddrinfo(ai);
            free(rt);
            return NULL;
        }
        memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
        r->addrlen = ai->ai_addrlen;
        freeaddrinfo(ai);
        r->conf = rc;
        r->healthy = 1; /* optimistic until the first check: a refused connect fails over */
        rt->n++;
    }
    return rt;
}

void router_free(struct router *rt)
{
    if (!rt)
        return;
    while (rt->live) {
        struct upstream *u = rt->live;
        if (u->fwd) { /* dropped without callback: the worker is going away */
            sbuf_free(&u->fwd->req);
            free(u->fwd);
            u->fwd = NULL;
        }
        up_close(rt, u);
    }
    router_reap(rt);
    free(rt);
}
