/* regions.conf reader: a small INI dialect.
 *   [global]            serving settings (keys listed in global_keys below)
 *   [region NAME]       one region worker: port, location, latitude, longitude, host,
 *                       clients
 *   key = value         `#` or `;` start a comment anywhere on a line
 * Unknown sections and keys are errors, so a typo never silently falls back
 * to a default. Every error names the file, the line and the key. */
#include "conf/regions.h"
#include "conf/retrainconf.h"
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGIONS_LINE_MAX 1024
#define REGIONS_FILE_MAX (256 << 10) /* bytes: far above any real regions.conf */
#define REGIONS_KEYS_MAX 32          /* distinct keys a section can hold */

/* The keys a section has set, with their lines: a key set twice is an error
 * (it would otherwise silently win), and a region without a port is too. */
struct keyseen {
    int n;
    char key[REGIONS_KEYS_MAX][24];
    int line[REGIONS_KEYS_MAX];
};

/* The line where ks set key, 0 when it did not. */
static int keyseen_line(const struct keyseen *ks, const char *key)
{
    for (int i = 0; i < ks->n; i++)
        if (!strcmp(ks->key[i], key))
            return ks->line[i];
    return 0;
}

/* Records key at line; -1 with err when the section already set it. Only
 * known keys get here, and they fit. */
static int keyseen_add(struct keyseen *ks, const char *path, int line, const char *key,
                       const char *section, const char *name, char *err, size_t errlen)
{
    int first = keyseen_line(ks, key);
    if (first)
        return err_set(err, errlen, "%s:%d: key '%s': set twice in [%s%s%s] (first on line %d)",
                       path, line, key, section, *name ? " " : "", name, first);
    if (ks->n < REGIONS_KEYS_MAX && strlen(key) < sizeof ks->key[0]) {
        snprintf(ks->key[ks->n], sizeof ks->key[0], "%s", key);
        ks->line[ks->n++] = line;
    }
    return 0;
}

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
    out->cache_bytes = REGIONS_CACHE_BYTES;
    out->health_interval = 1.0;
    out->store_poll = 10;
    out->retrain_tolerance = RETRAINCONF_TOLERANCE;
    out->retrain_keep = REGIONS_RETRAIN_KEEP;
    out->events_queue = 65536;
    out->events_ship = 10;
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

/* Bytes with an optional K, M or G suffix (powers of 1024): "16M". */
static int parse_bytes(const char *path, int line, const char *key, const char *v, long long max,
                       long long *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (!*v || *end || errno || !isdigit((unsigned char)*v))
        return err_set(err, errlen,
                       "%s:%d: key '%s': '%s' is not a byte count (digits, optional K, M or G)",
                       path, line, key, v);
    if (x > (max >> shift))
        return err_set(err, errlen, "%s:%d: key '%s': %s is over the maximum %lld bytes", path,
                       line, key, v, max);
    *out = x << shift;
    return 0;
}

/* "a, b/n, ..." (key's value) into out[0..max), replacing what was there;
 * *n gets the count. trusted_proxies and a region's clients. */
