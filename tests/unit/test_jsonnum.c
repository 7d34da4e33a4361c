/* net/jsonnum.c: every formatter gives exactly the bytes of the printf
 * format (or the cJSON printer) it replaces, on a table of edge cases and on
 * a few hundred thousand random doubles of every magnitude and shape
 * (prices in cents, ratings, similarity scores, ties, powers of ten). */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "net/jsonnum.h"
#include "test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A double of one of several shapes, both signs. */
static double sample(void)
{
    uint64_t r = next();
    double u = (double)(next() >> 11) / 9007199254740992.0, v;
    switch (r % 9) {
    case 0: /* prices: cents */
        v = (double)(next() % 1000000) / 100.0;
        break;
    case 1: /* ratings: a mean of a few integers */
        v = (double)(next() % 500) / (double)(1 + next() % 97);
        break;
    case 2: /* any magnitude */
        v = ldexp(u + 0.5, (int)(next() % 140) - 70);
        break;
    case 3: /* exact ties at some decimal */
        v = (double)(next() % 100000) / 8.0 + 0.0625 * (double)(next() % 3);
        break;
    case 4: /* powers of ten and their neighbours */
        v = pow(10, (int)(next() % 30) - 12);
        v = nextafter(v, (next() & 1) ? 0 : INFINITY);
        break;
    case 5: /* floats widened (scores are float) */
        v = (double)(float)(u * pow(10, (int)(next() % 12) - 4));
        break;
    case 6: /* integers, some beyond int */
        v = (double)(int64_t)(next() % 10000000000ull) * ((next() & 1) ? 1 : 1000);
        break;
    case 7: /* random bit patterns (finite) */
        do {
            uint64_t bits = next();
            memcpy(&v, &bits, sizeof v);
        } while (!isfinite(v));
        break;
    default: /* values that round to a carry: 9.9999995, 0.0009999995 ... */
        v = (1.0 - pow(10, -(int)(next() % 17) - 1)) * pow(10, (int)(next() % 20) - 8);
        break;
    }
    return (r >> 32) & 1 ? -v : v;
}

static int same(const struct sbuf *b, const char *want, double v, const char *what)
{
    if (b->overflow || strcmp(b->p, want) != 0) {
        printf("#   %s(%.17g [%a]) = \"%s\", expected \"%s\"\n", what, v, v, b->p, want);
        return 0;
    }
    return 1;
}

/* fmt through snprintf versus jsonnum for one value; 1 when equal. */
static int check_one(struct sbuf *b, double v)
{
    char want[512];
    int ok = 1;
    static const char *fixed[] = {"%.0f", "%.1f", "%.2f", "%.3f", "%.4f"};
    for (int d = 0; d <= 4; d++) {
        snprintf(want, sizeof want, fixed[d], v);
        sbuf_reset(b);
        jsonnum_fixed(b, v, d);
        ok &= same(b, want, v, fixed[d]);
    }
    snprintf(want, sizeof want, "%.6g", v);
    sbuf_reset(b);
    jsonnum_g6(b, v);
    ok &= same(b, want, v, "%.6g");
    cJSON *n = cJSON_CreateNumber(v);
    char *s = cJSON_PrintUnformatted(n);
    sbuf_reset(b);
    jsonnum_cjson(b, v);
    ok &= same(b, s ? s : "", v, "cjson");
    free(s);
    cJSON_Delete(n);
    return ok;
}

static void test_jsonnum_edges(void)
{
    static const double v[] = {0.0,  -0.0,       0.5,      1.5,      2.5,     0.125,   0.375,
                               1e-7, -1e-7,      1e-6,     9.9999995, 99.995, 89.9,    4.2,
                               0.83, 1e-5,       123456.5, 999999.5, 1e15,    1e16,    1e22,
                               3e38, DBL_MAX,    DBL_MIN,  5e-324,   INT_MAX, INT_MIN, 2147483647.5,
                               -2147483648.5, 0.1, 0.2,   0.3,      71.3641366223915,
                               3.5806451612903225, 0.018227064982056618, 56.666667938232422};
    struct sbuf b;
    sbuf_init(&b, 1 << 12);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        CHECK(check_one(&b, v[i]));
    sbuf_reset(&b);
    jsonnum_cjson(&b, NAN);
    CHECK_STR(b.p, "null");
    sbuf_reset(&b);
    jsonnum_cjson(&b, -INFINITY);
    CHECK_STR(b.p, "null");
    static const long long ints[] = {0, 7, -7, 10, 99, 100, LLONG_MAX, LLONG_MIN, 1234567890123LL};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char want[32];
        snprintf(want, sizeof want, "%lld", ints[i]);
        sbuf_reset(&b);
        jsonnum_int(&b, ints[i]);
        CHECK_STR(b.p, want);
    }
    sbuf_free(&b);
}

static void test_jsonnum_random(void)
{
    struct sbuf b;
    int bad = 0;
    sbuf_init(&b, 1 << 12);
    for (int i = 0; i < 200000 && bad < 10; i++)
        bad += !check_one(&b, sample());
    CHECK_INT(bad, 0);
    sbuf_free(&b);
}

/* Strings as cJSON escapes them (short escapes for \b \f \n \r \t). */
static void test_jsonnum_strings(void)
{
    static const char *s[] = {"", "plain", "q\"b\\s", "\b\f\n\r\t", "\x01\x1f\x7f",
                              "a\xc3\xa7\xc3\xa3o /slash"};
    struct sbuf b;
    sbuf_init(&b, 1 << 12);
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        cJSON *j = cJSON_CreateString(s[i]);
        char *want = cJSON_PrintUnformatted(j);
        sbuf_reset(&b);
        jsonnum_cjson_str(&b, s[i]);
        CHECK_STR(b.p, want);
        free(want);
        cJSON_Delete(j);
    }
    sbuf_free(&b);
}

int main(void)
{
    RUN(test_jsonnum_edges);
    RUN(test_jsonnum_random);
    RUN(test_jsonnum_strings);
    return TEST_SUMMARY();
}
