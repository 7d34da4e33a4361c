/* The overlay (overlay.h) applied where the engine answers: the model step
 * of engine_recommend and the users route's profile. */
#ifndef RECSYS_ENGINE_OVERLAY_REC_H
#define RECSYS_ENGINE_OVERLAY_REC_H

#include <stddef.h>

#include "engine/overlay.h"

struct model;
struct rec_query;
struct rec_list;

/* engine_recommend's model step with the overlay applied (o not empty):
 * a user with overlay purchases is known; those items are excluded unless
 * q->allow_repurchase; a user new to the model gets the neighbours of
 * what they bought (item-item, else content) before the model's cold-start
 * list. A user with neither model nor overlay history gets a cold-start
 * list that leads with up to a quarter (at least one) of the products
 * bought most in the last hours ("popularity:realtime"). *known is set to
 * 1 when the user has overlay purchases. Reads m only. */
void overlay_recommend(struct overlay *o, const struct model *m, const struct rec_query *q,
                       const char *user_id, struct rec_list *out, int *known);

/* engine_user_profile plus the overlay's purchases of that user (a user
 * only the overlay knows gets a profile of those). Same contract as
 * engine_user_profile; o may be NULL. */
int overlay_user_profile(struct overlay *o, struct engine *e, const char *user,
                         struct user_profile *out, char *err, size_t errlen);

#endif
