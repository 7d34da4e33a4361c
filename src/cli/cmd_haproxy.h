/* `recsys-tui haproxy-config`: writes an haproxy.cfg from regions.conf, so
 * that HAProxy (the Debian package) is the global router in front of regions
 * that run on their own hosts:
 *   - a frontend on router_host:router_port that sends a request to the
 *     backend of the region its Region-Hint names (400 JSON for a name
 *     regions.conf does not know, as a region answers);
 *   - without a hint, to the region whose `clients` networks hold the
 *     caller (the most specific block first), else round-robin over the
 *     healthy regions;
 *   - per region a backend whose other regions are `backup` servers,
 *     nearest first by great-circle distance (regions_nearest, the choice
 *     the built-in router makes); HAProxy uses the first healthy backup;
 *   - health checks (GET /api/v1/health/, fall 3 rise 1, inter =
 *     health_interval), a connection failure marks the server down at once
 *     and the request is retried on the next server (retry-on conn-failure,
 *     option redispatch), X-Forwarded-For appended (option forwardfor). */
#ifndef RECSYS_CLI_CMD_HAPROXY_H
#define RECSYS_CLI_CMD_HAPROXY_H

#include <stddef.h>

#include "conf/regions.h"
#include "util/sbuf.h"

int cmd_haproxy(int argc, char **argv);

/* Appends the haproxy.cfg for c, read from path (named in the file's header
 * and in messages), to out. 0, or ERR_INVALID with err naming the file, line
 * and key: no router_port, a region on port 0 (ephemeral: nothing to route
 * to). */
int cmd_haproxy_render(const struct regions_conf *c, const char *path, struct sbuf *out, char *err,
                       size_t errlen);

#endif
