/* SHA-256 against the FIPS 180-2 vectors, including one million 'a' streamed
 * in uneven chunks. */
#include <stdint.h>
#include <string.h>

#include "test.h"
#include "util/sha256.h"

static void test_sha256_vectors(void)
{
    char hex[65];
    sha256_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(m448, strlen(m448), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', streamed in uneven chunks */
    static char buf[1000000];
    memset(buf, 'a', sizeof buf);
    struct sha256_ctx c;
    uint8_t d[32];
    sha256_init(&c);
    for (size_t off = 0, step = 1; off < sizeof buf; off += step, step = step * 3 % 997 + 1)
        sha256_update(&c, buf + off, off + step > sizeof buf ? sizeof buf - off : step);
    sha256_final(&c, d);
    CHECK_INT(d[0], 0xcd);
    CHECK_INT(d[1], 0xc7);
    CHECK_INT(d[31], 0xd0);
    sha256_hex(buf, sizeof buf, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    RUN(test_sha256_vectors);
    return TEST_SUMMARY();
}
