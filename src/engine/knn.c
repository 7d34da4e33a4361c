/* Neighbour lists (see knn.h). */
#include "engine/knn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mem.h"

#define KNN_MAX_NNZ ((size_t)1 << 40) /* hard cap on stored neighbours */

void knn_free(struct knn *k)
{
    free(k->ptr);
    free(k->idx);
    free(k->sim);
    if (k->shared) {
        knn_free(k->shared);
        free(k->shared);
    }
    memset(k, 0, sizeof *k);
}

int knn_append_row(struct knn *k, int32_t row, const struct cand_buf *b, int top, int64_t *cap)
{
    int64_t take = (int64_t)b->n < top ? (int64_t)b->n : top;
    if (k->nnz + take > *cap) {
        /* both arrays grow alike; the first growth makes room for 1024 */
        size_t need = (size_t)(k->nnz + take < 1024 ? 1024 : k->nnz + take);
        size_t ci = (size_t)*cap, cs = (size_t)*cap;
        if (mem_grow((void **)&k->idx, sizeof *k->idx, need, &ci, KNN_MAX_NNZ) < 0 ||
            mem_grow((void **)&k->sim, sizeof *k->sim, need, &cs, KNN_MAX_NNZ) < 0)
            return -1;
        *cap = (int64_t)ci;
    }
    for (int64_t j = 0; j < take; j++) {
        k->idx[k->nnz] = b->c[j].item;
        k->sim[k->nnz++] = b->c[j].score;
    }
    k->ptr[row + 1] = k->nnz;
    return 0;
}

/* a ranks before b: higher score, then lower index (the cand_finish order) */
static int cand_better(const struct cand *a, const struct cand *b)
{
    return a->score > b->score || (a->score == b->score && a->item < b->item);
}

static void heap_sift(struct cand *h, size_t n, size_t i)
{
    for (;;) { /* worst (per cand_better) at the root */
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && cand_better(&h[w], &h[l]))
            w = l;
        if (r < n && cand_better(&h[w], &h[r]))
            w = r;
        if (w == i)
            return;
        struct cand t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

/* A bounded heap (worst at the root) over the candidates: O(n log k) with no
 * calls through a comparator. */
size_t knn_keep_top(struct cand *c, size_t n, size_t k)
{
    size_t m = n < k ? n : k;
    if (m == 0 || n < 2)
        return m;
    for (size_t i = m / 2; i-- > 0;)
        heap_sift(c, m, i);
    for (size_t i = m; i < n; i++)
        if (cand_better(&c[i], &c[0])) {
            c[0] = c[i];
            heap_sift(c, m, 0);
        }
    return m;
}

/* knn_keep_top, then heapsort of what it kept. */
size_t knn_select_top(struct cand *c, size_t n, size_t k)
{
    size_t m = knn_keep_top(c, n, k);
    if (m < 2)
        return m;
    for (size_t end = m - 1; end > 0; end--) { /* the worst goes last */
        struct cand t = c[0];
        c[0] = c[end];
        c[end] = t;
        heap_sift(c, end, 0);
    }
    return m;
}

void knn_save(const struct knn *k, struct blob_writer *w)
{
    bw_i64(w, k->n_rows);
    bw_array(w, k->ptr, sizeof *k->ptr, (int64_t)k->n_rows + 1);
    bw_array(w, k->idx, sizeof *k->idx, k->nnz);
    bw_array(w, k->sim, sizeof *k->sim, k->nnz);
}

int knn_load(struct knn *k, int32_t rows, int32_t cols, struct blob_reader *r)
{
    memset(k, 0, sizeof *k);
    if (br_i64(r) != rows)
        return -1;
    k->n_rows = rows;
    k->ptr = br_array(r, 8, (int64_t)rows + 1, 0, NULL);
    if (!k->ptr || k->ptr[0] != 0)
        return -1;
    for (int32_t i = 0; i < rows; i++)
        if (k->ptr[i + 1] < k->ptr[i])
            return -1;
    k->nnz = k->ptr[rows];
    k->idx = br_array(r, 4, k->nnz, 0, NULL);
    k->sim = br_array(r, 4, k->nnz, 0, NULL);
    if (k->nnz && (!k->idx || !k->sim))
        return -1;
    for (int64_t i = 0; i < k->nnz; i++)
        if (k->idx[i] < 0 || k->idx[i] >= cols || !isfinite(k->sim[i]))
            return -1;
    return 0;
}

/* Worker threads for the neighbour searches: the online CPUs, at most
 * KNN_MAX_THREADS (RECSYS_THREADS overrides, for benchmarks). */
int knn_threads(void)
{
    const char *env = getenv("RECSYS_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > KNN_MAX_THREADS ? KNN_MAX_THREADS : (int)n;
}
