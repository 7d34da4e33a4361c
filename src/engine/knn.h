/* Top-k neighbour lists in CSR form, shared by user-user (usercf.c) and
 * item-item (itemcf.c): building them row by row, selecting the best k of a
 * candidate list, storing and validating them in a model blob, and the number
 * of threads a neighbour search may use. */
#ifndef RECSYS_ENGINE_KNN_H
#define RECSYS_ENGINE_KNN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/blob.h"
#include "engine/cand.h"

#define KNN_MAX_THREADS 8

/* Row r's neighbours are idx[ptr[r] .. ptr[r + 1]), best first, with their
 * similarities in sim. Zero-initialised is empty; free with knn_free.
 * User-user lists may also carry `shared` (NULL otherwise): per product, the
 * best top + 1 of its one-product buyers' candidates, which such a buyer reads
 * instead of a row of its own (see usercf_row). */
struct knn {
    int32_t n_rows;
    int64_t nnz;
    int64_t *ptr;
    int32_t *idx;
    float *sim;
    struct knn *shared;
    int32_t top;
};

void knn_free(struct knn *k);
/* Appends row `row` of a growing knn (ptr already allocated) from the best
 * `top` candidates of b (sorted by cand_finish); *cap is the room in idx and
 * sim. Returns -1 on allocation failure. */
int knn_append_row(struct knn *k, int32_t row, const struct cand_buf *b, int top, int64_t *cap);
/* Keeps the best k of c[0..n) (score descending, index ascending) in
 * c[0..k), sorted; returns how many were kept. */
size_t knn_select_top(struct cand *c, size_t n, size_t k);
/* Keeps the best k of c[0..n) in c[0..k) in no useful order but one: when
 * k were kept, c[0] is the worst of them. Returns how many were kept. */
size_t knn_keep_top(struct cand *c, size_t n, size_t k);
void knn_save(const struct knn *k, struct blob_writer *w);
/* Reads and validates neighbour lists for rows x cols (indexes < cols);
 * -1 when they are malformed. */
int knn_load(struct knn *k, int32_t rows, int32_t cols, struct blob_reader *r);
/* Threads for neighbour searches: online CPUs (max KNN_MAX_THREADS), or
 * RECSYS_THREADS. */
int knn_threads(void);

#endif
