/* net/route.c: route matching for every path of the OpenAPI document and
 * the near misses around them, the methods each route allows, Region-Hint
 * parsing, and the choice of region for a hint. Tables, no sockets. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "net/metrics.h"
#include "net/openapi.h"
#include "net/route.h"
#include "test.h"

#define ID "0123456789abcdef0123456789abcdef"

/* One row: path -> route, argument, Allow, key needed, rate limited. */
static const struct {
    const char *path;
    int route;
    const char *arg; /* NULL: none */
    const char *allow;
    int protected_route, limited;
} routes[] = {
    {"/api/v1/health/", ROUTE_HEALTH, NULL, "GET, HEAD", 0, 0},
    {"/api/v1/health", ROUTE_HEALTH, NULL, "GET, HEAD", 0, 0},
    {"/metrics", ROUTE_METRICS, NULL, "GET, HEAD", 0, 0},
    {"/openapi.json", ROUTE_OPENAPI, NULL, "GET, HEAD", 0, 1},
    {"/docs", ROUTE_DOCS, NULL, "GET, HEAD", 0, 1},
    {"/docs/", ROUTE_DOCS, NULL, "GET, HEAD", 0, 1},
    {"/api/v1/recommendations/stats", ROUTE_STATS, NULL, "GET, HEAD", 1, 1},
    {"/api/v1/recommendations/user/" ID, ROUTE_RECOMMEND, ID, "GET, HEAD, POST", 1, 1},
    {"/api/v1/users/random", ROUTE_USER, NULL, "GET, HEAD", 1, 1},
    {"/api/v1/users/" ID, ROUTE_USER, ID, "GET, HEAD", 1, 1},
    {"/api/v1/products/" ID, ROUTE_PRODUCT, ID, "GET, HEAD", 1, 1},
    {"/api/v1/models", ROUTE_MODELS, NULL, "GET, HEAD", 1, 1},
    {"/api/v1/models/rollback", ROUTE_MODEL_ROLLBACK, NULL, "POST", 1, 1},
    {"/api/v1/models/12/activate", ROUTE_MODEL_ACTIVATE, "12", "POST", 1, 1},
    /* arguments are not decoded or validated here: the handlers answer 400 */
    {"/api/v1/users/%41%42", ROUTE_USER, "%41%42", "GET, HEAD", 1, 1},
    {"/api/v1/recommendations/user/a b", ROUTE_RECOMMEND, "a b", "GET, HEAD, POST", 1, 1},
    {"/api/v1/products/x", ROUTE_PRODUCT, "x", "GET, HEAD", 1, 1},
    {"/api/v1/models/x1/activate", ROUTE_MODEL_ACTIVATE, "x1", "POST", 1, 1},
    {"/api/v1/users/randomx", ROUTE_USER, "randomx", "GET, HEAD", 1, 1},
    {"/api/v1/models/rollback/activate", ROUTE_MODEL_ACTIVATE, "rollback", "POST", 1, 1},
    {"/api/v1/experiments", ROUTE_EXPERIMENTS, NULL, "GET, HEAD, POST", 1, 1},
    {"/api/v1/experiments/ab-1", ROUTE_EXPERIMENTS, "ab-1", "GET, HEAD", 1, 1},
    {"/api/v1/experiments/ab-1/stop", ROUTE_EXPERIMENTS, "ab-1", "POST", 1, 1},
    {"/api/v1/experiments/ab-1/promote", ROUTE_EXPERIMENTS, "ab-1", "POST", 1, 1},
    {"/api/v1/experiments/stop", ROUTE_EXPERIMENTS, "stop", "GET, HEAD", 1, 1},
};

/* Paths that are no route (404), trailing-slash and odd-character variants. */
static const char *const no_route[] = {
    "",
    "/",
    "/api",
    "/api/v1",
    "/api/v1/",
    "/api/v1/nope",
    "/API/v1/health",
    "/api/v1/Health",
    "/api/v1/health//",
    "/api/v1/health%2F",
    "/api/v1/health/x",
    "/metrics/",
    "/metricsx",
    "/openapi.json/",
    "/openapi",
    "/docs//",
    "/api/v1/recommendations",
    "/api/v1/recommendations/",
    "/api/v1/recommendations/stats/",
    "/api/v1/recommendations/user",
    "/api/v1/recommendations/user/",
    "/api/v1/recommendations/user/" ID "/",
    "/api/v1/recommendations/user/" ID "/x",
    "/api/v1/users",
    "/api/v1/users/",
    "/api/v1/users/random/",
    "/api/v1/users/" ID "/",
    "/api/v1/products/",
    "/api/v1/products/" ID "/similar",
    "/api/v1/models/",
    "/api/v1/models/activate",
    "/api/v1/models//activate",
    "/api/v1/models/1/2/activate",
    "/api/v1/models/1/activate/",
    "/api/v1/models/rollback/",
    "/api/v1/models/1",
    "/api/v1/experiments/",
    "/api/v1/experiments//stop",
    "/api/v1/experiments/a/",
    "/api/v1/experiments/a/start",
    "/api/v1/experiments/a/stop/",
    "/api/v1/experiments/a/b/stop",
    "//api/v1/health",
    "api/v1/health",
};

