/* The overlay: the purchases posted as feedback events, applied without
 * retraining. A retrained model that learnt them does not make them
 * redundant: user profiles come from the database's orders, never from the
 * model, so the overlay stays as it is when a new model is swapped in (and a
 * restart replays the newest purchases, net/events_apply.h); for a user
 * both know, the answers are the model's (tests/e2e/overlay_retrain.sh). It
 * holds each user's recent purchases (bounded: OVERLAY_USERS users, the
 * least recently active forgotten first; OVERLAY_USER_ITEMS purchases each)
 * and a real-time popularity of products (purchase counts decayed with a
 * half-life of OVERLAY_HALF_LIFE seconds of arrival time, top OVERLAY_HOT
 * kept ranked).
 *
 * One overlay serves every region of a process: the events writer adds to
 * it (net/events.c), engine_recommend and the users route read it. It has
 * its own read-write lock; engine and model stay immutable. When nothing was
 * ever added, overlay_empty() is one atomic load and the engine goes its
 * usual way. */
#ifndef RECSYS_ENGINE_OVERLAY_H
#define RECSYS_ENGINE_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/feedback.h"

#define OVERLAY_USERS      200000 /* users held; the least recently active go first */
#define OVERLAY_USER_ITEMS 64     /* recent purchases kept per user */
#define OVERLAY_PRODUCTS   200000 /* products with a real-time count */
#define OVERLAY_HOT        32     /* products kept ranked by real-time count */
#define OVERLAY_HALF_LIFE  3600.0 /* seconds */

struct overlay;

struct overlay_purchase {
    char product_id[REC_ID_LEN];
    int64_t ts; /* the event's time, unix seconds */
};

struct overlay_hot {
    char product_id[REC_ID_LEN];
    double count; /* purchases, decayed to now */
};

/* NULL on OOM. */
struct overlay *overlay_new(void);
void overlay_free(struct overlay *o);

/* Applies the purchases among ev[0..n) (other types are ignored) that
 * arrived at `now` (unix seconds: the popularity decays with arrival time,
 * so a replay of old orders still counts as recent). Ids are taken as
 * lower case. Returns how many purchases were added. */
size_t overlay_add(struct overlay *o, const struct feedback_event *ev, size_t n, int64_t now);

/* 1 when nothing was ever added (one atomic load; NULL counts as empty). */
int overlay_empty(const struct overlay *o);

/* Copies up to max of user's purchases, oldest first, into out; returns
 * how many (0 for an unknown user or NULL o). */
int overlay_user(struct overlay *o, const char *user_id, struct overlay_purchase *out, int max);

/* The up to max products bought most recently (decayed count >= min_count
 * at now), best first; returns how many. */
int overlay_popular(struct overlay *o, int64_t now, double min_count, struct overlay_hot *out,
                    int max);

/* Users and products held, for /health. */
void overlay_size(struct overlay *o, size_t *users, size_t *products);

#endif
