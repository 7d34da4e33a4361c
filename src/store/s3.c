/* S3 objects over libcurl (see s3.h): put (single or multipart), get,
 * list, delete. The request machinery is in s3req.c, the XML in s3xml.c. */
#include "store/s3.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/s3req.h"
#include "store/s3xml.h"
#include "util/error.h"

/* A positive integer from the environment within [lo, hi], else def. */
static long s3_env_long(const char *name, long def, long lo, long hi)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return def;
    long n = strtol(v, &end, 10);
    return *end || n < lo || n > hi ? def : n;
}

int s3_client_new(const struct s3_config *cfg, struct s3_client **out, char *err, size_t errlen)
{
    struct s3_client *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return err_code_set(err, errlen, ERR_NOMEM, "s3: out of memory");
    c->cfg = *cfg;
    if (!(c->curl = curl_easy_init())) {
        free(c);
        return err_set(err, errlen, "s3: curl_easy_init failed");
    }
    snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:s3", cfg->region);
    /* Test and operator knobs, documented in the man page (ENVIRONMENT). */
    c->stall_seconds = s3_env_long("RECSYS_S3_STALL_SECONDS", 10, 1, 3600);
    c->list_page = (unsigned)s3_env_long("RECSYS_S3_LIST_PAGE", 0, 1, 1000);
    c->attempts = 3;
    *out = c;
    return 0;
}

void s3_client_free(struct s3_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    /* The secret does not outlive the client in freed memory. */
    volatile char *s = c->cfg.secret_key;
    for (size_t i = 0; i < sizeof c->cfg.secret_key; i++)
        s[i] = 0;
    free(c);
}

static int s3_check_key(const char *bucket, const char *key, char *err, size_t errlen)
{
    if (!bucket || !*bucket)
        return err_code_set(err, errlen, ERR_INVALID, "s3: no bucket given");
    if (!key || !*key)
        return err_code_set(err, errlen, ERR_INVALID, "s3: no object key given (bucket %s)",
                            bucket);
    if (strlen(key) > 1024)
        return err_code_set(err, errlen, ERR_INVALID,
                            "s3: object key '%.60s...' is longer than S3's 1024 bytes", key);
    return 0;
}

int s3_put_buffer(struct s3_client *c, const char *bucket, const char *key, const void *data,
                  size_t len, const char *content_type, char *err, size_t errlen)
{
    int rc = s3_check_key(bucket, key, err, errlen);
    if (rc < 0)
        return rc;
    struct s3_req r = {.method = "PUT",
                       .bucket = bucket,
                       .key = key,
                       .content_type = content_type,
                       .body = data,
                       .body_len = len,
                       .idempotent = 1};
    return s3req_perform(c, &r, err, errlen);
}

/* Aborts a multipart upload so its parts do not linger (and cost). Its own
 * failure is not reported: the caller already has the error that matters. */
static void s3_multipart_abort(struct s3_client *c, const char *bucket, const char *key,
                               const char *upload_id)
{
    char ignored[ERR_LEN];
    struct sbuf q;
    sbuf_init(&q, 4096);
    s3req_query_add(&q, "uploadId", upload_id);
    if (!q.overflow) {
        struct s3_req r = {
            .method = "DELETE", .bucket = bucket, .key = key, .query = q.p, .idempotent = 1};
        s3req_perform(c, &r, ignored, sizeof ignored);
    }
    sbuf_free(&q);
}

/* CreateMultipartUpload: the upload id into id. */
static int s3_multipart_create(struct s3_client *c, const char *bucket, const char *key, char *id,
                               size_t idlen, char *err, size_t errlen)
{
    struct sbuf resp;
    sbuf_init(&resp, 64 * 1024);
    struct s3_req r = {.method = "POST",
                       .bucket = bucket,
                       .key = key,
                       .query = "uploads=",
                       .content_type = "application/octet-stream",
                       .resp = &resp};
    int rc = s3req_perform(c, &r, err, errlen);
    if (rc == 0 && s3xml_get(resp.p ? resp.p : "", resp.p ? resp.p + resp.len : "", "UploadId", id,
                             idlen) <= 0)
        rc = err_set(err, errlen, "POST %s: the answer has no UploadId", r.url);
    sbuf_free(&resp);
    return rc;
}

