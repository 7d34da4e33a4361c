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

static int cmp_cand_score(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

void cand_finish(struct cand_buf *b)
{
    if (!b->n)
        return;
    qsort(b->c, b->n, sizeof *b->c, cmp_cand_item);
    size_t w = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (w && b->c[w - 1].item == b->c[i].item)
            b->c[w - 1].score += b->c[i].score;
        else
            b->c[w++] = b->c[i];
    }
    b->n = w;
    qsort(b->c, b->n, sizeof *b->c, cmp_cand_score);
}

void cand_free(struct cand_buf *b)
{
    free(b->c);
    memset(b, 0, sizeof *b);
}
