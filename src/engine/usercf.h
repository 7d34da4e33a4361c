/* User-user cosine kNN (see usercf.c): the neighbour search, the scores it
 * gives a user, and its neighbour lists in a model blob; reused by the
 * hybrid and the tests. */
#ifndef RECSYS_ENGINE_USERCF_H
#define RECSYS_ENGINE_USERCF_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

extern const struct algo_ops algo_usercf;

/* Cosine of two users' binary purchase vectors (exact, no sampling). */
int usercf_similarity(const struct csr *ui, const struct csr *iu, int32_t u, int32_t v,
                      double *cos);
/* Top-k neighbours with cosine >= threshold for every user; see usercf.c for
 * the max_postings cap that keeps the cost linear. */
int usercf_fit_knn(const struct csr *ui, const struct csr *iu, int k, double threshold,
                   int max_postings, struct knn *out, char *err, size_t errlen);
/* User u's neighbours in k (fitted for the purchase matrix ui), best first:
 * idx[0..n) and sim[0..n) without the entry equal to skip (-1: none). A
 * one-product buyer reads the shared list of its product (struct knn), where
 * skip is itself; everyone else its own row, with skip -1. */
struct ucf_row {
    const int32_t *idx;
    const float *sim;
    int64_t n;
    int32_t skip;
};
void usercf_row(const struct knn *k, const struct csr *ui, int32_t u, struct ucf_row *r);
/* Scores for q->user into b (reset first), merged and sorted best first;
 * owned items are not removed here. Adds neighbours to explain->explain when
 * q->explain. Returns -1 on allocation failure. */
int usercf_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                  struct rec_list *explain);
/* User neighbour lists in a model blob: indexes only, the similarities are
 * recomputed from ui on load (bit-identical to the fit). */
void usercf_save_lists(const struct knn *k, struct blob_writer *w);
/* ERR_CORRUPT when the lists are malformed. */
int usercf_load_lists(struct knn *k, const struct csr *ui, struct blob_reader *r);

#endif