/* CompleteMultipartUpload naming every part by its ETag. S3 may answer 200
 * and still carry an <Error> in the body: that is a failure. */
static int s3_multipart_complete(struct s3_client *c, const char *bucket, const char *key,
                                 const char *query, char (*etags)[128], unsigned parts, char *err,
                                 size_t errlen)
{
    struct sbuf body, resp;
    int rc;
    sbuf_init(&body, (size_t)parts * 200 + 256);
    sbuf_init(&resp, 64 * 1024);
    sbuf_puts(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (unsigned i = 0; i < parts; i++) {
        sbuf_printf(&body, "<Part><PartNumber>%u</PartNumber><ETag>", i + 1);
        for (const char *p = etags[i]; *p; p++) {
            if (*p == '&')
                sbuf_puts(&body, "&amp;");
            else if (*p == '<')
                sbuf_puts(&body, "&lt;");
            else
                sbuf_append(&body, p, 1);
        }
        sbuf_puts(&body, "</ETag></Part>");
    }
    sbuf_puts(&body, "</CompleteMultipartUpload>");
    struct s3_req r = {.method = "POST",
                       .bucket = bucket,
                       .key = key,
                       .query = query,
                       .content_type = "application/xml",
                       .body = body.p,
                       .body_len = body.len,
                       .resp = &resp};
    if (body.overflow) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "s3: out of memory");
    } else if ((rc = s3req_perform(c, &r, err, errlen)) == 0 && resp.p &&
               strstr(resp.p, "<Error>")) {
        char code[128], msg[160];
        s3req_error_code(resp.p, resp.len, code, sizeof code, msg, sizeof msg);
        rc = err_set(err, errlen, "POST %s: 200 but %s%s%s", r.url, code[0] ? code : "an error",
                     msg[0] ? ": " : "", msg);
    }
    sbuf_free(&body);
    sbuf_free(&resp);
    return rc;
}

/* A multipart upload of the size-byte file in S3_PART_SIZE parts, each
 * hashed then streamed; aborted on any failure, so the key never shows a
 * partial object. */
static int s3_put_multipart(struct s3_client *c, const char *bucket, const char *key, FILE *f,
                            uint64_t size, char *err, size_t errlen)
{
    uint64_t nparts = (size + S3_PART_SIZE - 1) / S3_PART_SIZE;
    char id[1024];
    char(*etags)[128] = NULL;
    struct sbuf q;
    int rc;
    if (nparts > 10000)
        return err_code_set(err, errlen, ERR_INVALID,
                            "s3: %llu bytes need more than S3's 10000 parts of %llu bytes",
                            (unsigned long long)size, (unsigned long long)S3_PART_SIZE);
    if ((rc = s3_multipart_create(c, bucket, key, id, sizeof id, err, errlen)) < 0)
        return rc;
    sbuf_init(&q, 4096);
    if (!(etags = calloc(nparts, sizeof *etags))) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "s3: out of memory");
        goto out;
    }
    for (uint64_t i = 0; i < nparts; i++) {
        char num[24];
        snprintf(num, sizeof num, "%llu", (unsigned long long)(i + 1));
        sbuf_reset(&q);
        s3req_query_add(&q, "partNumber", num); /* "partNumber" < "uploadId" */
        s3req_query_add(&q, "uploadId", id);
        uint64_t off = i * S3_PART_SIZE;
        struct s3_req r = {.method = "PUT",
                           .bucket = bucket,
                           .key = key,
                           .query = q.p,
                           .in = f,
                           .in_off = off,
                           .in_len = size - off < S3_PART_SIZE ? size - off : S3_PART_SIZE,
                           .idempotent = 1};
        if (q.overflow) {
            rc = err_set(err, errlen, "s3: the upload id is too long");
            goto out;
        }
        if ((rc = s3req_perform(c, &r, err, errlen)) < 0)
            goto out;
        if (!r.etag[0]) {
            rc = err_set(err, errlen, "PUT %s: the answer has no ETag", r.url);
            goto out;
        }
        memcpy(etags[i], r.etag, sizeof etags[i]);
    }
    sbuf_reset(&q);
    s3req_query_add(&q, "uploadId", id);
    rc = s3_multipart_complete(c, bucket, key, q.p, etags, (unsigned)nparts, err, errlen);
