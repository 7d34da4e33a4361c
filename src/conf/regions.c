/* regions.conf reader: a small INI dialect.
 *   [global]            serving settings (keys listed in global_keys below)
 *   [region NAME]       one region worker: port, location, latitude, longitude, host
 *   key = value         `#` or `;` start a comment anywhere on a line
 * Unknown sections and keys are errors, so a typo never silently falls back
 * to a default. Every error names the file, the line and the key. */
#include "conf/regions.h"
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGIONS_LINE_MAX 1024

void regions_defaults(struct regions_conf *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->database, sizeof out->database, "olist.db");
    out->cache_ttl = 300;
    out->cache_size = 10000;
    out->rate_limit = 200;
    out->rate_burst = 400;
    snprintf(out->log, sizeof out->log, "off");
    out->router_port = 0;
    snprintf(out->router_host, sizeof out->router_host, "127.0.0.1");
    out->read_timeout = 10;
    out->idle_timeout = 60;
    out->max_connections = 1024;
    out->stats_window = 10;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Integer in [lo, hi]; 0 or -1 with err naming file:line and key. */
static int parse_int(const char *path, int line, const char *key, const char *v, long lo, long hi,
                     int *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno)
        return err_set(err, errlen, "%s:%d: key '%s': '%s' is not an integer", path, line, key, v);
    if (x < lo || x > hi)
        return err_set(err, errlen, "%s:%d: key '%s': %ld is out of range %ld..%ld", path, line,
                       key, x, lo, hi);
    *out = (int)x;
    return 0;
}

static int parse_double(const char *path, int line, const char *key, const char *v, double lo,
                        double hi, double *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(x))
        return err_set(err, errlen, "%s:%d: key '%s': '%s' is not a number", path, line, key, v);
    if (x < lo || x > hi)
        return err_set(err, errlen, "%s:%d: key '%s': %g is out of range %g..%g", path, line, key,
                       x, lo, hi);
    *out = x;
    return 0;
}