static int parse_cidrs(const char *path, int line, const char *key, const char *v,
                       struct regions_cidr *out, int max, int *n_out, char *err, size_t errlen)
{
    int count = 0;
    *n_out = 0;
    while (*v) {
        size_t n = strcspn(v, ",");
        const char *s = v;
        size_t len = n;
        while (len && isspace((unsigned char)*s))
            s++, len--;
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
        if (len == 0)
            return err_set(err, errlen, "%s:%d: key '%s': empty entry", path, line, key);
        if (count >= max)
            return err_set(err, errlen, "%s:%d: key '%s': more than %d entries", path, line, key,
                           max);
        if (regions_cidr_parse(s, len, &out[count]) < 0)
            return err_set(err, errlen,
                           "%s:%d: key '%s': '%.*s' is not an IP address or ADDRESS/BITS block",
                           path, line, key, (int)len, s);
        *n_out = ++count;
        v += n;
        if (*v == ',' && !*++v)
            return err_set(err, errlen, "%s:%d: key '%s': empty entry", path, line, key);
    }
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
    if (!strcmp(k, "cache_bytes"))
        return parse_bytes(path, line, k, v, REGIONS_CACHE_BYTES_MAX, &c->cache_bytes, err, errlen);
    if (!strcmp(k, "admin_keys_file"))
        return copy_str(path, line, k, v, c->admin_keys_file, sizeof c->admin_keys_file, err,
                        errlen);
    if (!strcmp(k, "trusted_proxies"))
        return parse_cidrs(path, line, k, v, c->trusted_proxies, REGIONS_PROXIES_MAX,
                           &c->n_trusted_proxies, err, errlen);
    if (!strcmp(k, "health_interval"))
        return parse_double(path, line, k, v, 0.1, 3600, &c->health_interval, err, errlen);
    if (!strcmp(k, "retrain_every") || !strcmp(k, "retrain_tolerance")) {
        char why[200];
        int bad = k[8] == 'e' ? retrainconf_interval(v, &c->retrain_every, why, sizeof why)
                              : retrainconf_tolerance(v, &c->retrain_tolerance,
                                                      &c->retrain_tolerance_relative, why,
                                                      sizeof why);
        return bad ? err_set(err, errlen, "%s:%d: key '%s': %s", path, line, k, why) : 0;
    }
    if (!strcmp(k, "retrain_keep"))
        return parse_int(path, line, k, v, 0, 1000000, &c->retrain_keep, err, errlen);
    if (!strcmp(k, "model_store")) {
        if (*v && strncmp(v, "s3://", 5) != 0)
            return err_set(err, errlen, "%s:%d: key 'model_store': '%s' is not s3://BUCKET/PREFIX",
                           path, line, v);
        return copy_str(path, line, k, v, c->model_store, sizeof c->model_store, err, errlen);
    }
    if (!strcmp(k, "store_poll"))
        return parse_int(path, line, k, v, 1, 86400, &c->store_poll, err, errlen);
    if (!strcmp(k, "store_cache"))
        return copy_str(path, line, k, v, c->store_cache, sizeof c->store_cache, err, errlen);
    if (!strcmp(k, "events_queue"))
        return parse_int(path, line, k, v, 0, 1 << 24, &c->events_queue, err, errlen);
    if (!strcmp(k, "events_ship"))
        return parse_int(path, line, k, v, 1, 86400, &c->events_ship, err, errlen);
    return err_set(err, errlen, "%s:%d: key '%s': unknown key in [global]", path, line, k);
}

static int set_region(struct region_conf *r, const char *path, int line, const char *k,
                      const char *v, char *err, size_t errlen)
{
    if (!strcmp(k, "port"))
        return parse_int(path, line, k, v, 0, 65535, &r->port, err, errlen);
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
    if (!strcmp(k, "clients"))
        return parse_cidrs(path, line, k, v, r->clients, REGIONS_CLIENTS_MAX, &r->n_clients, err,
                           errlen);
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
                        char *err, size_t errlen)
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
    r->line = line;
    *section = 1;
    return 0;
}

/* Checks that hold across sections: every region has a port, ports differ. */
static int check_regions(const struct regions_conf *c, const char *path, const struct keyseen *seen,
                         const int *start_line, char *err, size_t errlen)
{
    if (c->n_regions == 0)
        return err_set(err, errlen, "%s: no [region NAME] section", path);
    for (int i = 0; i < c->n_regions; i++) {
        if (!keyseen_line(&seen[i], "port"))
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
    regions_defaults(out);
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    char *data = malloc(REGIONS_FILE_MAX + 1);
    size_t len = data ? fread(data, 1, REGIONS_FILE_MAX + 1, f) : 0;
    int rc;
    if (!data)
        rc = err_set(err, errlen, "%s: out of memory", path);
    else if (ferror(f))
        rc = err_set(err, errlen, "%s: read error: %s", path, strerror(errno));
    else if (len > REGIONS_FILE_MAX)
        rc = err_set(err, errlen, "%s: larger than %d bytes", path, REGIONS_FILE_MAX);
    else
        rc = regions_parse(path, data, len, out, err, errlen);
    fclose(f);
    free(data);
    return rc;
}

int regions_parse(const char *path, const char *data, size_t len, struct regions_conf *out,
                  char *err, size_t errlen)
{
    int rc = -1, lineno = 0, section = -1;
    int start_line[REGIONS_MAX] = {0};
    char buf[REGIONS_LINE_MAX + 1];
    size_t pos = 0;
    regions_defaults(out);
    /* About 13 KB: on the heap, as callers may run on small thread stacks. */
    struct keyseen *seen = calloc(REGIONS_MAX + 1, sizeof *seen); /* [REGIONS_MAX]: [global] */
    if (!seen)
        return err_set(err, errlen, "%s: out of memory", path);
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos; /* without the '\n' */
        lineno++;
        if (n > REGIONS_LINE_MAX) {
            err_set(err, errlen, "%s:%d: line longer than %d characters", path, lineno,
                    REGIONS_LINE_MAX);
            goto out;
        }
        if (memchr(data + pos, '\0', n)) {
            err_set(err, errlen, "%s:%d: a NUL byte (not a text file?)", path, lineno);
            goto out;
        }
        memcpy(buf, data + pos, n);
        buf[n] = '\0';
        pos += n + (nl != NULL);
        char *cut = strpbrk(buf, "#;");
        if (cut)
            *cut = '\0';
        char *s = trim(buf);
        if (!*s)
            continue;
        if (*s == '[') {
            if (open_section(out, path, lineno, s, &section, err, errlen) < 0)
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
        struct region_conf *reg = section ? &out->regions[out->n_regions - 1] : NULL;
        int r = reg ? set_region(reg, path, lineno, k, v, err, errlen)
                    : set_global(out, path, lineno, k, v, err, errlen);
        if (r < 0 || keyseen_add(&seen[reg ? out->n_regions - 1 : REGIONS_MAX], path, lineno, k,
                                 reg ? "region" : "global", reg ? reg->name : "", err, errlen) < 0)
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
    free(seen);
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

/* a.b.c.d (n bytes) into out[4]: decimal parts 0..255 without leading
 * zeros (inet_pton's reading). 0 or -1. */
static int parse_v4(const char *s, size_t n, unsigned char out[4])
{
    int part = 0, digits = 0, val = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!digits || part > 3)
                return -1;
            out[part++] = (unsigned char)val;
            digits = val = 0;
        } else if (isdigit((unsigned char)s[i])) {
            if (digits && val == 0) /* leading zero: octal to some readers, refused */
                return -1;
            val = val * 10 + (s[i] - '0');
            if (++digits > 3 || val > 255)
                return -1;
        } else {
            return -1;
        }
    }
    return part == 4 ? 0 : -1;
}

