/* libFuzzer target for the HTTP request parser of src/net/http.c, which
 * every region runs on bytes from the network. Each input is parsed with
 * default limits and tiny ones, and the results are checked against the
 * parser's contract; a violation aborts, so
 * libFuzzer (make fuzz) and the replay test (tests/unit/test_fuzz_http.c,
 * in `make test`) both report it as a crash. Built by clang with
 * -fsanitize=fuzzer, or included by the gcc-built replay test. */
#include "net/http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(c)                                                                      \
    do {                                                                                    \
        if (!(c)) {                                                                         \
            fprintf(stderr, "fuzz_http: invariant failed at %s:%d: %s\n", __FILE__,         \
                    __LINE__, #c);                                                          \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static int inside(const char *p, size_t n, const char *buf, size_t len)
{
    return p >= buf && p + n <= buf + len;
}

static void check_request(const char *buf, size_t len, const struct http_limits *lim)
{
    struct http_request req;
    long r = http_parse_request(buf, len, lim, &req);
    FUZZ_ASSERT(r <= (long)len);
    FUZZ_ASSERT(r >= 0 || r == -400 || r == -413 || r == -417 || r == -431 || r == -501 ||
                r == -505);
    FUZZ_ASSERT(!req.expect_continue || r == 0); /* "send 100 Continue" only with "need more" */
    if (r <= 0)
        return;
    /* Everything points into the consumed bytes. */
    FUZZ_ASSERT(inside(req.method, req.method_len, buf, (size_t)r) && req.method_len > 0);
    FUZZ_ASSERT(inside(req.path, req.path_len, buf, (size_t)r) && req.path[0] == '/');
    FUZZ_ASSERT(!req.query || inside(req.query, req.query_len, buf, (size_t)r));
    FUZZ_ASSERT(req.minor == 0 || req.minor == 1);
    FUZZ_ASSERT(req.n_headers >= 0 && req.n_headers <= lim->max_headers &&
                req.n_headers <= HTTP_MAX_HEADERS);
    for (int i = 0; i < req.n_headers; i++) {
        FUZZ_ASSERT(req.headers[i].name_len > 0);
        FUZZ_ASSERT(inside(req.headers[i].name, req.headers[i].name_len, buf, (size_t)r));
        FUZZ_ASSERT(inside(req.headers[i].value, req.headers[i].value_len, buf, (size_t)r));
    }
    FUZZ_ASSERT(req.body_len <= lim->max_body);
    FUZZ_ASSERT(req.body_len == 0 || (req.body && req.body + req.body_len == buf + r));
    FUZZ_ASSERT((size_t)r - req.body_len <= lim->max_head);
    /* Incremental: one byte short of a complete request is "need more"... */
    struct http_request again;
    FUZZ_ASSERT(http_parse_request(buf, (size_t)r - 1, lim, &again) == 0);
    /* ...and bytes after it (pipelining) do not change it. */
    if ((size_t)r < len)
        FUZZ_ASSERT(http_parse_request(buf, len, lim, &again) == r);
    /* The accessors stay inside their buffers. */
    char out[64];
    size_t hl = 0;
    const char *h = http_header_get(&req, "Content-Length", &hl);
    FUZZ_ASSERT(!h || inside(h, hl, buf, (size_t)r));
    if (http_query_get(&req, "count", out, sizeof out) == 0)
        FUZZ_ASSERT(strlen(out) < sizeof out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy with no slack after it, so any over-read is caught. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct http_limits lim, tiny = {.max_head = 64, .max_body = 16, .max_headers = 3};
    http_limits_default(&lim);
    check_request(buf, size, &lim);
    check_request(buf, size, &tiny);
    /* sbuf: appending the input as a JSON string never passes its maximum. */
    struct sbuf b;
    sbuf_init(&b, 4096);
    char *z = malloc(size + 1);
    if (z) {
        memcpy(z, data, size);
        z[size] = '\0';
        sbuf_json_str(&b, z);
        FUZZ_ASSERT(b.len < b.max || b.overflow);
        FUZZ_ASSERT(b.overflow || (b.len >= 2 && b.p[0] == '"' && b.p[b.len - 1] == '"'));
        free(z);
    }
    sbuf_free(&b);
    free(buf);
    return 0;
}
