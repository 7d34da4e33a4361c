/* Repurchase propensity learned from the training purchases: how likely a
 * buyer of a product buys it again on a later day. Estimated per category
 * (shrunk toward the overall rate) and per product (shrunk toward its
 * category's rate, so a product with few buyers gets about its category's
 * rate and one with many gets its own). Only events before the cutoff are
 * read: the test period never shapes the estimate. Stored with the model;
 * ranking turns it into a boost for the items a user already owns
 * (repurchase_boost), added to the algorithm's own score. */
#ifndef RECSYS_ENGINE_REPURCHASE_H
#define RECSYS_ENGINE_REPURCHASE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/blob.h"
#include "engine/csr.h"
#include "engine/dataset.h"

#define REPURCHASE_PRIOR_CAT  20.0 /* pseudo-buyers pulling a category toward the overall rate */
#define REPURCHASE_PRIOR_ITEM 10.0 /* pseudo-buyers pulling a product toward its category */

struct repurchase {
    int32_t n_items;
    int n_cats;
    float global;  /* repeat buyers / buyers over every (user, product) pair */
    float *cat_p;  /* per category, shrunk toward global */
    float *item_p; /* per product, shrunk toward its category; NULL: not estimated */
    float top;     /* the largest item_p (0 when none): the boost's scale */
};

/* Estimates r from the events of ds with day < cutoff_day; ui is the
 * training matrix built from those same events (its rows say who bought
 * what). A (user, product) pair counts as repeated when it was bought on
 * two or more distinct days. 0, or ERR_NOMEM with err (r then empty). */
int repurchase_fit(struct repurchase *r, const struct dataset *ds, const struct csr *ui,
                   int32_t cutoff_day, char *err, size_t errlen);

/* The item's propensity (0 when not estimated or out of range). */
float repurchase_p(const struct repurchase *r, int32_t item);

/* The score added to an owned item: REPURCHASE_WEIGHT x p / top, within the
 * range of the hybrid's normalised collaborative scores (0..2). */
float repurchase_boost(const struct repurchase *r, int32_t item);

void repurchase_save(const struct repurchase *r, struct blob_writer *w);
/* Reads repurchase_save output for n_items products and n_cats categories;
 * -1 when malformed. */
int repurchase_load(struct repurchase *r, int32_t n_items, int n_cats, struct blob_reader *br);
void repurchase_free(struct repurchase *r);

#endif
