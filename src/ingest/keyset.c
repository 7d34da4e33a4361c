/* String set for ingest's foreign-key checks: see keyset.h. */
#include "ingest/keyset.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

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
    free(k->hex);
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

/* 32 lowercase hex digits -> 128 bits in w[2]; 0 for any other key, and for
 * the all-zero id (0,0 marks an empty slot, so that one takes the arena). */
static int hex_id(const char *key, size_t len, uint64_t w[2])
{
    if (len != 32)
        return 0;
    for (int h = 0; h < 2; h++) {
        uint64_t v = 0;
        for (int i = 0; i < 16; i++) {
            unsigned char ch = (unsigned char)key[h * 16 + i];
            unsigned d = ch >= '0' && ch <= '9'   ? ch - '0'
                         : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                                  : 16;
            if (d > 15)
                return 0;
            v = v << 4 | d;
        }
        w[h] = v;
    }
    return (w[0] | w[1]) != 0;
}

static size_t hex_home(const uint64_t w[2], size_t mask)
{
    uint64_t h = (w[0] ^ (w[1] * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL;
    return (size_t)(h >> 32 ^ h) & mask;
}

/* Slot index holding w, or the empty slot where it would go. */
static size_t hex_find(const uint64_t *t, size_t mask, const uint64_t w[2])
{
    size_t i = hex_home(w, mask);
    while ((t[2 * i] | t[2 * i + 1]) && (t[2 * i] != w[0] || t[2 * i + 1] != w[1]))
        i = (i + 1) & mask;
    return i;
}

static int hex_add(struct keyset *k, const uint64_t w[2])
{
    if ((k->hex_count + 1) * 2 > (k->hex ? k->hex_mask + 1 : 0)) {
        size_t ncap = k->hex ? (k->hex_mask + 1) * 2 : 1024;
        if (k->hex_count >= KEYSET_MAX_KEYS)
            return -1;
        uint64_t *nt = calloc(ncap, 2 * sizeof *nt);
        if (!nt)
            return -1;
        for (size_t i = 0; k->hex && i <= k->hex_mask; i++) {
            if (!(k->hex[2 * i] | k->hex[2 * i + 1]))
                continue;
            size_t j = hex_find(nt, ncap - 1, &k->hex[2 * i]);
            nt[2 * j] = k->hex[2 * i];
            nt[2 * j + 1] = k->hex[2 * i + 1];
        }
        free(k->hex);
        k->hex = nt;
        k->hex_mask = ncap - 1;
    }
    size_t i = hex_find(k->hex, k->hex_mask, w);
    if (!(k->hex[2 * i] | k->hex[2 * i + 1])) {
        k->hex[2 * i] = w[0];
        k->hex[2 * i + 1] = w[1];
        k->hex_count++;
    }
    return 0;
}

int keyset_add(struct keyset *k, const char *key, size_t len)
{
    uint64_t w[2];
    if (hex_id(key, len, w))
        return hex_add(k, w);
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
    size_t need = k->used + len + 1;
    /* offsets + 1 must fit the slot's low 32 bits */
    if (need > k->cap &&
        mem_grow((void **)&k->arena, 1, need < 65536 ? 65536 : need, &k->cap, 0xFFFFFFF0u) < 0)
        return -1;
    k->arena[k->used] = (char)(unsigned char)len;
    memcpy(k->arena + k->used + 1, key, len);
    k->slots[i] = (h >> 32 << 32) | (uint64_t)(k->used + 1);
    k->used += len + 1;
    k->count++;
    return 0;
}

int keyset_has(const struct keyset *k, const char *key, size_t len)
{
    uint64_t w[2];
    if (hex_id(key, len, w)) {
        if (!k->hex)
            return 0;
        size_t i = hex_find(k->hex, k->hex_mask, w);
        return (k->hex[2 * i] | k->hex[2 * i + 1]) != 0;
    }
    if (!k->mask || len > KEYSET_MAX_KEY)
        return 0;
    uint64_t h = hash_key(key, len);
    return k->slots[find(k, h, key, len)] != 0;
}
