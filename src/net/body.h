/* Request bodies: the JSON object a POST may carry, parsed strictly (as
 * RFC 8259 reads and nginx-fronted APIs answer): exactly one JSON value,
 * an object, followed by nothing but whitespace; each member name at most
 * once; at most BODY_MAX_MEMBERS members. `{"count":5}garbage` is refused,
 * not read as {"count":5}. Errors are ERR_INVALID (a 400) with a sentence
 * naming the problem and its byte offset. */
#ifndef RECSYS_NET_BODY_H
#define RECSYS_NET_BODY_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "engine/engine.h"

#define BODY_MAX_MEMBERS 64

/* Parses body (len bytes, not NUL-terminated) into *out, a JSON object the
 * caller frees with cJSON_Delete. 0, or ERR_INVALID with err (and *out
 * NULL; cJSON cannot tell running out of memory from bad JSON). */
int body_parse_object(const char *body, size_t len, cJSON **out, char *err, size_t errlen);

/* The body of a recommendation request: {"count": 1..max_count,
 * "allow_repurchase": true|false}, both optional; other members are
 * ignored. Fields not in the body keep the values *out had. */
struct body_rec {
    int count;
    int allow_repurchase;
};

/* Parses and checks a recommendation body into *out. 0, or ERR_INVALID with
 * err naming the member at fault (or the JSON problem). */
int body_parse_rec(const char *body, size_t len, int max_count, struct body_rec *out, char *err,
                   size_t errlen);

/* The "context" member of a recommendation body into *cx (cx->set 1 when
 * present): {"state": "SP", "category": "bed_bath_table", "exclude":
 * ["<32 hex>", ...]}, each optional, other members refused. 0 (cx->set 0
 * when the body has no context), or ERR_INVALID with err naming the field
 * ("context.exclude[2] must be ..."): the caller answers 422. Whether the
 * state and category exist is the engine's check (engine_context_check). */
int body_parse_context(const char *body, size_t len, struct rec_context *cx, char *err,
                       size_t errlen);

/* The same context from GET query values (undecoded; NULL when absent):
 * state, category, and exclude as comma-separated ids. Same checks and
 * messages as body_parse_context. */
int body_query_context(const char *state, const char *category, const char *exclude,
                       struct rec_context *cx, char *err, size_t errlen);

#endif
