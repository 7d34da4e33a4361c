/* The bounded byte buffer: appends, formatting past the stack buffer,
 * growth across the first allocation, the hard maximum (sticky overflow
 * until reset), and JSON string escaping as a table. */
#include "util/sbuf.h"
#include "test.h"

#include <stdlib.h>

static void test_append_and_format(void)
{
    struct sbuf b;
    sbuf_init(&b, 64);
    CHECK(b.p == NULL); /* nothing allocated before the first append */
    sbuf_puts(&b, "abc");
    sbuf_printf(&b, "%d", 42);
    sbuf_append(&b, "xyz", 2);
    CHECK_STR(b.p, "abc42xy");
    CHECK_INT(b.len, 7);
    sbuf_reset(&b);
    CHECK_INT(b.len, 0);
    sbuf_puts(&b, "");
    CHECK_STR(b.p, "");
    sbuf_free(&b);
    CHECK(b.p == NULL);
}

/* A printf longer than the 256-byte stack buffer is formatted in place. */
static void test_long_printf(void)
{
    struct sbuf b;
    char big[1001];
    memset(big, 'q', 1000);
    big[1000] = '\0';
    sbuf_init(&b, 1 << 20);
    sbuf_puts(&b, "<");
    sbuf_printf(&b, "%s|%d", big, 7);
    CHECK_INT(b.len, 1 + 1000 + 2);
    CHECK(b.p[0] == '<' && b.p[1] == 'q' && b.p[1000] == 'q');
    CHECK_STR(b.p + 1001, "|7");
    sbuf_free(&b);
}

/* Growth keeps every byte across reallocations and never passes max. */
static void test_growth(void)
{
    struct sbuf b;
    sbuf_init(&b, 100000);
    for (int i = 0; i < 9000; i++)
        sbuf_append(&b, &"0123456789"[i % 10], 1);
    CHECK_INT(b.len, 9000);
    CHECK_INT(b.overflow, 0);
    CHECK(b.cap > b.len && b.cap <= b.max);
    int ok = 1;
    for (int i = 0; i < 9000; i++)
        ok &= b.p[i] == "0123456789"[i % 10];
    CHECK(ok);
    CHECK_INT(b.p[9000], '\0');
    sbuf_free(&b);
}

/* max bytes of storage hold max - 1 bytes and the NUL; one more overflows,
 * and the overflow sticks until reset. */
static void test_maximum(void)
{
    static const size_t maxes[] = {1, 2, 16, 1000, 1024, 1025, 5000};
    for (size_t k = 0; k < sizeof maxes / sizeof *maxes; k++) {
        size_t max = maxes[k];
        struct sbuf b;
        char *fill = malloc(max + 1);
        memset(fill, 'x', max + 1);
        sbuf_init(&b, max);
        sbuf_append(&b, fill, max - 1);
        CHECK_INT(b.overflow, 0);
        CHECK_INT(b.len, max - 1);
        sbuf_append(&b, "y", 1);
        CHECK_INT(b.overflow, 1);
        CHECK_INT(b.len, max - 1); /* what was there stays */
        CHECK_INT(sbuf_reserve(&b, 0), -1);
        sbuf_reset(&b);
        CHECK_INT(sbuf_reserve(&b, 0), 0);
        sbuf_append(&b, fill, max); /* too long from empty, too */
        CHECK_INT(b.overflow, 1);
        CHECK_INT(b.len, 0);
        free(fill);
        sbuf_free(&b);
    }
}

static void test_json_str(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", "\"\""},
        {"plain", "\"plain\""},
        {"a\"b", "\"a\\\"b\""},
        {"back\\slash", "\"back\\\\slash\""},
        {"\n\r\t", "\"\\u000a\\u000d\\u0009\""},
        {"\x01\x1f", "\"\\u0001\\u001f\""},
        {"\x7f", "\"\x7f\""},               /* DEL is legal in JSON strings */
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""}, /* UTF-8 passes through */
        {"</script>", "\"</script>\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sbuf b;
        sbuf_init(&b, 4096);
        sbuf_json_str(&b, cases[i].in);
        CHECK_STR(b.p, cases[i].out);
        sbuf_free(&b);
    }
    /* Escaping that would pass the maximum is refused whole. */
    struct sbuf b;
    sbuf_init(&b, 8);
    sbuf_json_str(&b, "\x01");
    CHECK_INT(b.overflow, 1);
    CHECK_INT(b.len, 0);
    sbuf_free(&b);
}

int main(void)
{
    RUN(test_append_and_format);
    RUN(test_long_printf);
    RUN(test_growth);
    RUN(test_maximum);
    RUN(test_json_str);
    return TEST_SUMMARY();
}
