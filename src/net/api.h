/* Routes -> engine calls -> JSON responses, for one region. The server owns
 * the sockets; this module turns one parsed request into one complete HTTP
 * response appended to the connection's output buffer. Which route a path
 * names and which region a Region-Hint picks are decided in net/route.c;
 * every JSON shape is written by net/render.c; the HTTP status of a failed
 * engine or model-store call comes from its error code (render_status).
 *
 * Concurrency: every region has a mutex held while it handles a request, so
 * its cache, rate limiter, metrics and engine reference are only ever touched
 * by one thread at a time (normally its own; Region-Hint lets another
 * region's thread serve "as" it). The engine is swapped by bumping a
 * generation number: a region notices at its next request, takes a reference
 * to the new engine, drops the old one and clears its cache. */
#ifndef RECSYS_NET_API_H
#define RECSYS_NET_API_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine/engine.h"
#include "net/http.h"
#include "net/metrics.h"
#include "conf/regions.h"

struct apikeys;
struct accesslog;
struct bio;
struct inbox;
struct storepoll;
struct retrain_sched;
struct experiments;
struct exp_snap;
struct evloop_deferred;
struct events;
struct feedback_event;
struct overlay;
struct cache;
struct ratelimit;

/* Process-wide state shared by every region. */
struct api_shared {
    const struct regions_conf *conf;
    char db_path[512];
    char host[256]; /* gethostname(), for health: which machine a region runs on */
    struct apikeys *keys;  /* NULL: no key required */
    struct apikeys *admin_keys; /* NULL: admin routes answer loopback clients only */
    struct accesslog *log; /* NULL: no access log */
    pthread_mutex_t engine_mu;
    struct engine *engine; /* the process's reference; NULL when engine_open failed */
    char engine_err[512];  /* why the first engine_open failed; written once, before
                              the region threads start, read only while NULL */
    atomic_uint_fast64_t engine_gen;
    struct bio *bio; /* background model jobs (bio.h): activate, rollback, reload, and the
                        one thread that writes engine; NULL: those routes answer 503 */
    struct storepoll *store; /* model_store set (storepoll.h): the poller that feeds
                                engine from S3; NULL: the engine comes from db_path */
    struct retrain_sched *retrain; /* retrain_every set (retrain_sched.h); NULL: off */
    struct experiments *exps;      /* A/B experiments (exp.h); NULL: none in this process */
    int n_regions;
    struct api_region *regions[REGIONS_MAX];
    /* Feedback events (net/events.h): the queue and writer thread, and the
       overlay of purchases posted as events, which profiles and recommendations read
       beside the model (engine/overlay.h). NULL: off. */
    struct events *events;
    struct overlay *overlay;
    /* Set by the experiments module: called for every committed batch of
       events, from the thread that completed it, after the durable commit
       and before the batch is acknowledged. NULL: nobody listens. */
    void (*on_events)(void *ctx, const struct feedback_event *ev, size_t n);
    void *on_events_ctx;
};

struct api_region {
    const struct region_conf *conf;
    struct api_shared *sh;
    atomic_int up;         /* listener bound and accepting (Region-Hint targets) */
    pthread_mutex_t mu;    /* guards everything below */
    struct engine *engine; /* this region's reference */
    uint64_t gen;
    int64_t model_version;
    struct cache *cache;
    struct ratelimit *rl;
    struct metrics m;
    double started;         /* monotonic seconds */
    struct sbuf body;       /* scratch: response body */
    struct rec_result *res; /* scratch: engine output */
    struct exp_snap *xsnap; /* the running experiments this region serves (exp_sync) */
    uint64_t xgen;
    /* Set by api_region_attach, used by this region's loop thread only: */
    struct inbox *inbox;                       /* background job results for this loop */
    struct inbox *ev_inbox; /* feedback events made durable (events.h) */
    void (*done)(void *ctx, void *conn, int keep); /* a parked request was answered */
    void *done_ctx;
};

/* Fills r for region conf rc (caches, limiter, buffers). 0 or -1 with err. */
int api_region_init(struct api_region *r, struct api_shared *sh, const struct region_conf *rc,
                    char *err, size_t errlen);
void api_region_free(struct api_region *r);
/* Lets r's requests wait for background jobs (the models routes): results
 * come back through an inbox on r's epoll set epfd, and once such a request
 * is answered (appended to its connection's output), done(ctx, conn, keep)
 * tells the server to go on with that connection. 0, or -1 with err. */
int api_region_attach(struct api_region *r, int epfd, void (*done)(void *, void *, int), void *ctx,
                      char *err, size_t errlen);

/* Handles one request received by region `self` from client `addr` (16-byte
 * IPv6 or v4-mapped) on connection conn (opaque) and appends the whole
 * response to out. parse_status < 0 means the request was rejected by the
 * parser (-400, -413, -431, ...): an error response is written and the
 * connection must close. Returns 1 when the connection may stay open, 0
 * when it must close after this response. The models routes (list,
 * activate, rollback: SQL and model loading) are answered later instead,
 * from the background job thread (bio.h): *deferred is set (the connection must read no
 * further request until then, and calls (*deferred)->cancel if it closes
 * first), and self->done(ctx, conn, keep) follows once the answer is in
 * out. deferred NULL: such requests get 503. */
int api_handle(struct api_region *self, const struct http_request *req, int parse_status,
               const unsigned char addr[16], struct sbuf *out, void *conn,
               struct evloop_deferred **deferred);

/* A complete 503 JSON response for a connection refused at accept time (no
 * request was read); static, no allocation. */
const char *api_overload_response(size_t *len);

#endif
