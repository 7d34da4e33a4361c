/* Integer-keyed open addressing for 32-hex ids parsed into 128-bit keys
 * (struct ds_key): the hash the dataset loader joins its tables through.
 * A slot holds the key and the value the caller wants (a person index, an
 * item index, an order's person and day), so a lookup costs one cache miss:
 * probes that went on to the caller's rows were most of the load time.
 * Header-only: the lookups are in the loader's per-row loops, where a call
 * across files would cost more than the probe. */
#ifndef RECSYS_ENGINE_KHASH_H
#define RECSYS_ENGINE_KHASH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/dataset.h"
#include "util/mem.h"

struct kslot {
    struct ds_key k;
    int64_t val; /* -1 empty */
};
struct khash {
    uint32_t cap; /* any size: a hash maps to a slot by multiply-shift */
    struct kslot *slot;
};

static inline int khash_key_cmp(const struct ds_key *a, const struct ds_key *b)
{
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    return (a->lo > b->lo) - (a->lo < b->lo);
}

static inline uint32_t khash_home(const struct khash *h, const struct ds_key *k)
{
    uint64_t x = (k->hi ^ (k->lo * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
    return (uint32_t)(((uint64_t)(uint32_t)(x >> 32) * h->cap) >> 32);
}

/* An empty table for up to n keys, at most 60% full: sized to n rather than
 * to the next power of two, so memory grows linearly with the data (a
 * power of two could be 3.4 times n, the peak of a 100x load). -1 on OOM. */
static inline int khash_init(struct khash *h, size_t n)
{
    size_t want = n / 3 * 5 + 16;
    uint32_t cap = want < (1u << 31) ? (uint32_t)want : 1u << 31;
    h->cap = cap;
    h->slot = mem_big_alloc((size_t)cap * sizeof *h->slot);
    if (!h->slot)
        return -1;
    for (uint32_t i = 0; i < cap; i++)
        h->slot[i].val = -1;
    return 0;
}

/* Adds key -> val (val >= 0) unless the key is present: the first wins. */
static inline void khash_put(struct khash *h, const struct ds_key *k, int64_t val)
{
    uint32_t i = khash_home(h, k);
    while (h->slot[i].val >= 0 && khash_key_cmp(&h->slot[i].k, k))
        i = i + 1 == h->cap ? 0 : i + 1;
    if (h->slot[i].val < 0)
        h->slot[i] = (struct kslot){*k, val};
}

/* The value of k, or -1 when absent. */
static inline int64_t khash_find(const struct khash *h, const struct ds_key *k)
{
    for (uint32_t i = khash_home(h, k);; i = i + 1 == h->cap ? 0 : i + 1) {
        const struct kslot *s = &h->slot[i];
        if (s->val < 0 || (s->k.hi == k->hi && s->k.lo == k->lo))
            return s->val;
    }
}

static inline void khash_prefetch(const struct khash *h, const struct ds_key *k)
{
    __builtin_prefetch(&h->slot[khash_home(h, k)]);
}

#endif
