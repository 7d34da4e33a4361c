/* The region servers: one thread per region, each with its own listening
 * socket and epoll loop (keep-alive, pipelining, timeouts, connection limit,
 * graceful drain), all sharing one reference-counted engine that a reload
 * swaps atomically. Used by `--serve`, by the no-argument main job and by the
 * dashboard (in-process regions). */
#ifndef RECSYS_NET_SERVER_H
#define RECSYS_NET_SERVER_H

#include <stddef.h>

#include "conf/regions.h"

struct server;

/* Starts one thread per selected region (names NULL/n == 0 = all) and returns
 * once every listener is bound. Port 0 in the conf = ephemeral (server_port
 * tells). db_path NULL = conf->database. A database or model that cannot be
 * opened is not fatal: the regions start DEGRADED and answer 503 on the
 * recommendation routes. Fails (-1, err) on a bad region name, a port that
 * cannot be bound, an unreadable API keys file or access log. conf is
 * copied. */
int server_start(const struct regions_conf *conf, const char *db_path, const char *const *names,
                 int n, struct server **out, char *err, size_t errlen);
/* Bound port of a region of this server, -1 when unknown. */
int server_port(const struct server *s, const char *region);
/* Fault injection: closes the region's listener and connections; its thread
 * idles and Region-Hint requests for it go to the nearest healthy region.
 * 0, or -1 when the region is unknown. */
int server_region_stop(struct server *s, const char *region);
/* Re-binds the same port and serves again. 0, or -1 (unknown, bind error). */
int server_region_start(struct server *s, const char *region);
/* Re-opens the engine (the active model) aside and swaps it in; every region
 * drops its cache before its next request. On failure the old engine keeps
 * serving. 0, or -1 with err. The work runs on the background job thread
 * (bio.h), after any activation queued before it, and this call waits for
 * it: call it from the front end (SIGHUP), never from a region's loop. */
int server_reload(struct server *s, char *err, size_t errlen);
/* Drains in-flight requests (at most a few seconds), joins the threads and
 * frees everything. NULL is fine. */
void server_stop(struct server *s);

#endif
