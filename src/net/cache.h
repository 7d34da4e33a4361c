/* Per-region LRU cache of rendered responses with a time-to-live, bounded
 * both in entries and in bytes (each entry costs its key, its value and
 * CACHE_ENTRY_OVERHEAD).
 * Not thread-safe: each region owns one and uses it under its own lock.
 * Times are passed in (seconds on any monotonic clock) so tests control them. */
#ifndef RECSYS_NET_CACHE_H
#define RECSYS_NET_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_KEY_MAX        128
#define CACHE_ENTRY_OVERHEAD 96 /* bytes counted per entry besides key and value */

struct cache;

struct cache_stats {
    size_t size, capacity;
    size_t bytes, max_bytes; /* held now (keys, values, overhead); the bound */
    uint64_t hits, misses, evictions, invalidations;
};

/* At most capacity entries and max_bytes bytes; either 0 gives a cache that
 * stores nothing and always misses. NULL on OOM. */
struct cache *cache_new(size_t capacity, size_t max_bytes, double ttl_s);
void cache_free(struct cache *c);
/* The value stored under key if present and fresh at `now` (the entry becomes
 * most recently used), else NULL (a miss; expired entries are dropped). The
 * pointer stays valid until the next cache_put/cache_clear/cache_free. */
const char *cache_get(struct cache *c, const char *key, double now, size_t *len);
/* Stores a copy of val (replacing any entry under key), evicting least
 * recently used entries until both bounds hold. A value that alone is over
 * max_bytes is not stored (0: caching is only an optimisation). 0, or -1
 * when the key is too long or OOM. */
int cache_put(struct cache *c, const char *key, const char *val, size_t len, double now);
/* Drops every entry; counters survive. */
void cache_clear(struct cache *c);
/* Makes every entry stored so far stale, in O(1) (a model swap, on the
 * region's loop: freeing thousands of entries there stalled it): each is
 * dropped when next looked up, or evicted first as the least recently used.
 * Until then they still count in size and bytes, so both bounds hold. */
void cache_invalidate(struct cache *c);
/* Drops every entry whose key match(ctx, key, klen) says 1 (a user's
 * answers, after their purchase); counts one invalidation when any went.
 * Returns how many were dropped. One walk over the entries. */
size_t cache_drop_matching(struct cache *c, int (*match)(void *ctx, const char *key, size_t klen),
                           void *ctx);
void cache_get_stats(const struct cache *c, struct cache_stats *st);

#endif
