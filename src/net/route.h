/* Which route a request path names, which methods it accepts, and which
 * region a Region-Hint header asks for: the pure decisions of api.c, kept
 * apart so they can be tested with tables (tests/unit/test_route.c). No
 * locks, no allocation, no I/O. */
#ifndef RECSYS_NET_ROUTE_H
#define RECSYS_NET_ROUTE_H

#include <stddef.h>

#include "conf/regions.h"

struct route_match {
    int route;           /* enum route (net/metrics.h), -1 when no route matches */
    const char *allow;   /* methods the route accepts ("GET, HEAD"), for 405 and Allow */
    int protected_route; /* needs X-API-Key when keys are configured */
    int limited;         /* subject to the rate limit */
    int admin;           /* changes what is served: admin key or loopback only (admin.h) */
    const char *arg;     /* the path parameter inside the path ({user_id}, {version}), or NULL */
    size_t arg_len;
};

/* Matches path (n bytes, no query string) against the routes of docs/API.md.
 * Exact byte comparison: no decoding of percent escapes, no case folding;
 * health and docs also match with a trailing slash. A path parameter is one
 * non-empty segment (no '/'), not validated here. */
void route_match(const char *path, size_t n, struct route_match *m);

/* 1 when method (n bytes, case-sensitive) is one of the comma-separated
 * methods in allow. */
int route_method_allowed(const char *allow, const char *method, size_t n);

#define ROUTE_HINT_MAX 32 /* region names are shorter (struct region_conf.name) */

/* Copies a Region-Hint header value (n bytes) into name without surrounding
 * spaces or tabs. Returns 0, or -1 when the value is empty, too long for a
 * region name, or holds a byte that no region name has (a control
 * character, a space inside). Region names are case-sensitive. */
int route_hint_parse(const char *value, size_t n, char name[ROUTE_HINT_MAX]);

/* A region this process could serve a hinted request from. */
struct route_region {
    const struct region_conf *conf;
    int up; /* listener bound and accepting */
};

/* The index in regions[0..n) that serves a request hinted at `name`,
 * received by regions[self]: self when it is named, else the named region
 * when it is up, else the up region nearest to it (great-circle distance;
 * self counts as up, since it is serving this request). -1 when conf knows
 * no region called name (the caller answers 400). */
int route_hint_pick(const struct regions_conf *conf, const char *name,
                    const struct route_region *regions, int n, int self);

#endif
