/* The global router: a listener (router_port in regions.conf) that forwards
 * every request over plain HTTP/1.1 to a region's host:port, which may be
 * another process or host. It runs inside a server.c worker thread (same
 * accept loop, HTTP parser, keep-alive, limits and drain as a region); this
 * module is the routing policy, and upstream.c carries the bytes:
 *   - target: the region named by Region-Hint, else the first region of
 *     regions.conf (the operator lists the home region first);
 *   - when the target is unhealthy or fails (connect refused or timed out,
 *     reset before any response byte), the nearest healthy region by
 *     great-circle distance from the target serves it, with
 *     `X-Failover: TARGET` on the response; the region's own X-Region and
 *     served_by say who served it. 503 JSON when no region is healthy;
 *   - a health check of every region each health_interval seconds (regions.conf,
 *     default 1; GET /api/v1/health/; 200 with a reachable database =
 *     healthy) plus passive marking on failure.
 * Single-threaded: every function runs on the router's worker thread. */
#ifndef RECSYS_NET_ROUTER_H
#define RECSYS_NET_ROUTER_H

#include <stddef.h>

#include "conf/regions.h"
#include "net/evloop.h"
#include "net/http.h"

#define ROUTER_HEALTH_TIMEOUT  1.0 /* seconds a health check may take to answer */
/* The most forwarding adds to a request head (Region-Hint, the client's
 * address in X-Forwarded-For, a Host for HTTP/1.0): a region allows a trusted
 * proxy's heads this many more bytes than HTTP_MAX_HEAD (and
 * HTTP_PROXY_HEADERS more lines), so the head limit is the same through the
 * router as direct (one proxy hop). */
#define ROUTER_HEAD_GROWTH 128

struct router;

/* Called once per deferred request when its response has been appended to
 * the client's output: the client may send its next request. keep = 0:
 * close the client connection after the output. */
typedef void (*router_done_fn)(void *ctx, void *client, int keep);

/* Resolves every region's host:port of conf (kept by pointer: it must
 * outlive the router); connections go on epoll set epfd. NULL with err on a
 * host that does not resolve, a port 0, or out of memory. */
struct router *router_new(const struct regions_conf *conf, int epfd, router_done_fn done, void *ctx,
                          char *err, size_t errlen);
/* Closes every upstream connection; deferred requests still in flight are
 * dropped without a callback. NULL is fine. */
void router_free(struct router *rt);

/* One request from a client connection (client is opaque, out its output
 * buffer, addr its 16-byte address). parse_status < 0: the parser rejected
 * it (an error is answered, *keep = 0). Returns 0 when the answer is already
 * in out (*keep tells whether the connection stays open), or 1 when it was
 * forwarded and answers later: done(ctx, client, keep) follows, unless the
 * client goes away first and calls (*deferred)->cancel(*deferred). */
int router_request(struct router *rt, void *client, struct sbuf *out,
                   const struct http_request *req, int parse_status, const unsigned char addr[16],
                   double now, struct evloop_deferred **deferred, int *keep);
/* Timeouts, health checks, idle pool expiry: call every tick (~100 ms). */
void router_tick(struct router *rt, double now);
/* Frees connections closed during this loop turn; call after each epoll batch. */
void router_reap(struct router *rt);

/* The routing policy as pure functions (no sockets), for the router and
 * its tests. */

/* The region a Region-Hint value names: its index in conf, 0 (the home
 * region, listed first) when hint is NULL, -1 when it names no region. */
int router_target(const struct regions_conf *conf, const char *hint, size_t hint_len);
/* The region to try for a request aimed at region want: want itself when
 * healthy and not tried yet, else the nearest healthy untried region by
 * great-circle distance from want. healthy[i] and tried[i] (NULL: none
 * tried) per region of conf. -1 when no region is left (answer 503). */
int router_pick(const struct regions_conf *conf, const unsigned char *healthy,
                const unsigned char *tried, int want);

#endif
