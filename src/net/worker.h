/* The types shared by the two halves of a region's worker: server.c (threads, listener, commands,
 * the server API) and conn.c (one client connection: read, parse, answer, write). Types and limits
 * only; no functions. */
#ifndef RECSYS_NET_WORKER_H
#define RECSYS_NET_WORKER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/regions.h"
#include "net/api.h"
#include "net/evloop.h"
#include "net/http.h"

/* Memory per connection is bounded (README "Memory"): the input buffer
 * starts at IN_INIT and grows only while one request does not fit, up to
 * IN_MAX; output stops being produced once OUT_BOUND bytes wait, so it holds
 * at most OUT_BOUND + one response; the kernel queues at most SEND_LOWAT
 * unsent bytes (TCP_NOTSENT_LOWAT) on top of what the client's window
 * takes. A client that does not read its answers is not read either. */
#define IN_INIT       4096
#define IN_MAX        (HTTP_MAX_HEAD + HTTP_PROXY_HEAD_GROWTH + HTTP_MAX_BODY + 1)
#define OUT_MAX       (16u << 20) /* hard cap of one connection's output buffer */
#define OUT_BOUND     (16u << 10) /* no more requests are answered while this much waits */
#define SEND_LOWAT    (16u << 10)
#define IDLE_RELEASE  1.0        /* seconds idle before a connection's buffers are freed */
#define TRIM_BYTES    (8u << 20) /* freed bytes after which the loop calls malloc_trim */
#define DRAIN_SECONDS 5.0
/* Draining, an idle keep-alive client may still send this long (also a client
 * descheduled for a while on a busy machine). */
#define DRAIN_IDLE    1.0
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
    uint32_t events; /* the epoll interest registered now */
    int close_after; /* close once the output is written */
    int trusted;   /* the peer is a trusted proxy: its heads may be HTTP_PROXY_HEAD_GROWTH longer */
    int rd_eof;    /* the client half-closed: answer what it sent, then close */
    int need_more; /* the input ends in an incomplete request */
    int sent_continue; /* "100 Continue" went out for the request being received */
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
    size_t freed;     /* buffer bytes freed since the last malloc_trim */
    double drain_deadline;
    struct http_limits lim, lim_proxy; /* lim_proxy: for trusted proxies' connections */
};

struct server {
    struct regions_conf conf;
    struct api_shared sh;
    int n;
    struct worker *w[REGIONS_MAX];
};

#endif
