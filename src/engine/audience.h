/* The audience of a product: the customers most likely to buy it, taken as
 * the recent buyers of similar products (its item-item neighbours, then
 * products of its category and price tier), most recent purchase first.
 * How the original system promoted a new product. Reads only the model and
 * the engine's in-memory purchase histories (engine/history.h): no SQL. */
#ifndef RECSYS_ENGINE_AUDIENCE_H
#define RECSYS_ENGINE_AUDIENCE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"
#include "engine/history.h"

#define AUDIENCE_SIMILAR    20   /* similar products whose buyers are read */
#define AUDIENCE_MAX_BUYERS 2000 /* buyers read per similar product: bounds the work */

/* Fills out with up to count (1..ENGINE_MAX_AUDIENCE) customers for model
 * item `item`: people (the engine's sorted customer_unique_ids, the index
 * space of h) who bought a similar product and not the item itself,
 * ordered by their latest purchase of a similar product, newest first
 * (ties: user id). 0, or ERR_NOMEM. */
int audience_collect(const struct model *m, const struct history *h, const struct idmap *people,
                     int32_t item, int count, struct product_audience *out);

#endif
