/* regions.conf: the regions (name, port, location, coordinates) and the
 * global serving settings. INI format, documented in regions.conf itself.
 * Used by the servers and by the dashboard (which only needs the URLs). */
#ifndef RECSYS_CONF_REGIONS_H
#define RECSYS_CONF_REGIONS_H

#include <stddef.h>

#define REGIONS_MAX             16
#define REGIONS_PROXIES_MAX     32           /* entries of trusted_proxies */
#define REGIONS_CLIENTS_MAX     16           /* entries of a region's clients */
#define REGIONS_CACHE_BYTES     (16ll << 20) /* default cache_bytes per region */
#define REGIONS_CACHE_BYTES_MAX (1ll << 40)  /* largest cache_bytes accepted */

/* An address block: 16-byte addresses (IPv4 mapped into IPv6, ::ffff:a.b.c.d)
 * whose first `bits` bits equal addr's. An IPv4 "a.b.c.d/n" is stored with
 * bits = 96 + n. */
struct regions_cidr {
    unsigned char addr[16];
    int bits;
};

struct region_conf {
    char name[32];     /* "us-west" */
    char host[64];     /* where clients reach it; default "127.0.0.1" */
    int port;          /* 0 in a test config: pick an ephemeral port */
    char location[64]; /* "California" */
    double latitude, longitude;
    int line; /* line of its [region NAME] header, for messages */
    /* Client networks near this region (`clients`): a router sends a request
     * without Region-Hint from these addresses here. */
    int n_clients;
    struct regions_cidr clients[REGIONS_CLIENTS_MAX];
};

#define REGIONS_RETRAIN_KEEP 10 /* model versions a scheduled retrain leaves stored */

struct regions_conf {
    char database[512]; /* default "olist.db" */
    int cache_ttl;      /* seconds, default 300 */
    int cache_size;     /* entries per region, default 10000; 0 disables */
    double rate_limit;  /* requests/s per client address per region; 0 = off */
    double rate_burst;
    char api_keys_file[512]; /* "" = no keys required */
    char log[512];           /* "stderr", "off" or a file path */
    int router_port;         /* HAProxy's port (haproxy-config); 0 = none */
    int read_timeout;        /* seconds before a slow request is cut off */
    int idle_timeout;        /* seconds before an idle keep-alive connection closes */
    int max_connections;     /* per region */
    int stats_window;        /* seconds of /health's rolling figures, default 10 */
    int n_regions;
    struct region_conf regions[REGIONS_MAX];
    char router_host[64];  /* address HAProxy listens on; default "127.0.0.1" */
    long long cache_bytes; /* bytes of cached responses per region, default 16 MiB; 0 disables */
    char admin_keys_file[512]; /* "" = admin routes answer loopback clients only */
    /* Peers whose X-Forwarded-For is believed (HAProxy, a load balancer);
     * none by default. */
    int n_trusted_proxies;
    struct regions_cidr trusted_proxies[REGIONS_PROXIES_MAX];
    double health_interval; /* seconds between HAProxy's health checks of a region, default 1 */
    /* A model store (s3://BUCKET/PREFIX): regions serve its active version, polled every
     * store_poll seconds (default 10) and cached in store_cache ("" = the default: see
     * store/modelcache.h), instead of the database's. "" = no store. */
    char model_store[512];
    int store_poll;
    char store_cache[512];
    /* Scheduled retraining (net/retrain_sched.h): every retrain_every seconds (0 = off, the
     * default), activated when not worse than retrain_tolerance (conf/retrainconf.h). */
    double retrain_every;
    double retrain_tolerance; /* default RETRAINCONF_TOLERANCE, absolute */
    int retrain_tolerance_relative;
    /* After each cycle the scheduler deletes stored versions beyond the retrain_keep newest
     * (the active one and those running experiments serve stay): net/modelprune.h. 0 keeps
     * every version. Default REGIONS_RETRAIN_KEEP. */
    int retrain_keep;
    /* POST /api/v1/events: events waiting for the writer thread (default 65536); a
       request that does not fit gets 503. 0 turns the route off (503). */
    int events_queue;
    int events_ship; /* with model_store: seconds between uploads of new events (10) */
};

/* Defaults, then the file. Errors name the file, line and key. */
int regions_load(const char *path, struct regions_conf *out, char *err, size_t errlen);
/* The same from the len bytes of data (regions_load reads the file, then
 * calls this); path only names the source in messages. A NUL byte is an
 * error. 0, or -1 with err. */
int regions_parse(const char *path, const char *data, size_t len, struct regions_conf *out,
                  char *err, size_t errlen);
void regions_defaults(struct regions_conf *out);
const struct region_conf *regions_find(const struct regions_conf *c, const char *name);
/* Great-circle distance in km between two regions (for failover order). */
double regions_distance_km(const struct region_conf *a, const struct region_conf *b);
/* The failover choice, the one place it is made (the in-process Region-Hint
 * and haproxy-config's backup order both use it): the index in cands[0..n) of the region
 * nearest to `from` among those with usable[i] set, `from` itself first when
 * it is a candidate and usable; -1 when none is usable. */
int regions_nearest(const struct region_conf *from, const struct region_conf *const *cands,
                    const unsigned char *usable, int n);

/* Parses an IP address (IPv4 dotted quad or IPv6 text), n bytes, into a
 * 16-byte address (IPv4 mapped into IPv6). 0, or -1 when it is not one. */
int regions_addr_parse(const char *s, size_t n, unsigned char out[16]);
/* Parses "ADDR" or "ADDR/BITS" (n bytes); a bare address is a /32 or /128.
 * 0, or -1 when malformed or BITS is out of range. */
int regions_cidr_parse(const char *s, size_t n, struct regions_cidr *out);
/* 1 when addr (16 bytes) lies in one of c->trusted_proxies. */
int regions_proxy_trusted(const struct regions_conf *c, const unsigned char addr[16]);

#endif