static int copy_str(const char *path, int line, const char *key, const char *v, char *dst,
                    size_t dstlen, char *err, size_t errlen)
{
    if (strlen(v) >= dstlen)
        return err_set(err, errlen, "%s:%d: key '%s': value longer than %zu characters", path, line,
                       key, dstlen - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int set_global(struct regions_conf *c, const char *path, int line, const char *k,
                      const char *v, char *err, size_t errlen)
{
    if (!strcmp(k, "database")) {
        if (!*v)
            return err_set(err, errlen, "%s:%d: key 'database': empty path", path, line);
        return copy_str(path, line, k, v, c->database, sizeof c->database, err, errlen);
    }
    if (!strcmp(k, "cache_ttl"))
        return parse_int(path, line, k, v, 0, 86400 * 365, &c->cache_ttl, err, errlen);
    if (!strcmp(k, "cache_size"))
        return parse_int(path, line, k, v, 0, 10000000, &c->cache_size, err, errlen);
    if (!strcmp(k, "rate_limit"))
        return parse_double(path, line, k, v, 0, 1e9, &c->rate_limit, err, errlen);
    if (!strcmp(k, "rate_burst"))
        return parse_double(path, line, k, v, 0, 1e9, &c->rate_burst, err, errlen);
    if (!strcmp(k, "api_keys_file"))
        return copy_str(path, line, k, v, c->api_keys_file, sizeof c->api_keys_file, err, errlen);
    if (!strcmp(k, "log")) {
        if (!*v)
            return err_set(err, errlen, "%s:%d: key 'log': empty (use stderr, off or a file path)",
                           path, line);
        return copy_str(path, line, k, v, c->log, sizeof c->log, err, errlen);
    }
    if (!strcmp(k, "router_port"))
        return parse_int(path, line, k, v, 0, 65535, &c->router_port, err, errlen);
    if (!strcmp(k, "router_host")) {
        if (!*v)
            return err_set(err, errlen, "%s:%d: key 'router_host': empty", path, line);
        return copy_str(path, line, k, v, c->router_host, sizeof c->router_host, err, errlen);
    }
    if (!strcmp(k, "read_timeout"))
        return parse_int(path, line, k, v, 1, 86400, &c->read_timeout, err, errlen);
    if (!strcmp(k, "idle_timeout"))
        return parse_int(path, line, k, v, 1, 86400, &c->idle_timeout, err, errlen);
    if (!strcmp(k, "max_connections"))
        return parse_int(path, line, k, v, 1, 1000000, &c->max_connections, err, errlen);
    if (!strcmp(k, "stats_window"))
        return parse_int(path, line, k, v, 1, 3600, &c->stats_window, err, errlen);
    return err_set(err, errlen, "%s:%d: key '%s': unknown key in [global]", path, line, k);
}

static int set_region(struct region_conf *r, unsigned *seen, const char *path, int line,
                      const char *k, const char *v, char *err, size_t errlen)
{
    if (!strcmp(k, "port")) {
        *seen |= 1;
        return parse_int(path, line, k, v, 0, 65535, &r->port, err, errlen);
    }
    if (!strcmp(k, "host")) {
        if (!*v)
            return err_set(err, errlen, "%s:%d: key 'host': empty", path, line);
        return copy_str(path, line, k, v, r->host, sizeof r->host, err, errlen);
    }
    if (!strcmp(k, "location"))
        return copy_str(path, line, k, v, r->location, sizeof r->location, err, errlen);
    if (!strcmp(k, "latitude"))
        return parse_double(path, line, k, v, -90, 90, &r->latitude, err, errlen);
    if (!strcmp(k, "longitude"))
        return parse_double(path, line, k, v, -180, 180, &r->longitude, err, errlen);
    return err_set(err, errlen, "%s:%d: key '%s': unknown key in [region %s]", path, line, k,
                   r->name);
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

/* Parses one "[...]" header line into *section (0 global, 1 region). */
static int open_section(struct regions_conf *c, const char *path, int line, char *s, int *section,
                        unsigned *seen, char *err, size_t errlen)
{
    size_t n = strlen(s);
    if (n < 2 || s[n - 1] != ']')
        return err_set(err, errlen, "%s:%d: section header '%s' lacks a closing ']'", path, line,
                       s);
    s[n - 1] = '\0';
    char *name = trim(s + 1);
    if (!strcmp(name, "global")) {
        *section = 0;
        return 0;
    }
    if (strncmp(name, "region", 6) != 0 || !isspace((unsigned char)name[6]))
        return err_set(err, errlen,
                       "%s:%d: unknown section [%s] (expected [global] or [region NAME])", path,
                       line, name);
    char *rname = trim(name + 6);
    if (!valid_name(rname) || strlen(rname) >= sizeof c->regions[0].name)
        return err_set(err, errlen,
                       "%s:%d: region name '%s' must be 1..31 letters, digits, '-', '_' or '.'",
                       path, line, rname);
    if (regions_find(c, rname))
        return err_set(err, errlen, "%s:%d: region '%s' is defined twice", path, line, rname);
    if (c->n_regions >= REGIONS_MAX)
        return err_set(err, errlen, "%s:%d: more than %d regions", path, line, REGIONS_MAX);
    struct region_conf *r = &c->regions[c->n_regions++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", rname);
    snprintf(r->host, sizeof r->host, "127.0.0.1");
    *section = 1;
    *seen = 0;
    return 0;
}

/* Checks that hold across sections: every region has a port, ports differ. */
static int check_regions(const struct regions_conf *c, const char *path, const unsigned *seen,
                         const int *start_line, char *err, size_t errlen)
{
    if (c->n_regions == 0)
        return err_set(err, errlen, "%s: no [region NAME] section", path);
    for (int i = 0; i < c->n_regions; i++) {
        if (!(seen[i] & 1))
            return err_set(err, errlen, "%s:%d: key 'port': missing in [region %s]", path,
                           start_line[i], c->regions[i].name);
        for (int j = 0; j < i; j++)
            if (c->regions[i].port && c->regions[i].port == c->regions[j].port &&
                !strcmp(c->regions[i].host, c->regions[j].host))
                return err_set(err, errlen, "%s:%d: key 'port': %d is already used by region '%s'",
                               path, start_line[i], c->regions[i].port, c->regions[j].name);
    }
    return 0;
}

int regions_load(const char *path, struct regions_conf *out, char *err, size_t errlen)
{
    int rc = -1, lineno = 0, section = -1;
    unsigned seen[REGIONS_MAX] = {0};
    int start_line[REGIONS_MAX] = {0};
    char buf[REGIONS_LINE_MAX + 2];
    regions_defaults(out);
    FILE *f = fopen(path, "r");
    if (!f) {
        err_set(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t n = strlen(buf);
        if (n == sizeof buf - 1 && buf[n - 1] != '\n' && !feof(f)) {
            err_set(err, errlen, "%s:%d: line longer than %d characters", path, lineno,
                    REGIONS_LINE_MAX);
            goto out;
        }
        char *cut = strpbrk(buf, "#;");
        if (cut)
            *cut = '\0';
        char *s = trim(buf);
        if (!*s)
            continue;
        if (*s == '[') {
            if (open_section(out, path, lineno, s, &section, &seen[out->n_regions], err, errlen) <
                0)
                goto out;
            if (section == 1)
                start_line[out->n_regions - 1] = lineno;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            err_set(err, errlen, "%s:%d: expected 'key = value', got '%s'", path, lineno, s);
            goto out;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        if (!*k) {
            err_set(err, errlen, "%s:%d: missing key before '='", path, lineno);
            goto out;
        }
        if (section < 0) {
            err_set(err, errlen, "%s:%d: key '%s': outside any section", path, lineno, k);
            goto out;
        }
        int r = section == 0
                    ? set_global(out, path, lineno, k, v, err, errlen)
                    : set_region(&out->regions[out->n_regions - 1], &seen[out->n_regions - 1], path,
                                 lineno, k, v, err, errlen);
        if (r < 0)
            goto out;
    }
    if (ferror(f)) {
        err_set(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    if (out->rate_limit > 0 && out->rate_burst < 1) {
        err_set(err, errlen, "%s: key 'rate_burst': must be >= 1 when rate_limit is on", path);
        goto out;
    }
    if (check_regions(out, path, seen, start_line, err, errlen) < 0)
        goto out;
    rc = 0;
out:
    fclose(f);
    return rc;
}

const struct region_conf *regions_find(const struct regions_conf *c, const char *name)
{
    for (int i = 0; i < c->n_regions; i++)
        if (!strcmp(c->regions[i].name, name))
            return &c->regions[i];
    return NULL;
}

/* Haversine on a 6371 km sphere: good enough to order failover targets. */
double regions_distance_km(const struct region_conf *a, const struct region_conf *b)
{
    const double rad = M_PI / 180.0;
    double dlat = (b->latitude - a->latitude) * rad;
    double dlon = (b->longitude - a->longitude) * rad;
    double h = sin(dlat / 2) * sin(dlat / 2) +
               cos(a->latitude * rad) * cos(b->latitude * rad) * sin(dlon / 2) * sin(dlon / 2);
    if (h > 1)
        h = 1;
    return 2 * 6371.0 * asin(sqrt(h));
}

int regions_nearest(const struct region_conf *from, const struct region_conf *const *cands,
                    const unsigned char *usable, int n)
{
    int best = -1;
    double best_d = 0;
    for (int i = 0; i < n; i++) {
        if (!usable[i])
            continue;
        /* -1 puts `from` ahead of a region at the very same coordinates. */
        double d = cands[i] == from ? -1 : regions_distance_km(from, cands[i]);
        if (best < 0 || d < best_d) {
            best = i;
            best_d = d;
        }
    }
    return best;
}
