/* A small reader of POST /api/v1/events bodies: one event object or
 * {"events":[...]}, walked once without building a tree (cJSON allocates
 * per value; this is on the loop, per event). Only the members an event
 * has are kept, each as written (a string's characters, a number's value);
 * anything else is skipped after a syntax check. events_http.c checks the
 * values. No allocation. */
#ifndef RECSYS_NET_EVENTS_JSON_H
#define RECSYS_NET_EVENTS_JSON_H

#include <stddef.h>

#define EVENTS_JSON_STR 72 /* longest string kept; longer ones are cut (and too_long set) */

enum events_json_kind { EJ_ABSENT, EJ_NULL, EJ_STRING, EJ_NUMBER, EJ_OTHER };

struct events_json_value {
    enum events_json_kind kind;
    char s[EVENTS_JSON_STR]; /* EJ_STRING: NUL-terminated, cut at EVENTS_JSON_STR - 1 */
    int too_long;
    double num; /* EJ_NUMBER */
};

/* One event as written: is_object 0 when the entry is not an object. */
struct events_json_event {
    int is_object;
    struct events_json_value user_id, product_id, type, ts, request_id;
};

/* Calls fn(ctx, index, event) for each event of body (len bytes), in
 * order. Returns 0; -400 when the body is not JSON or not an object; -413
 * when there are more than max events; -422 when "events" is not an array
 * or is empty; or what fn returned when it was negative (the walk stops). */
int events_json_walk(const char *body, size_t len, size_t max,
                     int (*fn)(void *ctx, size_t index, const struct events_json_event *ev),
                     void *ctx);

#endif
