/* One client connection of a worker (worker.h): everything between
 * accept and close. The worker's loop calls conn_accept_all when its
 * listener is readable, conn_sweep and conn_trim once a tick, conn_reap
 * after each batch of events; epoll events go to each connection's own
 * handler. */
#ifndef RECSYS_NET_CONN_H
#define RECSYS_NET_CONN_H

struct worker;
struct conn;

/* Accepts every pending connection (up to max_connections; past it each
 * gets a 503 and is closed). */
void conn_accept_all(struct worker *w, double now);
/* Closes c (cancelling a deferred answer); its memory is freed by the next
 * conn_reap, since a later event of this epoll batch may still name it. */
void conn_close(struct worker *w, struct conn *c);
/* Frees the connections closed since the last call. */
void conn_reap(struct worker *w);
/* Closes connections past read_timeout or idle_timeout (while draining,
 * idle ones after DRAIN_IDLE) and frees idle connections' buffers. */
void conn_sweep(struct worker *w, double now);
/* Returns freed memory to the system once TRIM_BYTES of it add up. */
void conn_trim(struct worker *w);
/* A deferred answer (a model job) is in the connection's
 * output: ctx is the worker, client the connection; keep 0 closes it after
 * the answer. Goes on with pipelined requests, then writes. */
void conn_done(void *ctx, void *client, int keep);

#endif