out:
    if (rc < 0)
        s3_multipart_abort(c, bucket, key, id);
    free(etags);
    sbuf_free(&q);
    return rc;
}

int s3_put_file(struct s3_client *c, const char *bucket, const char *key, const char *path,
                char *err, size_t errlen)
{
    struct stat st;
    int rc = s3_check_key(bucket, key, err, errlen);
    if (rc < 0)
        return rc;
    FILE *f = fopen(path, "rb");
    if (!f)
        return err_code_set(err, errlen, errno == ENOENT ? ERR_NOT_FOUND : ERR_FAIL, "%s: %s", path,
                            strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = err_code_set(err, errlen, ERR_INVALID, "%s: not a regular file", path);
    } else if ((uint64_t)st.st_size > S3_MULTIPART_MIN) {
        rc = s3_put_multipart(c, bucket, key, f, (uint64_t)st.st_size, err, errlen);
    } else {
        struct s3_req r = {.method = "PUT",
                           .bucket = bucket,
                           .key = key,
                           .content_type = "application/octet-stream",
                           .in = f,
                           .in_len = (uint64_t)st.st_size,
                           .idempotent = 1};
        rc = s3req_perform(c, &r, err, errlen);
    }
    fclose(f);
    return rc;
}

int s3_get_file(struct s3_client *c, const char *bucket, const char *key, const char *path,
                uint64_t max_bytes, uint64_t *size, char sha256_hex[65], char *err, size_t errlen)
{
    int rc = s3_check_key(bucket, key, err, errlen);
    if (rc < 0)
        return rc;
    FILE *f = fopen(path, "wb");
    if (!f)
        return err_set(err, errlen, "%s: %s", path, strerror(errno));
    struct s3_req r = {.method = "GET",
                       .bucket = bucket,
                       .key = key,
                       .out = f,
                       .max_bytes = max_bytes,
                       .idempotent = 1};
    rc = s3req_perform(c, &r, err, errlen);
    if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        rc = err_set(err, errlen, "%s: %s", path, strerror(errno));
    if (fclose(f) != 0 && rc == 0)
        rc = err_set(err, errlen, "%s: %s", path, strerror(errno));
    if (rc < 0) {
        unlink(path); /* no half download is left behind */
        return rc;
    }
    if (size)
        *size = r.out_len;
    if (sha256_hex) {
        uint8_t md[32];
        sha256_final(&r.out_sha, md);
        s3req_hex(md, sha256_hex);
    }
    return 0;
}

int s3_get_buffer(struct s3_client *c, const char *bucket, const char *key, size_t max_bytes,
                  struct sbuf *out, char *err, size_t errlen)
{
    int rc = s3_check_key(bucket, key, err, errlen);
    if (rc < 0)
        return rc;
    sbuf_reset(out);
    struct s3_req r = {.method = "GET",
                       .bucket = bucket,
                       .key = key,
                       .resp = out,
                       .max_bytes = max_bytes,
                       .idempotent = 1};
    return s3req_perform(c, &r, err, errlen);
}

/* One ListObjectsV2 page: fn for each <Contents>, the continuation token
 * into next ("" on the last page). */
