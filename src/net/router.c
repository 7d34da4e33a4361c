/* The global router's policy (see router.h): which region serves a request,
 * failover, health checks, and the answers the router writes itself. The
 * connections to the regions are upstream.c's; each forward or health check
 * hears back from it through a callback. */
#include "net/router.h"
#include "net/forwarded.h"
#include "net/route.h"
#include "net/upstream.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REQ_MAX (HTTP_MAX_HEAD + HTTP_MAX_BODY + 1024)

_Static_assert(REGIONS_MAX <= UPSTREAM_MAX_TARGETS, "one upstream target per region");
/* Region-Hint: NAME, and ", ADDRESS" or a whole X-Forwarded-For line. */
_Static_assert(sizeof "Region-Hint: \r\n" - 1 + sizeof((struct region_conf *)0)->name - 1 +
                       sizeof "X-Forwarded-For: \r\n" - 1 + FORWARDED_ADDR_TEXT - 1 +
                       sizeof "Host: router\r\n" - 1 <=
                   ROUTER_HEAD_GROWTH,
               "ROUTER_HEAD_GROWTH covers what forwarding adds to a head");
_Static_assert(3 <= HTTP_PROXY_HEADERS, "Region-Hint, X-Forwarded-For and Host may be added");

struct rt_region {
    struct router *rt;
    const struct region_conf *conf;
    double checked_at;
    int checking;      /* a health check is in flight */
    int check_retried; /* the current check already replaced a stale connection */
    uint64_t forwarded, failed;
    char why[160]; /* why it is unhealthy */
};

/* One forwarded request, from the client's request to its answer. */
struct fwd {
    struct evloop_deferred def; /* what the client connection holds */
    struct router *rt;
    void *client;
    struct sbuf *out; /* the client's output */
    struct sbuf req;  /* request line + kept headers, then (from head_len) the body */
    size_t head_len;
    int keep, retry_safe, stale_retry;
    int head;      /* HEAD: forwarded as GET, relayed without the body */
    int want, cur; /* region asked for, region of this attempt */
    unsigned char tried[REGIONS_MAX];
    struct upstream *up;
    struct fwd *prev, *next; /* rt->fwds */
};

/* A forward that finished before router_request returned. */
struct sync_finish {
    const struct fwd *f;
    int done, keep;
};

struct router {
    const struct regions_conf *conf;
    struct upstream_pool *pool; /* target i = region i */
    router_done_fn done;
    void *ctx;
    int n;
    struct rt_region reg[REGIONS_MAX];
    unsigned char healthy[REGIONS_MAX];
    struct fwd *fwds; /* in flight */
    struct sync_finish *sync;
    uint64_t forwarded, failovers, unavailable;
};

static void fwd_next(struct router *rt, struct fwd *f, double now);

/* ---- the policy, pure ---- */

int router_target(const struct regions_conf *conf, const char *hint, size_t hint_len)
{
    if (!hint)
        return 0;
    /* The same reading of the header as a region's own (route.c). */
    char name[ROUTE_HINT_MAX];
    if (route_hint_parse(hint, hint_len, name) < 0)
        return -1;
    const struct region_conf *r = regions_find(conf, name);
    return r ? (int)(r - conf->regions) : -1;
}

int router_pick(const struct regions_conf *conf, const unsigned char *healthy,
                const unsigned char *tried, int want)
{
    const struct region_conf *cands[REGIONS_MAX];
    unsigned char usable[REGIONS_MAX];
    for (int i = 0; i < conf->n_regions; i++) {
        cands[i] = &conf->regions[i];
        usable[i] = healthy[i] && !(tried && tried[i]);
    }
    return regions_nearest(&conf->regions[want], cands, usable, conf->n_regions);
}

static void mark_down(struct router *rt, int i, const char *why)
{
    struct rt_region *r = &rt->reg[i];
    if (rt->healthy[i])
        r->failed++;
    rt->healthy[i] = 0;
    snprintf(r->why, sizeof r->why, "%s", why);
    upstream_pool_drop_idle(rt->pool, i); /* connections to a dead region are dead too */
}

/* ---- answers to the client ---- */

static void fwd_free(struct router *rt, struct fwd *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        rt->fwds = f->next;
    if (f->next)
        f->next->prev = f->prev;
    sbuf_free(&f->req);
    free(f);
}

static void finish(struct router *rt, struct fwd *f)
{
    void *client = f->client;
    int keep = f->keep;
    struct sync_finish *s = rt->sync && rt->sync->f == f ? rt->sync : NULL;
    fwd_free(rt, f);
    if (s) { /* router_request answers for it */
        s->done = 1;
        s->keep = keep;
    } else {
        rt->done(rt->ctx, client, keep);
    }
}

