/* User-user cosine kNN pieces reused by the hybrid and the tests. */
#ifndef RECSYS_ENGINE_USERCF_H
#define RECSYS_ENGINE_USERCF_H

#include "engine/algo.h"

/* Cosine of two users' binary purchase vectors (exact, no sampling). */
int usercf_similarity(const struct csr *ui, const struct csr *iu, int32_t u, int32_t v,
                      double *cos);
/* Top-k neighbours with cosine >= threshold for every user; see usercf.c for
 * the max_postings cap that keeps the cost linear. */
int usercf_fit_knn(const struct csr *ui, const struct csr *iu, int k, double threshold,
                   int max_postings, struct knn *out, char *err, size_t errlen);
/* Keeps the best k of c[0..n) (score descending, index ascending) in
 * c[0..k), sorted; returns how many were kept. */
size_t knn_select_top(struct cand *c, size_t n, size_t k);
/* User neighbour lists in a model blob: indexes only, the similarities are
 * recomputed from ui on load (bit-identical to the fit). */
void ucf_save_lists(const struct knn *k, struct blob_writer *w);
int ucf_load_lists(struct knn *k, const struct csr *ui, struct blob_reader *r);
/* Threads for neighbour searches: online CPUs (max 8), or RECSYS_THREADS. */
int knn_threads(void);
/* Top-k most similar products of every product (itemcf.c). */
int itemcf_fit_knn(const struct csr *ui, const struct csr *iu, int k, int max_postings,
                   struct knn *out, char *err, size_t errlen);
/* Scores for q->user into b (reset first), merged and sorted best first;
 * owned items are not removed here. Adds neighbours to explain->explain when
 * q->explain. Returns -1 on allocation failure. */
int usercf_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                  struct rec_list *explain);
/* Same for item-item (itemcf.c): sum of similarities to the owned products. */
int itemcf_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                  struct rec_list *explain);
/* Content (content.c): category and price-tier neighbours of the user's products. */
int content_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                   struct rec_list *explain);
/* ALS factors (als.c): malloc'd users x f and items x f, row-major. */
int als_fit_factors(const struct csr *ui, const struct csr *iu, const struct algo_params *p,
                    float **u_out, float **v_out, char *err, size_t errlen);
/* ALS (als.c): the top `want` items by predicted preference. */
int als_scores(const struct model *m, const struct rec_query *q, int want, struct cand_buf *b);

#endif
