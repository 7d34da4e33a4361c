/* LRU + TTL cache with simulated time. */
#include "net/cache.h"
#include "test.h"

static void test_hit_miss(void)
{
    struct cache *c = cache_new(4, 10);
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
    struct cache *c = cache_new(4, 10);
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
    struct cache *c = cache_new(3, 1000);
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
    struct cache *c = cache_new(100, 1000);
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

static void test_clear_and_disabled(void)
{
    struct cache *c = cache_new(8, 1000);
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
    c = cache_new(0, 1000);
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
    RUN(test_clear_and_disabled);
    return TEST_SUMMARY();
}
