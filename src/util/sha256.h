/* SHA-256 (FIPS 180-4), our own small implementation so model checksums need
 * no OpenSSL. Streaming (init/update/final) plus a one-shot helper. */
#ifndef RECSYS_UTIL_SHA256_H
#define RECSYS_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256_ctx {
    uint32_t h[8];
    uint64_t total; /* bytes hashed so far */
    uint8_t buf[64];
    size_t used;
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
void sha256_final(struct sha256_ctx *c, uint8_t out[32]);
/* Hashes data and writes 64 lowercase hex characters plus NUL into hex. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
