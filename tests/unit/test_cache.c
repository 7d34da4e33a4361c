/* LRU + TTL cache with simulated time. */
#include "net/cache.h"
#include "test.h"

#include <stdlib.h>

static void test_hit_miss(void)
{
    struct cache *c = cache_new(4, 1 << 20, 10);
    size_t len = 0;
    CHECK(cache_get(c, "a", 0, &len) == NULL);
    CHECK_INT(cache_put(c, "a", "alpha", 5, 0), 0);
    const char *v = cache_get(c, "a", 1, &len);
    CHECK(v && len == 5 && !memcmp(v, "alpha", 5));
    CHECK_INT(cache_put(c, "a", "ALPHA!", 6, 1), 0); /* replace */
    v = cache_get(c, "a", 2, &len);
    CHECK(v && len == 6 && !memcmp(v, "ALPHA!", 6));
    struct cache_stats st;
    cache_get_stats(c, &st);
    CHECK_INT(st.hits, 2);
    CHECK_INT(st.misses, 1);
    CHECK_INT(st.size, 1);
    cache_free(c);
}

static void test_ttl(void)
{
    struct cache *c = cache_new(4, 1 << 20, 10);
    cache_put(c, "k", "v", 1, 100);
    CHECK(cache_get(c, "k", 109.9, NULL) != NULL);
    CHECK(cache_get(c, "k", 110.0, NULL) == NULL); /* expired: dropped */
    struct cache_stats st;
    cache_get_stats(c, &st);
    CHECK_INT(st.size, 0);
    cache_free(c);
}

static void test_lru_eviction(void)
{
    struct cache *c = cache_new(3, 1 << 20, 1000);
    cache_put(c, "a", "1", 1, 0);
    cache_put(c, "b", "2", 1, 0);
    cache_put(c, "c", "3", 1, 0);
    CHECK(cache_get(c, "a", 1, NULL) != NULL); /* a is now most recent; b is oldest */
    cache_put(c, "d", "4", 1, 2);
    CHECK(cache_get(c, "b", 3, NULL) == NULL);
    CHECK(cache_get(c, "a", 3, NULL) != NULL);
    CHECK(cache_get(c, "c", 3, NULL) != NULL);
    CHECK(cache_get(c, "d", 3, NULL) != NULL);
    struct cache_stats st;
    cache_get_stats(c, &st);
    CHECK_INT(st.size, 3);
    CHECK_INT(st.evictions, 1);
    cache_free(c);
}

static void test_many_keys(void)
{
    struct cache *c = cache_new(100, 1 << 20, 1000);
    char k[32], v[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        snprintf(v, sizeof v, "val%d", i);
        cache_put(c, k, v, strlen(v), i);
    }
    int present = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "key%d", i);
        size_t len;
        const char *got = cache_get(c, k, 1000, &len);
        if (got) {
            present++;
            snprintf(v, sizeof v, "val%d", i);
            CHECK(i >= 900 && len == strlen(v) && !memcmp(got, v, len));
        }
    }
    CHECK_INT(present, 100);
    cache_free(c);
}

/* A model swap invalidates in O(1): nothing stored before is served again,
 * stale entries go first when room is needed, new ones are served. */
static void test_invalidate(void)
{
    struct cache *c = cache_new(3, 1 << 20, 1000);
    struct cache_stats st;
    size_t len;
    cache_put(c, "a", "1", 1, 0);
    cache_put(c, "b", "2", 1, 0);
    cache_invalidate(c);
    cache_get_stats(c, &st);
    CHECK_INT(st.invalidations, 1);
    CHECK_INT(st.size, 2); /* not freed yet: they still count */
    CHECK(cache_get(c, "a", 1, NULL) == NULL); /* dropped when met */
    cache_get_stats(c, &st);
    CHECK_INT(st.size, 1);
    cache_put(c, "c", "3", 1, 1);
    cache_put(c, "d", "4", 1, 1);
    cache_put(c, "e", "5", 1, 1); /* full: the stale "b" is the one evicted */
    CHECK(cache_get(c, "b", 1, NULL) == NULL);
    const char *v = cache_get(c, "c", 1, &len);
    CHECK(v && len == 1 && v[0] == '3');
    CHECK(cache_get(c, "e", 1, NULL) != NULL);
    cache_put(c, "b", "6", 1, 2); /* a key stored again after the swap is fresh */
    v = cache_get(c, "b", 2, &len);
    CHECK(v && v[0] == '6');
    cache_free(c);
}

