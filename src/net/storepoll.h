/* A region process fed from an S3 model store (regions.conf model_store):
 * a poller thread reads the store's pointer every store_poll seconds; a new
 * active version is downloaded into the local cache (store/modelcache.h)
 * under a temporary name, checked against its manifest's size and sha256,
 * opened with engine_open, named "s3://BUCKET/PREFIX/vN" (engine_set_source),
 * moved into the cache, and handed to the bio thread (bio_install), which
 * swaps it in: no request fails and no event loop waits.
 *
 * Whatever goes wrong (store unreachable, pointer or manifest unreadable or
 * of an unknown format, a download cut short, a checksum mismatch, an
 * artifact that does not open) the current model keeps serving, and health
 * turns DEGRADED with the reason in its "store" object until a later poll
 * succeeds. The poller never touches the shared engine itself and holds its
 * mutex only to copy its status. */
#ifndef RECSYS_NET_STOREPOLL_H
#define RECSYS_NET_STOREPOLL_H

#include <stddef.h>

#include "conf/regions.h"
#include "util/sbuf.h"

struct storepoll;
struct api_shared;
struct engine;

/* Opens the store of conf->model_store (AWS_* credentials from the
 * environment) and its cache directory (conf->store_cache or the default).
 * No request yet. ERR_INVALID / ERR_FAIL with err naming the URL, variable
 * or directory: the server does not start. */
int storepoll_new(const struct regions_conf *conf, struct storepoll **out, char *err,
                  size_t errlen);

/* The first model, on the caller's thread before the regions start: the
 * store's active version (downloaded unless the cache holds it), else, with
 * the store unreachable or its version refused, the cached one. Sets
 * sh->engine (NULL with sh->engine_err when there is nothing to serve: the
 * regions start DEGRADED and the poller keeps trying) and sh->db_path (the
 * cached artifact: SIGHUP reloads and GET /api/v1/models read it). */
void storepoll_first(struct storepoll *sp, struct api_shared *sh);

/* Starts the poller thread (util/periodic.h; sh->bio must run). 0, or a
 * negative code (ERR_FAIL, ERR_NOMEM) with err. */
int storepoll_start(struct storepoll *sp, struct api_shared *sh, char *err, size_t errlen);

/* Stops and joins the thread (a poll in progress finishes first, bounded by
 * the S3 client's timeouts) and frees sp. Before bio_stop. NULL is fine. */
void storepoll_stop(struct storepoll *sp);

/* "s3://BUCKET/PREFIX". */
const char *storepoll_url(const struct storepoll *sp);

/* Names e (opened on the cached artifact) "s3://BUCKET/PREFIX/vN" after its
 * version, before e is shared. */
void storepoll_label(const struct storepoll *sp, struct engine *e);

/* 1 when the last poll failed (health is DEGRADED). Thread-safe. */
int storepoll_degraded(struct storepoll *sp);

/* Appends `,"store":{...}` (url, status, active, serving, last_ok,
 * last_error, cache: docs/API.md) to b; nothing when sp is NULL.
 * Thread-safe, never waits for a poll. */
void storepoll_health_json(struct storepoll *sp, struct sbuf *b);

#endif