static void test_route_table(void)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        struct route_match m;
        const char *p = routes[i].path;
        route_match(p, strlen(p), &m);
        int bad = m.route != routes[i].route || strcmp(m.allow, routes[i].allow) ||
                  m.protected_route != routes[i].protected_route || m.limited != routes[i].limited;
        if (routes[i].arg)
            bad |= !m.arg || m.arg_len != strlen(routes[i].arg) ||
                   memcmp(m.arg, routes[i].arg, m.arg_len) != 0;
        else
            bad |= m.arg != NULL;
        if (bad)
            printf("#   %s: route %d allow \"%s\" arg \"%.*s\"\n", p, m.route, m.allow,
                   (int)(m.arg ? m.arg_len : 0), m.arg ? m.arg : "");
        CHECK(!bad);
    }
}

static void test_unknown_paths(void)
{
    for (size_t i = 0; i < sizeof no_route / sizeof no_route[0]; i++) {
        struct route_match m;
        route_match(no_route[i], strlen(no_route[i]), &m);
        if (m.route != -1)
            printf("#   \"%s\" matched route %d\n", no_route[i], m.route);
        CHECK_INT(m.route, -1);
    }
    /* the length is the path: bytes after it (the query) or a NUL inside count */
    struct route_match m;
    route_match("/metrics?x=1", 8, &m);
    CHECK_INT(m.route, ROUTE_METRICS);
    route_match("/metrics\0", 9, &m);
    CHECK_INT(m.route, -1);
}

