/* String set for ingest's foreign-key checks: see keyset.h. */
#include "engine/keyset.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_key(const char *s, size_t n) /* FNV-1a, then a final mix */
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 32);
}

void keyset_init(struct keyset *k)
{
    memset(k, 0, sizeof *k);
}

void keyset_free(struct keyset *k)
{
    free(k->slots);
    free(k->arena);
    keyset_init(k);
}

/* Slot index holding key, or the empty slot where it would go. */
static size_t find(const struct keyset *k, uint64_t h, const char *key, size_t len)
{
    size_t i = (size_t)h & k->mask;
    for (;;) {
        uint64_t s = k->slots[i];
        if (!s)
            return i;
        if ((s >> 32) == (h >> 32)) {
            const char *p = k->arena + (s & 0xFFFFFFFFu) - 1;
            if ((unsigned char)p[0] == len && memcmp(p + 1, key, len) == 0)
                return i;
        }
        i = (i + 1) & k->mask;
    }
}

static int grow(struct keyset *k)
{
    size_t ncap = k->mask ? (k->mask + 1) * 2 : 1024;
    uint64_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; k->mask && i <= k->mask; i++) {
        uint64_t s = k->slots[i];
        if (!s)
            continue;
        const char *p = k->arena + (s & 0xFFFFFFFFu) - 1;
        size_t j = (size_t)hash_key(p + 1, (unsigned char)p[0]) & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = s;
    }
    free(k->slots);
    k->slots = ns;
    k->mask = ncap - 1;
    return 0;
}

int keyset_add(struct keyset *k, const char *key, size_t len)
{
    if (len > KEYSET_MAX_KEY)
        return -1;
    if ((k->count + 1) * 2 > (k->mask ? k->mask + 1 : 0)) {
        if (k->count >= KEYSET_MAX_KEYS || grow(k) < 0)
            return -1;
    }
    uint64_t h = hash_key(key, len);
    size_t i = find(k, h, key, len);
    if (k->slots[i])
        return 0;
    if (k->used + len + 1 > k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 65536;
        while (ncap < k->used + len + 1)
            ncap *= 2;
        if (ncap > 0xFFFFFFF0u)
            return -1;
        char *na = realloc(k->arena, ncap);
        if (!na)
            return -1;
        k->arena = na;
        k->cap = ncap;
    }
    k->arena[k->used] = (char)(unsigned char)len;
    memcpy(k->arena + k->used + 1, key, len);
    k->slots[i] = (h >> 32 << 32) | (uint64_t)(k->used + 1);
    k->used += len + 1;
    k->count++;
    return 0;
}

int keyset_has(const struct keyset *k, const char *key, size_t len)
{
    if (!k->mask || len > KEYSET_MAX_KEY)
        return 0;
    uint64_t h = hash_key(key, len);
    return k->slots[find(k, h, key, len)] != 0;
}