/* A JSON error answer; head: the response to a HEAD (no body). */
static void error_reply(struct sbuf *out, int status, int keep, int head, const char *msg)
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
    if (!head)
        sbuf_append(out, b.p ? b.p : "", b.len);
    sbuf_free(&b);
}

static void fwd_fail(struct router *rt, struct fwd *f, int status, const char *msg)
{
    if (status == 503)
        rt->unavailable++;
    error_reply(f->out, status, f->keep, f->head, msg);
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

static void health_reply(void *user, struct upstream *u, const struct upstream_reply *rep,
                         double now);

static void health_start(struct router *rt, int i, int fresh, double now)
{
    struct rt_region *r = &rt->reg[i];
    r->checked_at = now;
    struct upstream *u = upstream_get(rt->pool, i, fresh, health_reply, r, now);
    if (!u) {
        char why[160];
        snprintf(why, sizeof why, "health check: %s", strerror(errno));
        mark_down(rt, i, why);
        return;
    }
    r->checking = 1;
    sbuf_printf(upstream_request(u),
                "GET /api/v1/health/ HTTP/1.1\r\nHost: %s\r\nRegion-Hint: %s\r\n"
                "User-Agent: recsys-tui-router\r\n\r\n",
                r->conf->host, r->conf->name);
    upstream_send(u, ROUTER_HEALTH_TIMEOUT, now);
}

/* Healthy = 200 and, when the body says so, a reachable database. A check
 * that failed on a pooled connection the region had closed is retried once
 * on a fresh one before the region is marked down. */
static void health_reply(void *user, struct upstream *u, const struct upstream_reply *rep,
                         double now)
{
    struct rt_region *r = user;
    struct router *rt = r->rt;
    int i = (int)(r - rt->reg);
    r->checking = 0;
    if (!rep->resp) {
        if (rep->reused && !rep->got && !r->check_retried) {
            r->check_retried = 1;
            health_start(rt, i, 1, now);
        } else {
            r->check_retried = 0;
            mark_down(rt, i, rep->why);
        }
        return;
    }
    const struct http_response *resp = rep->resp;
    int ok = resp->status == 200;
    char why[160] = "";
    if (!ok)
        snprintf(why, sizeof why, "health check answered %d", resp->status);
    cJSON *j = ok ? cJSON_ParseWithLength(rep->buf + resp->head_len, resp->body_len) : NULL;
    cJSON *db =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "database"), "ok");
    if (ok && cJSON_IsFalse(db)) {
        ok = 0;
        snprintf(why, sizeof why, "database unreachable");
    }
    cJSON_Delete(j);
    r->check_retried = 0;
    if (ok) {
        rt->healthy[i] = 1;
        r->why[0] = '\0';
    } else {
        mark_down(rt, i, why);
    }
    upstream_release(u, resp->keep_alive && rt->healthy[i], now);
}

/* ---- forwarding ---- */

/* How the attempt of f on its upstream ended. A failure retries: on a fresh
 * connection when a pooled one turned out stale, else on the next region
 * when nothing came back and a retry is safe. */
static void fwd_reply(void *user, struct upstream *u, const struct upstream_reply *rep, double now)
{
    struct fwd *f = user;
    struct router *rt = f->rt;
    int i = f->cur;
    f->up = NULL;
    if (rep->resp) {
        relay(rt, f, rep->buf, rep->resp);
        upstream_release(u, rep->resp->keep_alive && rt->healthy[i], now);
        finish(rt, f);
        return;
    }
    if (rep->malformed) {
        fwd_fail(rt, f, 502, "the region sent a malformed response");
        return;
    }
    if (rep->reused && !rep->got && !f->stale_retry && (rep->before_send || f->retry_safe)) {
        f->stale_retry = 1; /* the region closed an idle connection: not a failure */
        if ((f->up = upstream_get(rt->pool, i, 1, fwd_reply, f, now))) {
            fwd_next(rt, f, now); /* resends the request on the fresh connection */
            return;
        }
    }
    char msg[200];
    snprintf(msg, sizeof msg, "%s: %s", rt->reg[i].conf->name, rep->why);
    mark_down(rt, i, rep->why);
    f->tried[i] = 1;
    if (rep->got || !(rep->before_send || f->retry_safe)) {
        fwd_fail(rt, f, 502, msg);
        return;
    }
    fwd_next(rt, f, now);
}

/* 503 for f: no region left; the message says why each one is out. */
static void fwd_unavailable(struct router *rt, struct fwd *f)
{
    char msg[400];
    int n = snprintf(msg, sizeof msg, "no healthy region");
    for (int i = 0; i < rt->n && n < (int)sizeof msg - 40; i++)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "%s%s: %s", i ? "; " : " (",
                      rt->reg[i].conf->name, rt->reg[i].why[0] ? rt->reg[i].why : "not tried");
    if (n < (int)sizeof msg - 1)
        snprintf(msg + n, sizeof msg - (size_t)n, ")");
    fwd_fail(rt, f, 503, msg);
}

