/* A set of short strings (Olist ids) for referential checks during ingest.
 * Olist ids are 32 lowercase hex digits: those are stored inline as 128-bit
 * values, so a lookup touches one cache line (the table is too big for the
 * cache, and the misses were what a lookup cost). Any other key goes to a
 * second table over an arena of length-prefixed bytes. Hard maximum:
 * KEYSET_MAX_KEYS keys in each table. */
#ifndef RECSYS_INGEST_KEYSET_H
#define RECSYS_INGEST_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#define KEYSET_MAX_KEYS (1u << 24)
#define KEYSET_MAX_KEY  255

struct keyset {
    uint64_t *hex; /* 2 words per slot: the id's 128 bits; 0,0 = empty */
    size_t hex_mask, hex_count;
    uint64_t *slots; /* 0 = empty, else (hash high 32 bits << 32) | (offset + 1) */
    size_t mask;     /* capacity - 1 */
    size_t count;
    char *arena; /* length-prefixed keys */
    size_t used, cap;
};

void keyset_init(struct keyset *k);
void keyset_free(struct keyset *k);
/* Adds key (len bytes, <= KEYSET_MAX_KEY). 0 added or already there,
 * -1 out of memory or over the limits. */
int keyset_add(struct keyset *k, const char *key, size_t len);
int keyset_has(const struct keyset *k, const char *key, size_t len);

#endif