static int hexval(char ch)
{
    if (isdigit((unsigned char)ch))
        return ch - '0';
    ch = (char)tolower((unsigned char)ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* IPv6 text (RFC 4291 2.2: hex groups, one "::", an IPv4 tail) into out. */
static int parse_v6(const char *s, size_t n, unsigned char out[16])
{
    unsigned char b[16] = {0};
    int len = 0, gap = -1; /* bytes written; where "::" stands */
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    } else if (n && s[0] == ':') {
        return -1;
    }
    while (i < n) {
        size_t j = i;
        int val = 0;
        while (j < n && j - i < 5 && hexval(s[j]) >= 0)
            val = val * 16 + hexval(s[j++]);
        if (j < n && s[j] == '.') { /* the last 32 bits as a dotted quad */
            if (len > 12 || parse_v4(s + i, n - i, b + len) < 0)
                return -1;
            len += 4;
            break;
        }
        if (j == i || j - i > 4 || len > 14)
            return -1;
        b[len++] = (unsigned char)(val >> 8);
        b[len++] = (unsigned char)val;
        if (j == n)
            break;
        if (s[j] != ':' || j + 1 == n)
            return -1;
        i = j + 1;
        if (s[i] == ':') {
            if (gap >= 0)
                return -1;
            gap = len;
            i++;
        }
    }
    if (gap < 0 && len != 16)
        return -1;
    if (gap >= 0) {
        if (len > 14)
            return -1;
        memmove(b + 16 - (len - gap), b + gap, (size_t)(len - gap));
        memset(b + gap, 0, (size_t)(16 - len));
    }
    memcpy(out, b, 16);
    return 0;
}

int regions_addr_parse(const char *s, size_t n, unsigned char out[16])
{
    if (memchr(s, ':', n))
        return parse_v6(s, n, out);
    unsigned char v4[4];
    if (parse_v4(s, n, v4) < 0)
        return -1;
    memset(out, 0, 10);
    out[10] = out[11] = 0xff;
    memcpy(out + 12, v4, 4);
    return 0;
}

int regions_cidr_parse(const char *s, size_t n, struct regions_cidr *out)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    if (regions_addr_parse(s, alen, out->addr) < 0)
        return -1;
    int v4 = !memchr(s, ':', alen);
    int max = v4 ? 32 : 128;
    out->bits = 128;
    if (slash) {
        int bits = 0;
        size_t dl = n - alen - 1;
        if (dl == 0 || dl > 3)
            return -1;
        for (size_t i = 0; i < dl; i++) {
            if (!isdigit((unsigned char)slash[1 + i]))
                return -1;
            bits = bits * 10 + (slash[1 + i] - '0');
        }
        if (bits > max)
            return -1;
        out->bits = v4 ? 96 + bits : bits;
    }
    return 0;
}

int regions_proxy_trusted(const struct regions_conf *c, const unsigned char addr[16])
{
    for (int i = 0; i < c->n_trusted_proxies; i++) {
        const struct regions_cidr *b = &c->trusted_proxies[i];
        int full = b->bits / 8, rest = b->bits % 8;
        if (memcmp(addr, b->addr, (size_t)full))
            continue;
        if (rest && ((addr[full] ^ b->addr[full]) & (0xff << (8 - rest)) & 0xff))
            continue;
        return 1;
    }
    return 0;
}
