/* libFuzzer target for the regions.conf reader (src/conf/regions.c,
 * regions_parse: the same code regions_load runs on a file's bytes). A
 * file that is not a valid configuration must be an error naming the file
 * (and, past the first line, its line), never a crash; one that is valid
 * must hold what the rest of the program relies on: 1..REGIONS_MAX
 * regions with valid, distinct names, ports in range and distinct per
 * host, coordinates on the globe, NUL-terminated strings. A violation
 * aborts, so libFuzzer (make fuzz) and the replay test
 * (tests/unit/test_fuzz_regions.c, in `make test`) both report it. */
#include "conf/regions.h"

#include <ctype.h>
#include <math.h>
#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NAME "fuzz.conf"

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_conf(const struct regions_conf *c)
{
    FUZZ_ASSERT(c->n_regions >= 1 && c->n_regions <= REGIONS_MAX);
    FUZZ_ASSERT(terminated(c->database, sizeof c->database) && c->database[0]);
    FUZZ_ASSERT(terminated(c->log, sizeof c->log) && c->log[0]);
    FUZZ_ASSERT(terminated(c->api_keys_file, sizeof c->api_keys_file));
    FUZZ_ASSERT(terminated(c->router_host, sizeof c->router_host) && c->router_host[0]);
    FUZZ_ASSERT(c->cache_ttl >= 0 && c->cache_size >= 0);
    FUZZ_ASSERT(c->router_port >= 0 && c->router_port <= 65535);
    FUZZ_ASSERT(c->read_timeout >= 1 && c->idle_timeout >= 1 && c->max_connections >= 1);
    FUZZ_ASSERT(isfinite(c->rate_limit) && c->rate_limit >= 0 && isfinite(c->rate_burst));
    FUZZ_ASSERT(c->rate_limit == 0 || c->rate_burst >= 1);
    for (int i = 0; i < c->n_regions; i++) {
        const struct region_conf *r = &c->regions[i];
        FUZZ_ASSERT(terminated(r->name, sizeof r->name) && r->name[0]);
        for (const char *p = r->name; *p; p++)
            FUZZ_ASSERT(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.');
        FUZZ_ASSERT(terminated(r->host, sizeof r->host) && r->host[0]);
        FUZZ_ASSERT(terminated(r->location, sizeof r->location));
        FUZZ_ASSERT(r->port >= 0 && r->port <= 65535);
        FUZZ_ASSERT(r->latitude >= -90 && r->latitude <= 90);
        FUZZ_ASSERT(r->longitude >= -180 && r->longitude <= 180);
        FUZZ_ASSERT(regions_find(c, r->name) == r);
        for (int j = 0; j < i; j++)
            FUZZ_ASSERT(!r->port || r->port != c->regions[j].port ||
                        strcmp(r->host, c->regions[j].host) != 0);
        /* The failover choice stays among the usable regions. */
        const struct region_conf *cands[REGIONS_MAX];
        unsigned char usable[REGIONS_MAX];
        for (int j = 0; j < c->n_regions; j++) {
            cands[j] = &c->regions[j];
            usable[j] = (unsigned char)((i + j) % 2);
        }
        int k = regions_nearest(r, cands, usable, c->n_regions);
        FUZZ_ASSERT(k == -1 || (k >= 0 && k < c->n_regions && usable[k]));
        FUZZ_ASSERT(regions_distance_km(r, &c->regions[0]) >= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy with no slack after it, so any over-read is caught. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct regions_conf *c = malloc(sizeof *c); /* large: not on the stack */
    if (!c) {
        free(buf);
        return 0;
    }
    char err[1024];
    err[0] = '\0';
    int rc = regions_parse(FUZZ_NAME, buf, size, c, err, sizeof err);
    if (rc == 0) {
        check_conf(c);
        /* Parsing is a function of the bytes: the same input, the same result. */
        struct regions_conf *again = malloc(sizeof *again);
        if (again) {
            FUZZ_ASSERT(regions_parse(FUZZ_NAME, buf, size, again, err, sizeof err) == 0);
            FUZZ_ASSERT(again->n_regions == c->n_regions &&
                        !strcmp(again->regions[0].name, c->regions[0].name));
            free(again);
        }
    } else {
        FUZZ_ASSERT(rc < 0 && err[0] != '\0');
        FUZZ_ASSERT(strncmp(err, FUZZ_NAME, strlen(FUZZ_NAME)) == 0); /* names the file */
    }
    free(c);
    free(buf);
    return 0;
}
