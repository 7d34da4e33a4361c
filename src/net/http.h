/* HTTP/1.1 request and response parsing with hard limits. The parsers are
 * incremental in the simplest way: each is called on everything buffered so
 * far and says "need more", "here is one complete message of N bytes" or
 * "reject". Nothing is copied: the fields point into the caller's buffer.
 * Responses are built in an sbuf (sbuf.h, included for every caller). */
#ifndef RECSYS_NET_HTTP_H
#define RECSYS_NET_HTTP_H

#include <stddef.h>

#include "util/sbuf.h"

#define HTTP_MAX_HEAD    8192 /* request line + headers, bytes */
#define HTTP_MAX_HEADERS 64
#define HTTP_PROXY_HEADERS 4 /* more header lines a trusted proxy's request may carry */
/* More head bytes a trusted proxy's request may carry: what one proxy hop
 * (HAProxy) adds, X-Forwarded-For with an IPv6 address and a Region-Hint,
 * so the head limit is the same through the proxy as direct. */
#define HTTP_PROXY_HEAD_GROWTH 128
#define HTTP_MAX_BODY    262144 /* bytes: a batch of 1,000 feedback events fits */

struct http_limits {
    size_t max_head;
    size_t max_body;
    int max_headers;
};

struct http_header {
    const char *name, *value;
    size_t name_len, value_len;
};

struct http_request {
    const char *method, *path, *query; /* path excludes "?query"; query NULL if none */
    size_t method_len, path_len, query_len;
    int minor;      /* HTTP/1.minor */
    int keep_alive; /* after Connection header and version defaults */
    /* Set when http_parse_request says "need more" with a complete head
     * whose body has not begun and which asks for "Expect: 100-continue"
     * (HTTP/1.1): the caller sends an interim "100 Continue". */
    int expect_continue;
    int n_headers;
    struct http_header headers[HTTP_MAX_HEADERS + HTTP_PROXY_HEADERS];
    const char *body;
    size_t body_len;
};

/* The default limits (the HTTP_MAX_* values above). */
void http_limits_default(struct http_limits *lim);

/* Parses the request at the start of buf[0..len). Returns the byte length of
 * the complete request (head + body) when one is there, 0 when more bytes are
 * needed (see expect_continue), or -status when the request must be rejected:
 * -400 malformed (also an HTTP/1.1 request without Host, or with two Host
 * lines or an invalid one: RFC 9112 3.2), -413 body over the limit, -417 an
 * expectation other than 100-continue, -431 request line/headers over the
 * limit or too many headers, -501 Transfer-Encoding, -505 not HTTP/1.x.
 * Lenient where RFC 9112 allows, as nginx and h2o are: a bare LF ends a line
 * (2.2), up to four empty lines before the request line are skipped (2.2),
 * and an absolute-form target (http://host/path?q, 3.2.2) gives its path and
 * query. */
long http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
                        struct http_request *req);

/* Value of header `name` (case-insensitive) or NULL; *len gets its length. */
const char *http_header_get(const struct http_request *req, const char *name, size_t *len);
/* Copies the (undecoded) value of query parameter `key` into out; 0 when
 * present and it fits, -1 otherwise. */
int http_query_get(const struct http_request *req, const char *key, char *out, size_t outlen);
/* The error message for a status (or -status) http_parse_request returned:
 * "request body too large", ...; "malformed request" for 400 and others. */
const char *http_reject_reason(int status);
/* "OK", "Not Found", ...; "Unknown" for codes we never send. */
const char *http_status_text(int status);

#endif