/* Sends f on f->up, or first on a connection to the best region not tried
 * yet (router_pick); answers 503 when none is left. */
static void fwd_next(struct router *rt, struct fwd *f, double now)
{
    while (!f->up) {
        int best = router_pick(rt->conf, rt->healthy, f->tried, f->want);
        if (best < 0) {
            fwd_unavailable(rt, f);
            return;
        }
        f->cur = best;
        if (!(f->up = upstream_get(rt->pool, best, 0, fwd_reply, f, now))) {
            mark_down(rt, best, strerror(errno));
            f->tried[best] = 1;
        }
    }
    struct sbuf *o = upstream_request(f->up);
    sbuf_append(o, f->req.p, f->head_len);
    sbuf_printf(o, "Region-Hint: %s\r\n\r\n", rt->reg[f->cur].conf->name);
    sbuf_append(o, f->req.p + f->head_len, f->req.len - f->head_len);
    upstream_send(f->up, (double)rt->conf->read_timeout, now);
}

/* The client went away: its forward is dropped and its connection closed
 * (the response would arrive for nobody). */
static void fwd_cancel(struct evloop_deferred *d)
{
    struct fwd *f = evloop_container_of(d, struct fwd, def);
    if (f->up)
        upstream_close(f->up);
    fwd_free(f->rt, f);
}

/* Forwarded unchanged except hop-by-hop headers, Region-Hint (the router
 * names the region it picked, so a multi-region process serves it as that
 * region) and X-Forwarded-For (fwd_build writes it anew, the client
 * appended). */
static int skip_header(const struct http_header *h)
{
    /* Expect: the router itself answers 100-continue and forwards whole bodies. */
    static const char *const drop[] = {"Connection",  "Keep-Alive",      "Proxy-Connection",
                                       "Region-Hint", "X-Forwarded-For", "TE",
                                       "Upgrade",     "Expect"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        if (h->name_len == strlen(drop[i]) && !strncasecmp(h->name, drop[i], h->name_len))
            return 1;
    return 0;
}

/* GET /api/v1/router: the router's counters and every region's health. */
static void status_reply(struct router *rt, struct sbuf *out, int keep, int head, double now)
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
        cJSON_AddBoolToObject(o, "healthy", rt->healthy[i]);
        if (r->why[0])
            cJSON_AddStringToObject(o, "reason", r->why);
        else
            cJSON_AddNullToObject(o, "reason");
        cJSON_AddNumberToObject(o, "checked_s_ago", r->checked_at > 0 ? now - r->checked_at : -1);
        cJSON_AddNumberToObject(o, "idle_connections", upstream_pool_idle(rt->pool, i));
        cJSON_AddNumberToObject(o, "forwarded", (double)r->forwarded);
        cJSON_AddItemToArray(arr, o);
    }
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) {
        error_reply(out, 500, keep, head, "out of memory");
        return;
    }
    sbuf_printf(out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                "X-Region: router\r\n%s",
                strlen(s), keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
    if (!head)
        sbuf_puts(out, s);
    free(s);
}

static int is_head(const struct http_request *req)
{
    return req->method_len == 4 && !memcmp(req->method, "HEAD", 4);
}

/* The request as sent upstream into f->req: request line (HEAD becomes
 * GET), the client's headers minus hop-by-hop ones, X-Forwarded-For with the
 * client's address appended, then the body from f->head_len. f->req.overflow tells when it did not
 * fit. */
static void fwd_build(struct fwd *f, const struct http_request *req, const unsigned char addr[16])
{
    char ip[FORWARDED_ADDR_TEXT];
    forwarded_addr_text(addr, ip);
    sbuf_init(&f->req, REQ_MAX);
    /* A region's HEAD answer has a Content-Length but no body, which the
     * response parser cannot frame; ask for the GET and drop its body. */
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
    /* Appended to what earlier proxies wrote (one header, in order): a region
     * reads it from the right, as far as its trusted_proxies allow. */
    sbuf_puts(&f->req, "X-Forwarded-For: ");
    for (int i = 0; i < req->n_headers; i++) {
        const struct http_header *hd = &req->headers[i];
        if (hd->name_len == 15 && !strncasecmp(hd->name, "X-Forwarded-For", 15) && hd->value_len) {
            sbuf_append(&f->req, hd->value, hd->value_len);
            sbuf_puts(&f->req, ", ");
        }
    }
    sbuf_printf(&f->req, "%s\r\n", ip);
    if (!http_header_get(req, "Host", NULL)) /* an HTTP/1.0 client's; regions need one */
        sbuf_puts(&f->req, "Host: router\r\n");
    f->head_len = f->req.len;
    sbuf_append(&f->req, req->body ? req->body : "", req->body_len);
}

