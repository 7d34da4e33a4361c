/* Candidate accumulation without a dense per-item array: (item, score) pairs
 * are appended, then merged by item (scores summed) and sorted by score,
 * descending, item ascending. Every algorithm scores through one of these. */
#ifndef RECSYS_ENGINE_CAND_H
#define RECSYS_ENGINE_CAND_H

#include <stddef.h>
#include <stdint.h>

#define CAND_MAX ((size_t)1 << 31) /* hard cap on pairs in one buffer */

struct cand {
    int32_t item;
    float score;
};

/* Zero-initialised is empty; free with cand_free. */
struct cand_buf {
    struct cand *c;
    size_t n, cap;
};

/* Appends one pair; -1 when out of memory or past CAND_MAX. */
int cand_add(struct cand_buf *b, int32_t item, float score);
/* Merges pairs of the same item and sorts them best first. */
void cand_finish(struct cand_buf *b);
void cand_free(struct cand_buf *b);

#endif
