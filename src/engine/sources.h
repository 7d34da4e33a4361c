/* Extra candidate sources fitted with every model from its training
 * purchases. Co-purchase: for each product, the products bought with it in
 * one basket (the same customer on the same day: one order or a few placed
 * together), most frequent first, at most SOURCES_CO_K; the hybrid offers a
 * user the co-purchases of the products they own (source "copurchase").
 * Same seller: see sources_seller.h (source "seller").
 * Fitted on the events before the cutoff only; stored with the model. */
#ifndef RECSYS_ENGINE_SOURCES_H
#define RECSYS_ENGINE_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "engine/blob.h"
#include "engine/cand.h"
#include "engine/csr.h"
#include "engine/dataset.h"
#include "engine/sources_seller.h"

#define SOURCES_CO_K       20 /* co-purchases kept per product */
#define SOURCES_BASKET_MAX 50 /* larger baskets (bulk orders) are left out: no signal */

struct sources {
    int32_t n_items;
    int64_t *co_ptr;              /* n_items + 1; NULL: not fitted (an older model) */
    int32_t *co_idx;              /* co-purchased items, most frequent first */
    float *co_score;              /* baskets shared / baskets shared with the first one (1 first) */
    struct sources_seller seller; /* same-seller products (sources_seller.h) */
};

/* Fits s (co-purchases and the seller source) from the events of ds with
 * day < cutoff_day. 0, or ERR_NOMEM. */
int sources_fit(struct sources *s, const struct dataset *ds, int32_t cutoff_day, char *err,
                size_t errlen);
/* Adds to b, for each item in owned[0..n), its co-purchases with their
 * scores (summed over the owned items by cand_rank). -1 on OOM. */
int sources_copurchase(const struct sources *s, const int32_t *owned, int64_t n,
                       struct cand_buf *b);
void sources_save(const struct sources *s, struct blob_writer *w);
/* Reads sources_save output for n_items products; -1 when malformed. The
 * seller source is saved and read on its own (sources_seller_save/load):
 * older models end before it. sources_free frees both. */
int sources_load(struct sources *s, int32_t n_items, struct blob_reader *r);
void sources_free(struct sources *s);

#endif
