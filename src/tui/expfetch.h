/* The Experiments view's link to the regions: GET /api/v1/experiments and
 * the admin POSTs .../{name}/stop and .../{name}/promote, over its own
 * libcurl multi handle, so it never blocks the screen (expfetch_step does
 * what is ready and returns). At most one GET and one POST in flight.
 * expfetch_parse is pure and unit-tested. Single-threaded (the UI thread). */
#ifndef RECSYS_TUI_EXPFETCH_H
#define RECSYS_TUI_EXPFETCH_H

#include <stddef.h>

#define XF_MAX      16 /* experiments shown */
#define XF_VARIANTS 8
#define XF_NAME     48

struct xf_rate {
    double value, low, high; /* NAN when unknown (no impressions) */
};

struct xf_variant {
    char name[XF_NAME];
    long version;
    int share;
    long impressions, users, clicks, purchases;
    struct xf_rate ctr, conv;
};

struct xf_experiment {
    char name[XF_NAME], status[16], created_at[24], promoted[XF_NAME], leader[XF_NAME];
    int traffic, n;
    struct xf_variant v[XF_VARIANTS];
    double p_ctr, p_conv; /* second variant against the first; NAN when unknown */
};

enum { XF_NONE, XF_PENDING, XF_OK, XF_ERROR };

struct xf_data {
    int state;    /* XF_*: of the last GET */
    int n, total; /* shown, and how many the region listed */
    struct xf_experiment e[XF_MAX];
    char msg[160];      /* why the last GET failed */
    char post_msg[200]; /* the outcome of the last POST, for the flash line; "" once read */
};

struct expfetch;

/* key: sent as X-API-Key when non-empty (poller_admin_key). NULL on OOM. */
struct expfetch *expfetch_create(const char *key);
void expfetch_destroy(struct expfetch *f);
const struct xf_data *expfetch_data(const struct expfetch *f);
/* Clears post_msg once the caller showed it. */
void expfetch_post_seen(struct expfetch *f);

/* GET base_url/api/v1/experiments unless one is in flight. 0 or -1. */
int expfetch_refresh(struct expfetch *f, const char *base_url);
/* POST base_url/api/v1/experiments/{name}/{action} ("stop" or "promote";
 * variant: the one to promote, NULL: the leader). 0, or -1 when a POST is
 * in flight or libcurl refuses. */
int expfetch_post(struct expfetch *f, const char *base_url, const char *name, const char *action,
                  const char *variant);
/* Moves the transfers on without waiting; 1 when data changed. */
int expfetch_step(struct expfetch *f);

/* Parses a GET /api/v1/experiments body into out (state XF_OK), or sets
 * state XF_ERROR and msg. Returns 0 or -1. */
int expfetch_parse(const char *json, size_t len, struct xf_data *out);

#endif