static int s3_list_page(const char *url, const char *xml, size_t len, s3_list_fn fn, void *user,
                        char *next, size_t nextlen, char *err, size_t errlen)
{
    const char *p = xml, *end = xml + len, *ce, *after;
    char key[1100], num[32], trunc[8];
    while ((p = s3xml_find(p, end, "Contents", &ce, &after)) != NULL) {
        char *stop;
        if (s3xml_get(p, ce, "Key", key, sizeof key) <= 0 ||
            s3xml_get(p, ce, "Size", num, sizeof num) <= 0)
            return err_set(err, errlen, "GET %s: a <Contents> without a readable Key and Size",
                           url);
        unsigned long long size = strtoull(num, &stop, 10);
        if (*stop || num[0] == '-')
            return err_set(err, errlen, "GET %s: bad <Size> '%s' for key '%s'", url, num, key);
        int rc = fn(user, key, (uint64_t)size);
        if (rc)
            return rc;
        p = after;
    }
    next[0] = '\0';
    if (s3xml_get(xml, end, "IsTruncated", trunc, sizeof trunc) > 0 && strcmp(trunc, "true") == 0 &&
        s3xml_get(xml, end, "NextContinuationToken", next, nextlen) <= 0)
        return err_set(err, errlen, "GET %s: truncated listing without NextContinuationToken", url);
    return 0;
}

int s3_list(struct s3_client *c, const char *bucket, const char *prefix, s3_list_fn fn, void *user,
            char *err, size_t errlen)
{
    char token[2048] = "", prev[2048];
    struct sbuf q, resp;
    int rc = 0;
    if (!bucket || !*bucket)
        return err_code_set(err, errlen, ERR_INVALID, "s3: no bucket given");
    sbuf_init(&q, 8192);
    sbuf_init(&resp, 32 << 20);
    do {
        char page[16];
        sbuf_reset(&q);
        /* Sorted by name, the canonical order curl signs as given. */
        if (token[0])
            s3req_query_add(&q, "continuation-token", token);
        s3req_query_add(&q, "list-type", "2");
        if (c->list_page) {
            snprintf(page, sizeof page, "%u", c->list_page);
            s3req_query_add(&q, "max-keys", page);
        }
        s3req_query_add(&q, "prefix", prefix ? prefix : "");
        if (q.overflow) {
            rc = err_code_set(err, errlen, ERR_INVALID, "s3: list prefix too long");
            break;
        }
        struct s3_req r = {
            .method = "GET", .bucket = bucket, .query = q.p, .resp = &resp, .idempotent = 1};
        if ((rc = s3req_perform(c, &r, err, errlen)) < 0)
            break;
        memcpy(prev, token, sizeof prev);
        rc = s3_list_page(r.url, resp.p ? resp.p : "", resp.len, fn, user, token, sizeof token, err,
                          errlen);
        if (rc == 0 && token[0] && strcmp(token, prev) == 0)
            rc = err_set(err, errlen, "GET %s: the listing repeats its continuation token", r.url);
    } while (rc == 0 && token[0]);
    sbuf_free(&q);
    sbuf_free(&resp);
    return rc;
}

int s3_delete(struct s3_client *c, const char *bucket, const char *key, char *err, size_t errlen)
{
    int rc = s3_check_key(bucket, key, err, errlen);
    if (rc < 0)
        return rc;
    struct s3_req r = {.method = "DELETE", .bucket = bucket, .key = key, .idempotent = 1};
    char e[ERR_LEN];
    rc = s3req_perform(c, &r, e, sizeof e);
    /* S3 answers 204 for a missing key; a server that says NoSuchKey means the same. */
    if (rc == ERR_NOT_FOUND && strstr(e, " NoSuchKey"))
        return 0;
    if (rc < 0)
        err_code_set(err, errlen, rc, "%s", e);
    return rc;
}
