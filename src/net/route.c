/* Route matching and Region-Hint resolution (see route.h). */
#include "net/route.h"

#include <string.h>

#include "net/metrics.h"

/* 1 and *rest = strlen(pre) when p (n bytes) starts with pre. */
static int route_prefix(const char *p, size_t n, const char *pre, size_t *rest)
{
    size_t pl = strlen(pre);
    if (n < pl || memcmp(p, pre, pl))
        return 0;
    *rest = pl;
    return 1;
}

/* 1 when p[k..n) is one non-empty path segment: the {id} of a route. */
static int one_segment(const char *p, size_t n, size_t k)
{
    return n > k && !memchr(p + k, '/', n - k);
}

void route_match(const char *p, size_t n, struct route_match *m)
{
    size_t k = 0;
    memset(m, 0, sizeof *m);
    m->route = -1;
    m->allow = "GET, HEAD";
    m->limited = 1;
#define IS(s) (n == sizeof(s) - 1 && !memcmp(p, s, n))
    if (IS("/api/v1/health/") || IS("/api/v1/health")) {
        m->route = ROUTE_HEALTH;
        m->limited = 0;
    } else if (IS("/metrics")) {
        m->route = ROUTE_METRICS;
        m->limited = 0;
    } else if (IS("/openapi.json")) {
        m->route = ROUTE_OPENAPI;
    } else if (IS("/docs") || IS("/docs/")) {
        m->route = ROUTE_DOCS;
    } else if (IS("/api/v1/recommendations/stats")) {
        m->route = ROUTE_STATS;
        m->protected_route = 1;
    } else if (IS("/api/v1/models")) {
        m->route = ROUTE_MODELS;
        m->protected_route = 1;
    } else if (IS("/api/v1/insights")) {
        m->route = ROUTE_INSIGHTS;
        m->protected_route = 1;
    } else if (IS("/api/v1/events")) { /* feedback: an API-key route, not an admin one */
        m->route = ROUTE_EVENTS;
        m->allow = "POST";
        m->protected_route = 1;
    } else if (IS("/api/v1/experiments")) {
        m->route = ROUTE_EXPERIMENTS;
        m->allow = "GET, HEAD, POST";
        m->protected_route = 1;
        m->admin = 1;
    } else if (route_prefix(p, n, "/api/v1/experiments/", &k) && n > k) {
        /* {name}, {name}/stop, {name}/promote: arg is the name */
        const char *slash = memchr(p + k, '/', n - k);
        size_t end = slash ? (size_t)(slash - p) : n;
        if (end == k || (slash && !(n - end == 5 && !memcmp(slash, "/stop", 5)) &&
                         !(n - end == 8 && !memcmp(slash, "/promote", 8))))
            return; /* no such route */
        m->route = ROUTE_EXPERIMENTS;
        m->allow = slash ? "POST" : "GET, HEAD";
        m->protected_route = 1;
        m->admin = 1;
        m->arg = p + k;
        m->arg_len = end - k;
        return;
    } else if (IS("/api/v1/models/rollback")) {
        m->route = ROUTE_MODEL_ROLLBACK;
        m->allow = "POST";
        m->protected_route = 1;
        m->admin = 1;
    } else if (route_prefix(p, n, "/api/v1/recommendations/user/", &k) && one_segment(p, n, k)) {
        m->route = ROUTE_RECOMMEND;
        m->allow = "GET, HEAD, POST";
    } else if (IS("/api/v1/users/random")) { /* before /api/v1/users/{id} */
        m->route = ROUTE_USER;
        m->protected_route = 1;
        return; /* no argument: the random-user form of the route */
    } else if (route_prefix(p, n, "/api/v1/users/", &k) && one_segment(p, n, k)) {
        m->route = ROUTE_USER;
    } else if (route_prefix(p, n, "/api/v1/products/", &k) && n > k + 9 &&
               !memcmp(p + n - 9, "/audience", 9) && !memchr(p + k, '/', n - 9 - k)) {
        m->route = ROUTE_AUDIENCE;
        m->protected_route = 1;
        m->arg = p + k;
        m->arg_len = n - 9 - k;
        return;
    } else if (route_prefix(p, n, "/api/v1/products/", &k) && one_segment(p, n, k)) {
        m->route = ROUTE_PRODUCT;
    } else if (route_prefix(p, n, "/api/v1/models/", &k) && n > k + 9 &&
               !memcmp(p + n - 9, "/activate", 9) && !memchr(p + k, '/', n - 9 - k)) {
        m->route = ROUTE_MODEL_ACTIVATE;
        m->allow = "POST";
        m->protected_route = 1;
        m->admin = 1;
        m->arg = p + k;
        m->arg_len = n - 9 - k;
        return;
    }
#undef IS
    if (m->route == ROUTE_RECOMMEND || m->route == ROUTE_USER || m->route == ROUTE_PRODUCT) {
        m->protected_route = 1;
        m->arg = p + k;
        m->arg_len = n - k;
    }
}

int route_method_allowed(const char *allow, const char *m, size_t n)
{
    const char *p = allow;
    while (*p) {
        size_t l = strcspn(p, ",");
        if (l == n && !memcmp(p, m, n))
            return 1;
        p += l;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return 0;
}

int route_hint_parse(const char *v, size_t n, char name[ROUTE_HINT_MAX])
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= ROUTE_HINT_MAX)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
            return -1;
    memcpy(name, v, n);
    name[n] = '\0';
    return 0;
}

int route_hint_pick(const struct regions_conf *conf, const char *name,
                    const struct route_region *regions, int n, int self)
{
    if (self >= 0 && self < n && !strcmp(name, regions[self].conf->name))
        return self;
    const struct region_conf *want = regions_find(conf, name);
    if (!want)
        return -1;
    const struct region_conf *cands[REGIONS_MAX];
    unsigned char usable[REGIONS_MAX];
    if (n > REGIONS_MAX)
        n = REGIONS_MAX;
    for (int i = 0; i < n; i++) {
        cands[i] = regions[i].conf;
        usable[i] = regions[i].up || i == self; /* self is answering this very request */
    }
    return regions_nearest(want, cands, usable, n);
}
