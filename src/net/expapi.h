/* The experiments routes (docs/API.md "Experiments"), all admin routes:
 *   GET  /api/v1/experiments              every experiment with its outcomes
 *   POST /api/v1/experiments              create and start one (201)
 *   GET  /api/v1/experiments/{name}       one
 *   POST /api/v1/experiments/{name}/stop
 *   POST /api/v1/experiments/{name}/promote   activate the leader's (or the
 *        named variant's, {"variant":"B"}) model version, then stop
 * Reads are answered on the loop from the registry; create, stop and
 * promote run SQL and open or swap engines, so they become a job on the bio
 * thread (bio_call(expapi_run)) whose result expapi_result renders. */
#ifndef RECSYS_NET_EXPAPI_H
#define RECSYS_NET_EXPAPI_H

#include <stddef.h>

#include "net/exp.h"
#include "net/http.h"
#include "util/sbuf.h"

struct api_shared;
struct bio_result;
struct expapi_job;

/* Checks a creation body into rec (zeroed first): name, variants (2..8,
 * each name, model_version >= 1, share 1..100, the shares summing to 100),
 * traffic (1..100, default 100). Returns 0, 400 (not a JSON object) or 422
 * (a field is wrong), with a message naming the field in err. */
int expapi_parse(const char *body, size_t len, struct exp_record *rec, char *err, size_t errlen);

/* Handles one experiments request (path /api/v1/experiments[/...], name:
 * the {name} segment or NULL). Returns an HTTP status with the complete
 * JSON body in b (2xx) or a message in err (an error); or returns 0 with
 * *job set when a background job must answer it (the caller runs
 * bio_call(expapi_run, job) and then expapi_result). region and served_by
 * are written into successful bodies. */
int expapi_handle(struct experiments *x, const struct http_request *req, const char *name,
                  size_t name_len, const char *region, const char *served_by, struct sbuf *b,
                  struct expapi_job **job, char *err, size_t errlen);
/* bio_call_fn: the job's work on the bio thread. */
void expapi_run(struct api_shared *sh, void *job, struct bio_result *res);
/* The answer of a finished job, as expapi_handle gives one (on the loop).
 * The job is still the caller's to free. */
int expapi_result(struct expapi_job *job, const struct bio_result *res, struct sbuf *b, char *err,
                  size_t errlen);
/* Frees a job (after expapi_result, or when it never ran). NULL is fine. */
void expapi_job_free(struct expapi_job *job);

#endif
