/* Candidate buffers (see cand.h). */
#include "engine/cand.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

int cand_add(struct cand_buf *b, int32_t item, float score)
{
    /* the first growth makes room for 256: most lists are short */
    if (b->n == b->cap &&
        mem_grow((void **)&b->c, sizeof *b->c, b->n < 256 ? 256 : b->n + 1, &b->cap, CAND_MAX) < 0)
        return -1;
    b->c[b->n++] = (struct cand){item, score};
    return 0;
}

static int cmp_cand_item(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    return (x->item > y->item) - (x->item < y->item);
}

/* Sorts c[0..n) by item, keeping the order of equal items (so their scores
 * are summed in the order they were added, as before): LSD radix sort, one
 * pass per byte the largest item needs, or insertion sort when short. */
static void sort_by_item(struct cand *c, size_t n)
{
    int32_t max = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].item < 0) { /* never from the engine; a stable sort anyway */
            qsort(c, n, sizeof *c, cmp_cand_item);
            return;
        }
        if (c[i].item > max)
            max = c[i].item;
    }
    if (n <= 24) {
        for (size_t i = 1; i < n; i++) {
            struct cand x = c[i];
            size_t j = i;
            for (; j > 0 && c[j - 1].item > x.item; j--)
                c[j] = c[j - 1];
            c[j] = x;
        }
        return;
    }
    struct cand *tmp = malloc(n * sizeof *c);
    if (!tmp) {
        qsort(c, n, sizeof *c, cmp_cand_item);
        return;
    }
    struct cand *src = c, *dst = tmp;
    for (int shift = 0; shift < 32 && (max >> shift) > 0; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((uint32_t)src[i].item >> shift & 255) + 1]++;
        for (int k = 0; k < 256; k++)
            count[k + 1] += count[k];
        for (size_t i = 0; i < n; i++)
            dst[count[(uint32_t)src[i].item >> shift & 255]++] = src[i];
        struct cand *t = src;
        src = dst;
        dst = t;
    }
    if (src != c)
        memcpy(c, src, n * sizeof *c);
    free(tmp);
}

/* Sums the scores of equal items (first appearance order kept). */
static void merge(struct cand_buf *b)
{
    sort_by_item(b->c, b->n);
    size_t w = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (w && b->c[w - 1].item == b->c[i].item)
            b->c[w - 1].score += b->c[i].score;
        else
            b->c[w++] = b->c[i];
    }
    b->n = w;
}

/* x ranks before y: higher score, then lower item (a total order once the
 * items are unique, so every way of sorting gives the same list). */
static inline int better(const struct cand *x, const struct cand *y)
{
    return x->score > y->score || (x->score == y->score && x->item < y->item);
}

/* The unranked rest c[ranked..n) is a heap stored backwards: node h at
 * c[n - 1 - h], the best at c[n - 1]. Popping swaps it with the node at
 * c[ranked], which is exactly where it belongs. */
static void sift(struct cand *c, size_t n, size_t size, size_t h)
{
    struct cand *top = c + n - 1; /* node h is top[-h] */
    for (;;) {
        size_t l = 2 * h + 1, r = l + 1, w = h;
        if (l < size && better(&top[-(ptrdiff_t)l], &top[-(ptrdiff_t)w]))
            w = l;
        if (r < size && better(&top[-(ptrdiff_t)r], &top[-(ptrdiff_t)w]))
            w = r;
        if (w == h)
            return;
        struct cand t = top[-(ptrdiff_t)h];
        top[-(ptrdiff_t)h] = top[-(ptrdiff_t)w];
        top[-(ptrdiff_t)w] = t;
        h = w;
    }
}

void cand_rank(struct cand_buf *b)
{
    b->ranked = 0;
    if (!b->n)
        return;
    merge(b);
    for (size_t h = b->n / 2; h-- > 0;)
        sift(b->c, b->n, b->n, h);
}

const struct cand *cand_at(struct cand_buf *b, size_t i)
{
    while (b->ranked <= i && b->ranked < b->n) {
        size_t size = b->n - b->ranked;
        struct cand t = b->c[b->n - 1];
        b->c[b->n - 1] = b->c[b->ranked];
        b->c[b->ranked++] = t;
        if (size > 1)
            sift(b->c, b->n, size - 1, 0);
    }
    return &b->c[i];
}

void cand_finish(struct cand_buf *b)
{
    cand_rank(b);
    if (b->n)
        cand_at(b, b->n - 1);
}

void cand_free(struct cand_buf *b)
{
    free(b->c);
    memset(b, 0, sizeof *b);
}
