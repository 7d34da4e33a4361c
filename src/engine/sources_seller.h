/* Same-seller candidate source: "other top items of the sellers the user
 * bought from". Fitted with every model from its training purchases (the
 * events before the cutoff, each carrying its order item's seller):
 * - for each product, the sellers it was bought from and each one's share
 *   of its purchases (a product may have several sellers);
 * - for each seller, its top products by distinct buyers in the last
 *   SELLER_WINDOW days before the cutoff, at most SELLER_TOP_K.
 * A user's sellers are those of the products they own, weighed by share; the
 * candidates are those sellers' top products (the hybrid labels them
 * "seller"). Stored with the model; a model from before it has none. */
#ifndef RECSYS_ENGINE_SOURCES_SELLER_H
#define RECSYS_ENGINE_SOURCES_SELLER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/blob.h"
#include "engine/cand.h"
#include "engine/dataset.h"

#define SELLER_TOP_K 20 /* top products kept per seller */
/* days before the cutoff counted for a seller's top: 60 won on validation
 * inside the training period (monthly 2017-04..12 and the 2017-08-01 and
 * 2017-10-01 cutoffs) against 30, 90 and 180 */
#define SELLER_WINDOW       60
#define SELLER_MAX_PER_ITEM 64 /* sellers kept per product (most purchases first) */

struct sources_seller {
    int32_t n_items, n_sellers;
    int64_t *item_ptr; /* n_items + 1; NULL: not fitted (an older model, or no sellers) */
    int32_t *item_sel; /* the sellers each product was bought from, most purchases first */
    float *item_share; /* that seller's share of the product's purchases, in (0, 1] */
    int64_t *top_ptr;  /* n_sellers + 1 */
    int32_t *top_item; /* each seller's top products, most buyers first */
    float *top_score;  /* buyers / buyers of the seller's first product (1 first) */
};

/* Fits s from the events of ds with day < cutoff_day whose seller is known
 * (0 <= seller < ds->sellers.n). No sellers: s is left empty (not fitted).
 * 0, or ERR_NOMEM with err. */
int sources_seller_fit(struct sources_seller *s, const struct dataset *ds, int32_t cutoff_day,
                       char *err, size_t errlen);
/* Adds to b the top products of the sellers of owned[0..n), each scored by
 * the seller's weight for this user (the sum of its shares over the owned
 * products) times the product's top_score; cand_rank sums repeats. -1 on
 * OOM; nothing when s is not fitted. */
int sources_seller_candidates(const struct sources_seller *s, const int32_t *owned, int64_t n,
                              struct cand_buf *b);
void sources_seller_save(const struct sources_seller *s, struct blob_writer *w);
/* Reads sources_seller_save output for n_items products; -1 when malformed. */
int sources_seller_load(struct sources_seller *s, int32_t n_items, struct blob_reader *r);
void sources_seller_free(struct sources_seller *s);

#endif
