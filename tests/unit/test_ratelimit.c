/* Token bucket with simulated time. */
#include "net/ratelimit.h"
#include "test.h"

static void addr(unsigned char a[16], int n)
{
    memset(a, 0, 16);
    a[10] = a[11] = 0xff;
    a[12] = 10;
    a[14] = (unsigned char)(n >> 8);
    a[15] = (unsigned char)n;
}

static void test_burst_then_refill(void)
{
    struct ratelimit *r = ratelimit_new(2, 5); /* 2/s, depth 5 */
    unsigned char a[16];
    addr(a, 1);
    for (int i = 0; i < 5; i++)
        CHECK_INT(ratelimit_take(r, a, 100.0), 0);
    int wait = ratelimit_take(r, a, 100.0);
    CHECK_INT(wait, 1); /* 1 token at 2/s: 0.5 s, rounded up to whole seconds */
    CHECK_INT(ratelimit_take(r, a, 100.6), 0); /* refilled 1.2 tokens */
    CHECK(ratelimit_take(r, a, 100.6) > 0);
    CHECK_INT(ratelimit_take(r, a, 200), 0); /* long pause: full again, capped */
    for (int i = 0; i < 4; i++)
        CHECK_INT(ratelimit_take(r, a, 200), 0);
    CHECK(ratelimit_take(r, a, 200) > 0);
    ratelimit_free(r);
}

/* (1 - tokens) / 1e-300 is far beyond int: the wait is clamped, not cast. */
static void test_tiny_rate_wait_is_clamped(void)
{
    struct ratelimit *r = ratelimit_new(1e-300, 1);
    unsigned char a[16];
    addr(a, 7);
    CHECK_INT(ratelimit_take(r, a, 10.0), 0);
    CHECK_INT(ratelimit_take(r, a, 10.0), RATELIMIT_WAIT_MAX);
    ratelimit_free(r);
}

static void test_clients_independent(void)
{
    struct ratelimit *r = ratelimit_new(0.1, 1);
    unsigned char a[16], b[16];
    addr(a, 1);
    addr(b, 2);
    CHECK_INT(ratelimit_take(r, a, 0), 0);
    CHECK_INT(ratelimit_take(r, a, 0), 10); /* 0.1/s: 10 s */
    CHECK_INT(ratelimit_take(r, b, 0), 0);
    ratelimit_free(r);
}

static void test_disabled_and_many_clients(void)
{
    struct ratelimit *r = ratelimit_new(0, 1);
    unsigned char a[16];
    addr(a, 1);
    for (int i = 0; i < 1000; i++)
        CHECK_INT(ratelimit_take(r, a, 0), 0);
    ratelimit_free(r);
    /* more clients than slots: bounded memory, every new client admitted */
    r = ratelimit_new(1, 1);
    int denied = 0;
    for (int i = 0; i < 3 * RATELIMIT_SLOTS; i++) {
        addr(a, i);
        denied += ratelimit_take(r, a, i * 0.001) != 0;
    }
    CHECK_INT(denied, 0);
    ratelimit_free(r);
}

int main(void)
{
    RUN(test_burst_then_refill);
    RUN(test_tiny_rate_wait_is_clamped);
    RUN(test_clients_independent);
    RUN(test_disabled_and_many_clients);
    return TEST_SUMMARY();
}