/* Starts forwarding req to region want. 1 when it is in flight (*deferred
 * set), 0 when it was answered at once (*keep updated). */
static int fwd_start(struct router *rt, void *client, struct sbuf *out,
                     const struct http_request *req, const unsigned char addr[16], int want,
                     double now, struct evloop_deferred **deferred, int *keep)
{
    int head = is_head(req);
    struct fwd *f = calloc(1, sizeof *f);
    if (!f) {
        error_reply(out, 503, *keep, head, "out of memory");
        return 0;
    }
    f->def.cancel = fwd_cancel;
    f->rt = rt;
    f->client = client;
    f->out = out;
    f->keep = *keep;
    f->head = head;
    f->want = f->cur = want;
    /* Reads are safe to send twice; model activation and rollback are not. */
    f->retry_safe =
        !(req->method_len == 4 && !memcmp(req->method, "POST", 4) &&
          !(req->path_len > 29 && !memcmp(req->path, "/api/v1/recommendations/user/", 29)));
    fwd_build(f, req, addr);
    if (f->req.overflow) {
        sbuf_free(&f->req);
        free(f);
        error_reply(out, 431, *keep, head, "request too large to forward");
        return 0;
    }
    f->next = rt->fwds;
    if (rt->fwds)
        rt->fwds->prev = f;
    rt->fwds = f;
    /* It may be over before fwd_next returns (no region left: 503). */
    struct sync_finish s = {.f = f}, *outer = rt->sync;
    rt->sync = &s;
    fwd_next(rt, f, now);
    rt->sync = outer;
    if (s.done) {
        *keep = s.keep;
        return 0;
    }
    *deferred = &f->def;
    return 1;
}

int router_request(struct router *rt, void *client, struct sbuf *out,
                   const struct http_request *req, int parse_status, const unsigned char addr[16],
                   double now, struct evloop_deferred **deferred, int *keep)
{
    *deferred = NULL;
    if (parse_status < 0) {
        *keep = 0;
        error_reply(out, -parse_status, 0, 0, http_reject_reason(parse_status));
        return 0;
    }
    int head = is_head(req);
    *keep = req->keep_alive;
    if (req->path_len == 14 && !memcmp(req->path, "/api/v1/router", 14)) {
        if ((req->method_len == 3 && !memcmp(req->method, "GET", 3)) || head)
            status_reply(rt, out, *keep, head, now);
        else
            error_reply(out, 405, *keep, 0, "method not allowed here (allowed: GET, HEAD)");
        return 0;
    }
    size_t hl = 0;
    const char *h = http_header_get(req, "Region-Hint", &hl);
    int want = router_target(rt->conf, h, hl);
    if (want < 0) {
        error_reply(out, 400, *keep, head, "Region-Hint names no region in regions.conf");
        return 0;
    }
    return fwd_start(rt, client, out, req, addr, want, now, deferred, keep);
}

void router_tick(struct router *rt, double now)
{
    upstream_pool_tick(rt->pool, now);
    for (int i = 0; i < rt->n; i++) {
        struct rt_region *r = &rt->reg[i];
        if (!r->checking && now - r->checked_at >= rt->conf->health_interval)
            health_start(rt, i, 0, now);
    }
}

void router_reap(struct router *rt)
{
    upstream_pool_reap(rt->pool);
}

struct router *router_new(const struct regions_conf *conf, int epfd, router_done_fn done, void *ctx,
                          char *err, size_t errlen)
{
    if (conf->n_regions < 1) {
        err_set(err, errlen, "the router needs at least one [region] in the configuration");
        return NULL;
    }
    struct router *rt = calloc(1, sizeof *rt);
    if (!rt || !(rt->pool = upstream_pool_new(epfd))) {
        free(rt);
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    rt->conf = conf;
    rt->done = done;
    rt->ctx = ctx;
    for (int i = 0; i < conf->n_regions; i++) {
        const struct region_conf *rc = &conf->regions[i];
        char why[256];
        if (upstream_pool_add(rt->pool, rc->host, rc->port, why, sizeof why) < 0) {
            err_set(err, errlen, "router: region %s at %s:%d: %s", rc->name, rc->host, rc->port,
                    why);
            router_free(rt);
            return NULL;
        }
        rt->reg[i].rt = rt;
        rt->reg[i].conf = rc;
        rt->healthy[i] = 1; /* optimistic until the first check: a refused connect fails over */
        rt->n++;
    }
    return rt;
}

void router_free(struct router *rt)
{
    if (!rt)
        return;
    upstream_pool_free(rt->pool); /* no callbacks: the worker is going away */
    while (rt->fwds)
        fwd_free(rt, rt->fwds);
    free(rt);
}
