/* POST /api/v1/events: the request body turned into a batch of valid
 * events for the writer (events.h), and the JSON answers. Runs on the
 * receiving region's loop: cJSON parsing and in-memory checks only. */
#ifndef RECSYS_NET_EVENTS_HTTP_H
#define RECSYS_NET_EVENTS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "net/events.h"
#include "util/sbuf.h"

struct engine;

/* Parses body (len bytes): one event object, or {"events":[...]} with 1 to
 * EVENTS_BATCH_MAX of them. Each needs user_id (32 hex characters; a new
 * user is fine), product_id (32 hex, in e's catalogue), type (view, click,
 * add_to_cart, purchase), and may have ts (unix seconds or ISO 8601, from
 * 2000 to a day after now; default now) and request_id (1..39 characters
 * of [A-Za-z0-9._:-]). Returns 0 and *out (the valid events, with their
 * 202 answer listing the entries that failed: index, field, message), or
 * the HTTP status with its JSON answer in resp: 400 (not JSON, not an
 * object), 413 (too many events), 422 (no valid event; each failure
 * listed). region names the receiving region (stored with the events). */
int events_http_prepare(const struct engine *e, const char *region, const char *body, size_t len,
                        int64_t now, struct sbuf *resp, struct events_batch **out);

#endif
