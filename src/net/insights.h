/* GET /api/v1/insights: the data and evaluation summary the dashboard's
 * "Data & evaluation" view draws (docs/API.md "Insights"): orders per
 * month, top categories, customers and orders by state, the ingest
 * cleaning report, the active model's stored metrics and the latest
 * rolling evaluation (table eval_rolling, `recsys-tui eval --rolling`).
 *
 * The event loop never runs the SQL: the body is built on the bio thread
 * (bio_call(insights_job)) into a process-wide snapshot, and the route
 * serves a copy of it. A snapshot older than INSIGHTS_MAX_AGE_S, or one
 * invalidated by a model reload, is rebuilt in the background while the
 * old one is still served. */
#ifndef RECSYS_NET_INSIGHTS_H
#define RECSYS_NET_INSIGHTS_H

#include <stddef.h>

#include "util/sbuf.h"

#define INSIGHTS_MAX_AGE_S   60.0
#define INSIGHTS_TOP_CATS    10
#define INSIGHTS_RETRY_AFTER 1

struct api_shared;
struct bio_result;

/* Builds the insights JSON of the database at db_path (read-only) into out.
 * 0, or a negative err_code with err naming the database and the failing
 * query (ERR_NOT_FOUND when it has no orders table: not an ingested
 * database). A missing eval_rolling or models table gives null there. */
int insights_build(const char *db_path, struct sbuf *out, char *err, size_t errlen);

/* bio_call_fn: builds the snapshot for sh->db_path and swaps it in (on the
 * bio thread; arg unused). A failed build keeps the previous snapshot and
 * records why. */
void insights_job(struct api_shared *sh, void *arg, struct bio_result *res);

/* The route, on a loop: appends the snapshot to body and returns 200; or,
 * before the first build finished, appends an error and returns 503 with
 * *retry_after set (the build is queued). Queues a rebuild when the
 * snapshot is stale. */
int insights_serve(struct api_shared *sh, struct sbuf *body, int *retry_after);

struct bio;
/* Queues a build on b's thread unless one is already queued. 0, or the
 * bio_call error (nothing queued). */
int insights_schedule(struct bio *b);

/* Marks the snapshot stale (a model was reloaded: new stored metrics). */
void insights_invalidate(void);

#endif
