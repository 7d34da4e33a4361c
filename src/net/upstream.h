/* Outbound HTTP/1.1 connections from the router to its regions ("targets"),
 * on the router worker's epoll set: non-blocking connect, send, response
 * framing, timeouts, and per target a pool of idle keep-alive connections
 * (at most UPSTREAM_POOL_IDLE kept, closed after UPSTREAM_IDLE_SECONDS).
 * It knows nothing of regions' health or of which target to use: that is
 * router.c's policy. Whoever takes a connection (upstream_get) is told once,
 * through its callback, how the exchange ended.
 * Single-threaded: every function runs on the router's worker thread. */
#ifndef RECSYS_NET_UPSTREAM_H
#define RECSYS_NET_UPSTREAM_H

#include <stddef.h>

#include "net/http.h"

#define UPSTREAM_POOL_IDLE       8          /* idle connections kept per target */
#define UPSTREAM_IDLE_SECONDS    30.0       /* below the regions' default idle_timeout (60 s) */
#define UPSTREAM_CONNECT_TIMEOUT 1.0        /* seconds to connect (or to send on a pooled one) */
#define UPSTREAM_RESP_MAX        (8u << 20) /* a region's largest body (api.c BODY_MAX) */
#define UPSTREAM_MAX_TARGETS     16

struct upstream;
struct upstream_pool;

/* How an exchange ended. resp != NULL: a complete response (buf[0..) holds
 * it); the callback must then hand the connection back (upstream_release)
 * or close it. resp == NULL: it failed and the connection is already closed;
 * the callback must forget it. */
struct upstream_reply {
    const char *buf;
    const struct http_response *resp;
    const char *why; /* failed: "connect timed out", strerror text, ... */
    int before_send; /* failed before any request byte left: safe to send elsewhere */
    int got;         /* failed after some response bytes came back */
    int reused;      /* the connection came from the idle pool */
    int malformed;   /* the target answered, but not a valid response */
};

typedef void (*upstream_reply_fn)(void *user, struct upstream *u, const struct upstream_reply *r,
                                  double now);

/* An empty pool on epoll set epfd; NULL when out of memory. */
struct upstream_pool *upstream_pool_new(int epfd);
/* Adds a target at host:port (resolved now; port must not be 0). Returns its
 * index (0, 1, ... in the order added), or -1 with err (also past
 * UPSTREAM_MAX_TARGETS). */
int upstream_pool_add(struct upstream_pool *p, const char *host, int port, char *err,
                      size_t errlen);
/* Closes every connection without a callback and frees the pool. NULL is fine. */
void upstream_pool_free(struct upstream_pool *p);
/* Idle connections pooled for a target. */
int upstream_pool_idle(const struct upstream_pool *p, int target);
/* Closes a target's idle connections (it went down: they are dead too). */
void upstream_pool_drop_idle(struct upstream_pool *p, int target);
/* Fails connections past their deadline (callback: "connect timed out",
 * "response timed out") and closes idle ones past UPSTREAM_IDLE_SECONDS.
 * Call every loop tick. */
void upstream_pool_tick(struct upstream_pool *p, double now);
/* Frees connections closed during this loop turn (a later event of the same
 * epoll batch may still name them): call after each batch. */
void upstream_pool_reap(struct upstream_pool *p);

/* A connection to target for one exchange: a pooled one unless fresh is
 * set, else a new one (connect in progress). fn(user, ...) will be called
 * once when the exchange ends. NULL (errno) when a socket could not even be
 * started. Fill upstream_request(u), then call upstream_send. */
struct upstream *upstream_get(struct upstream_pool *p, int target, int fresh, upstream_reply_fn fn,
                              void *user, double now);
/* The request buffer of u, emptied: the caller writes one whole request. */
struct sbuf *upstream_request(struct upstream *u);
/* Sends the request (now when connected, else once the connect is done);
 * the response must be complete within timeout seconds after the last
 * request byte. A failure may call back before this returns. */
void upstream_send(struct upstream *u, double timeout, double now);
/* Back to its target's pool after a complete response when keep is set and
 * the pool has room; closed otherwise. */
void upstream_release(struct upstream *u, int keep, double now);
/* Closes u without calling back (its user has gone). */
void upstream_close(struct upstream *u);

#endif
