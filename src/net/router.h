/* The global router: a listener (router_port in regions.conf) that forwards
 * every request over plain HTTP/1.1 to a region's host:port, which may be
 * another process or host. It runs inside a server.c worker thread (same
 * accept loop, HTTP parser, keep-alive, limits and drain as a region); this
 * module owns only the outbound side, on the worker's epoll set:
 *   - target: the region named by Region-Hint, else the first region of
 *     regions.conf (the operator lists the home region first);
 *   - when the target is unhealthy or fails (connect refused or timed out,
 *     reset before any response byte), the nearest healthy region by
 *     great-circle distance from the target serves it, with
 *     `X-Failover: TARGET` on the response; the region's own X-Region and
 *     served_by say who served it. 503 JSON when no region is healthy;
 *   - a health check of every region each second (GET /api/v1/health/; 200
 *     with a reachable database = healthy) plus passive marking on failure;
 *   - per region a pool of idle keep-alive connections (at most
 *     ROUTER_POOL_IDLE kept), so requests reuse connections.
 * Single-threaded: every function runs on the router's worker thread. */
#ifndef RECSYS_NET_ROUTER_H
#define RECSYS_NET_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "net/http.h"
#include "conf/regions.h"

#define ROUTER_POOL_IDLE       8   /* idle connections kept per region */
#define ROUTER_HEALTH_INTERVAL 1.0 /* seconds between health checks of a region */
#define ROUTER_CONNECT_TIMEOUT 1.0 /* seconds; also the health check timeout */

/* epoll data pointers of the worker are either a client connection or an
 * upstream of this module: both structs start with an int kind, and
 * upstreams carry ROUTER_KIND (client connections 0). */
#define ROUTER_KIND 0x52545550
static inline int router_owns(const void *ptr)
{
    return *(const int *)ptr == ROUTER_KIND;
}

struct router;

/* Called once per forwarded request when its response has been appended to
 * the client's output (or an error response was): the client may send its
 * next request. keep = 0: close the client connection after the output. */
typedef void (*router_done_fn)(void *ctx, void *client, int keep);

/* Resolves every region's host:port of conf (kept by pointer: it must
 * outlive the router) and registers nothing yet. epfd is the worker's epoll
 * set. NULL with err on a host that does not resolve or out of memory. */
struct router *router_new(const struct regions_conf *conf, int epfd, router_done_fn done, void *ctx,
                          char *err, size_t errlen);
/* Closes every upstream connection; pending forwards are dropped without a
 * callback. NULL is fine. */
void router_free(struct router *rt);

/* One request from a client connection (client is opaque, out its output
 * buffer, addr its 16-byte address). parse_status < 0: the parser rejected
 * it (an error is answered, *keep = 0). Returns 0 when the answer is already
 * in out (*keep tells whether the connection stays open), or 1 when the
 * request was forwarded: done() follows, unless router_cancel(*pending) is
 * called first (the client went away). */
int router_request(struct router *rt, void *client, struct sbuf *out,
                   const struct http_request *req, int parse_status, const unsigned char addr[16],
                   double now, void **pending, int *keep);
/* Drops a forward whose client closed; its upstream connection is closed. */
void router_cancel(struct router *rt, void *pending);
/* An epoll event on an upstream (router_owns(ptr) is true). */
void router_event(struct router *rt, void *upstream, uint32_t events, double now);
/* Timeouts, health checks, idle pool expiry: call every tick (~100 ms). */
void router_tick(struct router *rt, double now);
/* Frees upstreams closed during this loop iteration (a later event of the
 * same epoll batch may still name them). */
void router_reap(struct router *rt);

#endif
