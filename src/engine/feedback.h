/* Feedback events: what a customer did after (or without) a recommendation.
 * POST /api/v1/events parses them (net/events.c), the events writer stores
 * them, the overlay (engine/overlay.h) applies purchases at once and the
 * experiments module attributes clicks and purchases to variants. This file
 * holds the event struct and the small pure functions (type names, ids,
 * timestamps) every user shares; no I/O, no allocation. */
#ifndef RECSYS_ENGINE_FEEDBACK_H
#define RECSYS_ENGINE_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define FEEDBACK_REQUEST_ID_LEN 40    /* request_id buffer: 39 characters + NUL */
#define FEEDBACK_FUTURE_SLACK   86400 /* a ts at most one day ahead of the clock */

enum feedback_type { FEEDBACK_VIEW, FEEDBACK_CLICK, FEEDBACK_ADD_TO_CART, FEEDBACK_PURCHASE };

struct feedback_event {
    char user_id[REC_ID_LEN];
    char product_id[REC_ID_LEN];
    enum feedback_type type;
    int64_t ts;                               /* unix seconds UTC */
    char request_id[FEEDBACK_REQUEST_ID_LEN]; /* "" when none */
};

/* "view", "click", "add_to_cart", "purchase"; "?" for a value out of range. */
const char *feedback_type_name(enum feedback_type t);

/* Parses a type name (exact, lower case). 0 and *out, or ERR_INVALID. */
int feedback_type_parse(const char *s, enum feedback_type *out);

/* 1 when s is a well-formed user or product id: 32 hexadecimal characters
 * (the Olist ids the engine accepts). */
int feedback_id_valid(const char *s);

/* 1 when s can be a request_id: 1..39 characters of [A-Za-z0-9._:-]. */
int feedback_request_id_valid(const char *s);

/* Parses an ISO 8601 UTC timestamp "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS" or
 * "YYYY-MM-DD HH:MM:SS", optionally with fractional seconds and "Z" or a
 * "+HH:MM" / "-HH:MM" offset, into unix seconds. 0 and *out, or
 * ERR_INVALID with a sentence in err. */
int feedback_ts_parse(const char *s, int64_t *out, char *err, size_t errlen);

/* Checks a unix time: not before 2000-01-01 and at most
 * FEEDBACK_FUTURE_SLACK seconds after now. 0, or ERR_INVALID with err. */
int feedback_ts_check(int64_t ts, int64_t now, char *err, size_t errlen);

/* Formats ts as "YYYY-MM-DD HH:MM:SS" (UTC) into out[20]. */
void feedback_ts_format(int64_t ts, char out[20]);

#endif
