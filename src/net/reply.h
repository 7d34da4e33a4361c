/* The reply a region builds for one request (struct reply), shared by the
 * route handlers that live in their own files (health.c, modelsapi.c) and
 * api.c, which dispatches, answers and logs. Internal to src/net. */
#ifndef RECSYS_NET_REPLY_H
#define RECSYS_NET_REPLY_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "net/api.h"
#include "net/forwarded.h"
#include "net/http.h"

#define REPLY_JSON_CT "application/json"

struct events_batch;
struct expapi_job;

/* What one request turned into; filled by the handlers. */
struct reply {
    struct api_region *entry, *r; /* received by / served by */
    const struct http_request *req;
    int route, status, retry_after;
    const char *ctype, *allow, *cache;
    const char *static_body; /* when set, sent instead of r->body */
    size_t static_len;
    double t0;
    unsigned char client[16]; /* the real client (forwarded.h): limits, admin, logs */
    enum forwarded_how how;   /* how client was found */
    int admin;                /* an admin route: logged with who called it */
    const char *arg;          /* its path parameter (the version), for the log */
    size_t arg_len;
    int job; /* 0, or BIO_ACTIVATE, _ROLLBACK, _LIST: answered when that job ends (park) */
    struct events_batch *events; /* POST /api/v1/events: answered once durable (park_events) */
    int64_t job_version;
    struct expapi_job *xjob; /* job == BIO_CALL: an experiments job (expapi.h) */
};

/* Makes the reply an error: status and {"error":{"status":N,"message":"..."}}. */
void reply_error(struct reply *rp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints a cJSON object into the body after adding region and served_by;
 * status 200 (500 when out of memory). */
void reply_json(struct reply *rp, cJSON *j);

/* 1 when s[0..n) is a 32-character hexadecimal id (Olist's ids). */
int reply_is_hex_id(const char *s, size_t n);

#endif