static void test_methods(void)
{
    static const struct {
        const char *allow, *method;
        int ok;
    } t[] = {
        {"GET, HEAD", "GET", 1},
        {"GET, HEAD", "HEAD", 1},
        {"GET, HEAD", "POST", 0},
        {"GET, HEAD", "get", 0},
        {"GET, HEAD", "GE", 0},
        {"GET, HEAD", "GETS", 0},
        {"GET, HEAD", "", 0},
        {"GET, HEAD", "GET, HEAD", 0},
        {"GET, HEAD, POST", "POST", 1},
        {"GET, HEAD, POST", "DELETE", 0},
        {"POST", "POST", 1},
        {"POST", "GET", 0},
        {"POST", "POS", 0},
        {"POST", "HEAD", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = route_method_allowed(t[i].allow, t[i].method, strlen(t[i].method));
        if (got != t[i].ok)
            printf("#   allow \"%s\" method \"%s\"\n", t[i].allow, t[i].method);
        CHECK_INT(got, t[i].ok);
    }
}

/* Every path and method of the OpenAPI document reaches a route that allows
 * the method: the document and the router cannot drift apart. */
static void test_every_openapi_path_routes(void)
{
    cJSON *doc = cJSON_Parse(openapi_json(NULL));
    cJSON *paths = cJSON_GetObjectItem(doc, "paths"), *p;
    int n = 0;
    CHECK(cJSON_IsObject(paths));
    cJSON_ArrayForEach(p, paths)
    {
        char path[256], method[16];
        size_t k = 0;
        /* {user_id}, {product_id} -> an id; {version} -> 3 */
        for (const char *s = p->string; *s && k < sizeof path - 40; s++) {
            if (*s != '{') {
                path[k++] = *s;
                continue;
            }
            const char *sub = strncmp(s, "{version}", 9) ? ID : "3";
            k += (size_t)snprintf(path + k, sizeof path - k, "%s", sub);
            s = strchr(s, '}');
        }
        path[k] = '\0';
        cJSON *op;
        cJSON_ArrayForEach(op, p)
        {
            size_t ml = strlen(op->string);
            if (ml >= sizeof method)
                continue;
            for (size_t i = 0; i <= ml; i++)
                method[i] = (char)toupper((unsigned char)op->string[i]);
            struct route_match m;
            route_match(path, strlen(path), &m);
            int ok = m.route >= 0 && route_method_allowed(m.allow, method, ml);
            if (!ok)
                printf("#   %s %s (from %s): route %d\n", method, path, p->string, m.route);
            CHECK(ok);
            n++;
        }
    }
    CHECK(n >= 12); /* every documented operation was seen */
    cJSON_Delete(doc);
}

static void test_hint_parse(void)
{
    static const struct {
        const char *value;
        const char *name; /* NULL: rejected */
    } t[] = {
        {"us-west", "us-west"},
        {"  us-east\t", "us-east"},
        {"\tap-south", "ap-south"},
        {"US-WEST", "US-WEST"}, /* parsed as is; names are case-sensitive (pick says unknown) */
        {"", NULL},
        {"   ", NULL},
        {"\t \t", NULL},
        {"us west", NULL},
        {"us-west\x01", NULL},
        {"us-\x7fwest", NULL},
        {"abcdefghijabcdefghijabcdefghij1", "abcdefghijabcdefghijabcdefghij1"}, /* 31: longest */
        {"abcdefghijabcdefghijabcdefghij12", NULL},                             /* 32 */
        {" abcdefghijabcdefghijabcdefghij1 ", "abcdefghijabcdefghijabcdefghij1"},
        {"a-very-long-region-name-far-beyond-any-region-name-at-all", NULL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char name[ROUTE_HINT_MAX] = "unchanged";
        int rc = route_hint_parse(t[i].value, strlen(t[i].value), name);
        if (t[i].name) {
            CHECK_INT(rc, 0);
            CHECK_STR(name, t[i].name);
        } else {
            if (rc != -1)
                printf("#   \"%s\" accepted as \"%s\"\n", t[i].value, name);
            CHECK_INT(rc, -1);
        }
    }
    /* the value is n bytes, not NUL-terminated */
    char name[ROUTE_HINT_MAX];
    CHECK_INT(route_hint_parse("eu-westXYZ", 7, name), 0);
    CHECK_STR(name, "eu-west");
}

static void add_region(struct regions_conf *c, const char *name, double lat, double lon)
{
    struct region_conf *r = &c->regions[c->n_regions++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->latitude = lat;
    r->longitude = lon;
}

/* The e2e layout: four regions in regions.conf, three run by this process. */
static void test_hint_pick(void)
{
    struct regions_conf c;
    regions_defaults(&c);
    add_region(&c, "us-west", 37.77, -122.42);
    add_region(&c, "us-east", 38.03, -78.48);
    add_region(&c, "eu-west", 53.35, -6.26);
    add_region(&c, "ap-south", 19.08, 72.88);
    struct route_region rs[3] = {{&c.regions[0], 1}, {&c.regions[1], 1}, {&c.regions[2], 1}};
    static const struct {
        const char *hint;
        int up_mask; /* bit i: rs[i].up */
        int self, want;
    } t[] = {
        {"us-west", 7, 0, 0}, /* itself */
        {"us-east", 7, 0, 1}, /* another region of the process, up */
        {"eu-west", 7, 1, 2},
        {"ap-south", 7, 0, 2}, /* not run here: the nearest up one (Mumbai -> Ireland) */
        {"us-east", 5, 0, 0},  /* down: nearest up to Virginia is California */
        {"us-east", 5, 2, 0},  /* whoever received it */
        {"eu-west", 0, 0, 0},  /* nothing else up: self counts as up */
        {"us-west", 0, 2, 2},  /* down, self is the only one up */
        {"mars", 7, 0, -1},    /* unknown to regions.conf */
        {"US-EAST", 7, 0, -1}, /* case-sensitive */
        {"", 7, 0, -1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        for (int k = 0; k < 3; k++)
            rs[k].up = (t[i].up_mask >> k) & 1;
        int got = route_hint_pick(&c, t[i].hint, rs, 3, t[i].self);
        if (got != t[i].want)
            printf("#   hint \"%s\" up %d self %d\n", t[i].hint, t[i].up_mask, t[i].self);
        CHECK_INT(got, t[i].want);
    }
}

int main(void)
{
    RUN(test_route_table);
    RUN(test_unknown_paths);
    RUN(test_methods);
    RUN(test_every_openapi_path_routes);
    RUN(test_hint_parse);
    RUN(test_hint_pick);
    return TEST_SUMMARY();
}
