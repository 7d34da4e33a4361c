/* Candidate accumulation without a dense per-item array: (item, score) pairs
 * are appended, then merged by item (scores summed) and ranked by score,
 * descending, item ascending. Every algorithm scores through one of these.
 * A request reads only the first few of hundreds of candidates, so ranking
 * is lazy (cand_rank, then cand_at): a heap built in O(n), popped as far as
 * the reader goes; the order is the same as a full sort's. */
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
    size_t ranked; /* after cand_rank: c[0..ranked) are the best, in order */
};

/* Appends one pair; -1 when out of memory or past CAND_MAX. */
int cand_add(struct cand_buf *b, int32_t item, float score);
/* Merges pairs of the same item and sorts them best first. */
void cand_finish(struct cand_buf *b);
/* Merges pairs of the same item (scores summed in the order added) and
 * prepares them for cand_at; c[] is in no useful order until then. */
void cand_rank(struct cand_buf *b);
/* The i-th best candidate (i < n) after cand_rank (or cand_finish): ranks
 * as many more as needed, O(log n) each. Pointers stay valid until the
 * next cand_at, cand_add or cand_rank on b. */
const struct cand *cand_at(struct cand_buf *b, size_t i);
void cand_free(struct cand_buf *b);

#endif
