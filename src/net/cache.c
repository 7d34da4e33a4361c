/* LRU + TTL cache: chained hash table plus a doubly linked recency list.
 * One allocation per entry holds the key and the value together. */
#include "net/cache.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *hnext;       /* hash chain */
    struct entry *prev, *next; /* recency list, head = most recent */
    uint64_t hash;
    uint32_t gen; /* the cache's generation when stored: older ones are stale */
    double expires;
    size_t klen, vlen;
    char data[]; /* key NUL value NUL */
};

struct cache {
    struct entry **buckets;
    size_t nbuckets, size, capacity;
    size_t bytes, max_bytes;
    double ttl;
    struct entry *head, *tail;
    uint32_t gen; /* cache_invalidate's count */
    struct cache_stats st;
};

_Static_assert(sizeof(struct entry) + 2 + 16 <= CACHE_ENTRY_OVERHEAD,
               "CACHE_ENTRY_OVERHEAD covers an entry's fixed cost");

static uint64_t hash_key(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* What an entry counts against max_bytes: its allocation (struct, key, value,
 * two NULs) plus room for malloc's own header. */
static size_t entry_cost(size_t klen, size_t vlen)
{
    return CACHE_ENTRY_OVERHEAD + klen + vlen;
}

struct cache *cache_new(size_t capacity, size_t max_bytes, double ttl_s)
{
    struct cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->capacity = capacity;
    c->max_bytes = max_bytes;
    c->ttl = ttl_s;
    c->nbuckets = 16;
    while (c->nbuckets < capacity)
        c->nbuckets *= 2;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    return c;
}

static void list_unlink(struct cache *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push_front(struct cache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static struct entry **find_slot(struct cache *c, const char *key, size_t klen, uint64_t h)
{
    struct entry **pp = &c->buckets[h & (c->nbuckets - 1)];
    while (*pp && !((*pp)->hash == h && (*pp)->klen == klen && !memcmp((*pp)->data, key, klen)))
        pp = &(*pp)->hnext;
    return pp;
}

static void remove_entry(struct cache *c, struct entry **slot)
{
    struct entry *e = *slot;
    *slot = e->hnext;
    list_unlink(c, e);
    c->bytes -= entry_cost(e->klen, e->vlen);
    free(e);
    c->size--;
}

const char *cache_get(struct cache *c, const char *key, double now, size_t *len)
{
    size_t klen = strlen(key);
    uint64_t h = hash_key(key, klen);
    struct entry **slot = find_slot(c, key, klen, h);
    if (!*slot) {
        c->st.misses++;
        return NULL;
    }
    if ((*slot)->expires <= now || (*slot)->gen != c->gen) { /* expired or invalidated */
        remove_entry(c, slot);
        c->st.misses++;
        return NULL;
    }
    struct entry *e = *slot;
    if (c->head != e) {
        list_unlink(c, e);
        list_push_front(c, e);
    }
    c->st.hits++;
    if (len)
        *len = e->vlen;
    return e->data + e->klen + 1;
}

int cache_put(struct cache *c, const char *key, const char *val, size_t len, double now)
{
    size_t klen = strlen(key);
    if (klen >= CACHE_KEY_MAX)
        return -1;
    size_t cost = entry_cost(klen, len);
    uint64_t h = hash_key(key, klen);
    struct entry **slot = find_slot(c, key, klen, h);
    if (*slot) /* the old value is stale whether or not the new one fits */
        remove_entry(c, slot);
    if (c->capacity == 0 || cost > c->max_bytes)
        return 0;
    while ((c->size >= c->capacity || c->bytes + cost > c->max_bytes) && c->tail) {
        struct entry *t = c->tail;
        remove_entry(c, find_slot(c, t->data, t->klen, t->hash));
        c->st.evictions++;
    }
    struct entry *e = malloc(sizeof *e + klen + len + 2);
    if (!e)
        return -1;
    e->hash = h;
    e->gen = c->gen;
    e->klen = klen;
    e->vlen = len;
    e->expires = now + c->ttl;
    memcpy(e->data, key, klen + 1);
    memcpy(e->data + klen + 1, val, len);
    e->data[klen + 1 + len] = '\0';
    slot = find_slot(c, key, klen, h); /* evictions may have changed the chain */
    e->hnext = *slot;
    *slot = e;
    list_push_front(c, e);
    c->size++;
    c->bytes += cost;
    return 0;
}

void cache_clear(struct cache *c)
{
    struct entry *e = c->head;
    while (e) {
        struct entry *n = e->next;
        free(e);
        e = n;
    }
    memset(c->buckets, 0, c->nbuckets * sizeof *c->buckets);
    c->head = c->tail = NULL;
    c->size = 0;
    c->bytes = 0;
    c->st.invalidations++;
}

void cache_invalidate(struct cache *c)
{
    c->gen++;
    c->st.invalidations++;
}

size_t cache_drop_matching(struct cache *c, int (*match)(void *ctx, const char *key, size_t klen),
                           void *ctx)
{
    size_t n = 0;
    struct entry *e = c->head;
    while (e) {
        struct entry *next = e->next;
        if (match(ctx, e->data, e->klen)) {
            remove_entry(c, find_slot(c, e->data, e->klen, e->hash));
            n++;
        }
        e = next;
    }
    if (n)
        c->st.invalidations++;
    return n;
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    cache_clear(c);
    free(c->buckets);
    free(c);
}

void cache_get_stats(const struct cache *c, struct cache_stats *st)
{
    *st = c->st;
    st->size = c->size;
    st->capacity = c->capacity;
    st->bytes = c->bytes;
    st->max_bytes = c->max_bytes;
}