static void test_clear_and_disabled(void)
{
    struct cache *c = cache_new(8, 1 << 20, 1000);
    cache_put(c, "x", "1", 1, 0);
    cache_clear(c);
    CHECK(cache_get(c, "x", 1, NULL) == NULL);
    struct cache_stats st;
    cache_get_stats(c, &st);
    CHECK_INT(st.invalidations, 1);
    CHECK_INT(st.size, 0);
    char big[CACHE_KEY_MAX + 1];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(cache_put(c, big, "v", 1, 0), -1);
    cache_free(c);
    c = cache_new(0, 1 << 20, 1000);
    CHECK_INT(cache_put(c, "x", "1", 1, 0), 0);
    CHECK(cache_get(c, "x", 0, NULL) == NULL);
    cache_free(c);
}

/* cache_bytes: large values evict by bytes long before the entry count is
 * reached, and the byte count always stays within the bound. */
static void test_byte_bound(void)
{
    const size_t one = CACHE_ENTRY_OVERHEAD + 2 + 1000; /* key "kN" (2) + 1000-byte value */
    struct cache *c = cache_new(1000, 3 * one, 1000);
    char val[1000], k[16];
    memset(val, 'v', sizeof val);
    struct cache_stats st;
    for (int i = 0; i < 9; i++) {
        snprintf(k, sizeof k, "k%d", i);
        CHECK_INT(cache_put(c, k, val, sizeof val, i), 0);
        cache_get_stats(c, &st);
        CHECK(st.bytes <= st.max_bytes);
        CHECK_INT(st.size, i < 3 ? i + 1 : 3);
    }
    CHECK_INT(st.bytes, 3 * one);
    CHECK_INT(st.evictions, 6);
    CHECK(cache_get(c, "k8", 10, NULL) && cache_get(c, "k6", 10, NULL)); /* the newest stay */
    CHECK(cache_get(c, "k5", 10, NULL) == NULL);
    /* Recency decides: k6 was used last, so a new entry pushes out k7. */
    CHECK(cache_get(c, "k6", 11, NULL) != NULL);
    cache_put(c, "k9", val, sizeof val, 12);
    CHECK(cache_get(c, "k7", 13, NULL) == NULL);
    CHECK(cache_get(c, "k6", 13, NULL) != NULL);
    /* One small value replacing a big one gives its bytes back. */
    cache_put(c, "k6", "s", 1, 14);
    cache_get_stats(c, &st);
    CHECK_INT(st.bytes, 2 * one + CACHE_ENTRY_OVERHEAD + 2 + 1);
    /* A value bigger than the whole bound is not stored, and drops the old one. */
    char *huge = malloc(4 * one);
    memset(huge, 'h', 4 * one);
    CHECK_INT(cache_put(c, "k9", huge, 4 * one, 15), 0);
    CHECK(cache_get(c, "k9", 15, NULL) == NULL);
    cache_get_stats(c, &st);
    CHECK_INT(st.size, 2);
    CHECK_INT(st.max_bytes, 3 * one);
    free(huge);
    /* Expiry and clear give the bytes back too. */
    cache_clear(c);
    cache_get_stats(c, &st);
    CHECK_INT(st.bytes, 0);
    cache_put(c, "t", "x", 1, 0);
    CHECK(cache_get(c, "t", 5000, NULL) == NULL);
    cache_get_stats(c, &st);
    CHECK_INT(st.bytes, 0);
    cache_free(c);
    c = cache_new(10, 0, 1000); /* cache_bytes = 0 disables the cache */
    CHECK_INT(cache_put(c, "x", "1", 1, 0), 0);
    CHECK(cache_get(c, "x", 0, NULL) == NULL);
    cache_free(c);
}

int main(void)
{
    RUN(test_hit_miss);
    RUN(test_ttl);
    RUN(test_lru_eviction);
    RUN(test_many_keys);
    RUN(test_invalidate);
    RUN(test_clear_and_disabled);
    RUN(test_byte_bound);
    return TEST_SUMMARY();
}
