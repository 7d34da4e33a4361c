/* Item-item cosine kNN (see itemcf.c); its scores are reused by the hybrid. */
#ifndef RECSYS_ENGINE_ITEMCF_H
#define RECSYS_ENGINE_ITEMCF_H

#include <stddef.h>

#include "engine/algo.h"

extern const struct algo_ops algo_itemcf;

/* Top-k most similar products of every product. */
int itemcf_fit_knn(const struct csr *ui, const struct csr *iu, int k, int max_postings,
                   struct knn *out, char *err, size_t errlen);
/* Scores for q->user into b (reset first): the sum of similarities to the
 * owned products, merged and sorted best first; owned items are not removed
 * here. Returns -1 on allocation failure. */
int itemcf_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                  struct rec_list *explain);

#endif
