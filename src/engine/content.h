/* Content-based recommendations: products of the same category and price
 * tier (see content.c). */
#ifndef RECSYS_ENGINE_CONTENT_H
#define RECSYS_ENGINE_CONTENT_H

#include "engine/algo.h"

extern const struct algo_ops algo_content;

/* Up to n items like `item` (same category, nearest price tier, popular
 * first) into out; returns how many. */
int content_similar(const struct model *m, int32_t item, int n, struct scored *out);
/* Content candidates for q->user into b (reset first), best first. Returns
 * -1 on allocation failure. */
int content_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                   struct rec_list *explain);

#endif
