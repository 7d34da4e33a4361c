/* S3 objects over HTTP with libcurl: put, get, list, delete, each signed
 * with AWS Signature V4 by libcurl (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3")
 * and carrying x-amz-content-sha256, the payload's real sha256. Works with
 * AWS S3, MinIO and s3rver (path-style addressing, s3config.h).
 *
 * Streaming: files are uploaded and downloaded through curl's callbacks in
 * fixed buffers, never held in memory whole; a file over S3_MULTIPART_MIN
 * goes up as a multipart upload in S3_PART_SIZE parts (aborted on failure,
 * so no half object is ever visible under the key).
 *
 * One client is one curl handle (connection reuse): use it from one thread
 * at a time. curl_global_init() must have run (main.c does it at start).
 * Errors are enum err_code values (negative) with a sentence that names the
 * method and URL and S3's error code ("GET http://h/bucket/key: 403
 * SignatureDoesNotMatch"): ERR_NOT_FOUND for NoSuchKey or NoSuchBucket
 * (the sentence says which), ERR_CORRUPT when a download exceeds its
 * max_bytes, ERR_INVALID for an empty bucket or key or a key over S3's 1024
 * bytes, ERR_FAIL otherwise. Never prints; never includes the secret.
 *
 * Timeouts and retries: connecting gives up after 5 s; a transfer during
 * which no byte moves for RECSYS_S3_STALL_SECONDS (default 10) fails, so a
 * hung server costs seconds, not forever. Idempotent requests (GET, PUT,
 * DELETE, UploadPart) are tried 3 times, 0.2 s then 0.8 s apart, when the
 * connection is refused or reset or S3 answers 5xx or 429 (the sentence then
 * ends "(3 attempts)"); a stall is not retried. RECSYS_S3_LIST_PAGE (1..1000)
 * sets ListObjectsV2's max-keys, for tests of paging. */
#ifndef RECSYS_STORE_S3_H
#define RECSYS_STORE_S3_H

#include <stddef.h>
#include <stdint.h>

#include "store/s3config.h"
#include "util/sbuf.h"

#define S3_MULTIPART_MIN (64ull << 20) /* files larger than this are uploaded in parts */
#define S3_PART_SIZE     (16ull << 20)

struct s3_client;

int s3_client_new(const struct s3_config *cfg, struct s3_client **out, char *err, size_t errlen);
void s3_client_free(struct s3_client *c); /* NULL is fine */

/* Uploads the file at path as bucket/key, streaming it (multipart above
 * S3_MULTIPART_MIN). */
int s3_put_file(struct s3_client *c, const char *bucket, const char *key, const char *path,
                char *err, size_t errlen);

/* Uploads len bytes from data as bucket/key with the given Content-Type
 * (NULL: none). */
int s3_put_buffer(struct s3_client *c, const char *bucket, const char *key, const void *data,
                  size_t len, const char *content_type, char *err, size_t errlen);

/* Downloads bucket/key into the file at path (created or truncated),
 * streaming, at most max_bytes (ERR_CORRUPT beyond; 0: no limit), and
 * fsyncs it. On success *size and sha256_hex (64 hex characters + NUL)
 * describe what was written; either may be NULL. On failure the file is
 * removed. The caller writes to a temporary name and renames. */
int s3_get_file(struct s3_client *c, const char *bucket, const char *key, const char *path,
                uint64_t max_bytes, uint64_t *size, char sha256_hex[65], char *err, size_t errlen);

/* Downloads bucket/key into out (reset first), at most max_bytes
 * (ERR_CORRUPT beyond; 0: only out's own maximum). */
int s3_get_buffer(struct s3_client *c, const char *bucket, const char *key, size_t max_bytes,
                  struct sbuf *out, char *err, size_t errlen);

/* Calls fn for every object whose key starts with prefix, in key order,
 * following continuation tokens (ListObjectsV2). A nonzero return from fn
 * stops the listing and is returned. */
typedef int (*s3_list_fn)(void *user, const char *key, uint64_t size);
int s3_list(struct s3_client *c, const char *bucket, const char *prefix, s3_list_fn fn, void *user,
            char *err, size_t errlen);

/* Deletes bucket/key; deleting a missing key is not an error (S3's own rule). */
int s3_delete(struct s3_client *c, const char *bucket, const char *key, char *err, size_t errlen);

#endif
