/* One signed S3 request over the client's curl handle: the machinery under
 * s3.c (URL building, SigV4 headers, streaming callbacks, error sentences,
 * retries). Internal to the store layer. */
#ifndef RECSYS_STORE_S3REQ_H
#define RECSYS_STORE_S3REQ_H

#include <stdint.h>
#include <stdio.h>

#include <curl/curl.h>

#include "store/s3config.h"
#include "util/sbuf.h"
#include "util/sha256.h"

struct s3_client {
    struct s3_config cfg;
    CURL *curl;
    char sigv4[96]; /* "aws:amz:REGION:s3" */
    char errbuf[CURL_ERROR_SIZE];
    long stall_seconds; /* no byte moved for this long: give up (RECSYS_S3_STALL_SECONDS) */
    unsigned list_page; /* ListObjectsV2 max-keys, 0: the server's (RECSYS_S3_LIST_PAGE) */
    unsigned attempts;  /* tries of an idempotent request (transient failures) */
};

struct s3_req {
    const char *method; /* GET PUT POST DELETE */
    const char *bucket;
    const char *key;          /* NULL: the bucket itself */
    const char *query;        /* canonical form (s3req_query_add), NULL for none */
    const char *content_type; /* NULL: none */
    /* The body, from memory or from len bytes of in at offset off (none when
     * both are empty). Its sha256 is computed by s3req_perform. */
    const void *body;
    size_t body_len;
    FILE *in;
    uint64_t in_off, in_len;
    /* A 2xx answer's body goes to out (hashed into out_sha) or to resp, at
     * most max_bytes (ERR_CORRUPT beyond); else it is dropped. */
    FILE *out;
    struct sbuf *resp;
    uint64_t max_bytes;
    int idempotent; /* retried on transient failures */
    /* Results. */
    struct sha256_ctx out_sha;
    uint64_t out_len;
    long status;
    char etag[128];
    char url[2048];
};

/* Performs r, retrying transient failures (connection refused or reset, 5xx,
 * 429) when r->idempotent. 0 on a 2xx answer; else the code and a sentence
 * "METHOD URL: STATUS S3Code: message" (ERR_NOT_FOUND for 404s). */
int s3req_perform(struct s3_client *c, struct s3_req *r, char *err, size_t errlen);

/* Appends s to b encoded as SigV4 wants (RFC 3986 unreserved kept, the rest
 * %XX upper-case; '/' kept when keep_slash). */
void s3req_encode(struct sbuf *b, const char *s, int keep_slash);

/* Appends "name=ENCODED(value)" to a query, '&'-separated. Callers add the
 * parameters in sorted order (curl signs the query as given). */
void s3req_query_add(struct sbuf *q, const char *name, const char *value);

/* Writes a sha256 digest as 64 lowercase hex characters and a NUL. */
void s3req_hex(const uint8_t md[32], char hex[65]);

/* Parses an S3 error body: its <Code> into code and <Message> into msg
 * (either "" when absent). */
void s3req_error_code(const char *body, size_t len, char *code, size_t codelen, char *msg,
                      size_t msglen);

#endif
