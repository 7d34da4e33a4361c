/* One signed S3 request (see s3req.h). libcurl does the SigV4 signing
 * (CURLOPT_AWS_SIGV4); curl 7.88 signs the path and the query exactly as
 * given and takes the payload hash from our x-amz-content-sha256 header, so
 * this file hands it a path encoded once per S3's rule and a query already
 * in canonical (encoded, sorted) form. */
#include "store/s3req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "store/s3xml.h"
#include "util/error.h"

/* Per-attempt state shared with curl's callbacks. */
struct s3_xfer {
    struct s3_client *c;
    struct s3_req *r;
    uint64_t sent;       /* body bytes handed to curl */
    struct sbuf errbody; /* a non-2xx answer's body */
    int too_big;         /* the 2xx body passed max_bytes */
    int read_errno;      /* reading the upload failed */
    int write_errno;     /* writing the download failed */
};

void s3req_encode(struct sbuf *b, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~' || (ch == '/' && keep_slash)) {
            sbuf_append(b, p, 1);
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            sbuf_append(b, esc, 3);
        }
    }
}

void s3req_hex(const uint8_t md[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++)
        hex[2 * i] = digits[md[i] >> 4], hex[2 * i + 1] = digits[md[i] & 15];
    hex[64] = '\0';
}

void s3req_query_add(struct sbuf *q, const char *name, const char *value)
{
    if (q->len)
        sbuf_puts(q, "&");
    s3req_encode(q, name, 0);
    sbuf_puts(q, "=");
    s3req_encode(q, value, 0);
}

void s3req_error_code(const char *body, size_t len, char *code, size_t codelen, char *msg,
                      size_t msglen)
{
    const char *end = body + len;
    code[0] = msg[0] = '\0';
    if (s3xml_get(body, end, "Code", code, codelen) < 0)
        code[0] = '\0';
    if (s3xml_get(body, end, "Message", msg, msglen) < 0)
        msg[0] = '\0';
    /* Only printable ASCII goes into an error sentence. */
    for (char *p = code; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            *p = '?';
    for (char *p = msg; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            *p = '?';
}

/* r->url: ENDPOINT/BUCKET/KEY (path style) or SCHEME://BUCKET.HOST/KEY. */
static int s3req_url(struct s3_client *c, struct s3_req *r, char *err, size_t errlen)
{
    struct sbuf u;
    const char *ep = c->cfg.endpoint;
    sbuf_init(&u, sizeof r->url);
    if (c->cfg.path_style) {
        sbuf_puts(&u, ep);
        sbuf_puts(&u, "/");
        s3req_encode(&u, r->bucket, 0);
    } else {
        const char *host = strstr(ep, "://");
        host = host ? host + 3 : ep;
        sbuf_append(&u, ep, (size_t)(host - ep));
        s3req_encode(&u, r->bucket, 0);
        sbuf_puts(&u, ".");
        sbuf_puts(&u, host);
        if (!r->key)
            sbuf_puts(&u, "/");
    }
    if (r->key) {
        sbuf_puts(&u, "/");
        s3req_encode(&u, r->key, 1);
    }
    if (r->query && *r->query) {
        sbuf_puts(&u, "?");
        sbuf_puts(&u, r->query);
    }
    int bad = u.overflow || !u.p;
    if (!bad)
        memcpy(r->url, u.p, u.len + 1);
    sbuf_free(&u);
    if (bad)
        return err_code_set(err, errlen, ERR_INVALID, "s3: the URL for key '%.200s' is too long",
                            r->key ? r->key : "");
    return 0;
}

static uint64_t s3req_body_len(const struct s3_req *r)
{
    return r->in ? r->in_len : r->body_len;
}

static size_t s3req_read(char *buf, size_t size, size_t n, void *ud)
{
    struct s3_xfer *x = ud;
    struct s3_req *r = x->r;
    uint64_t left = s3req_body_len(r) - x->sent;
    size_t want = size * n;
    if (want > left)
        want = (size_t)left;
    if (want == 0)
        return 0;
    if (r->in) {
        ssize_t got = pread(fileno(r->in), buf, want, (off_t)(r->in_off + x->sent));
        if (got <= 0) {
            x->read_errno = got < 0 ? errno : EIO; /* shrank under us */
            return CURL_READFUNC_ABORT;
        }
        want = (size_t)got;
    } else {
        memcpy(buf, (const char *)r->body + x->sent, want);
    }
    x->sent += want;
    return want;
}

/* curl rewinds the body when it resends a request on a fresh connection
 * (a kept-alive one the server had closed); the body is random access. */
static int s3req_seek(void *ud, curl_off_t offset, int origin)
{
    struct s3_xfer *x = ud;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > s3req_body_len(x->r))
        return CURL_SEEKFUNC_CANTSEEK;
    x->sent = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static size_t s3req_write(char *p, size_t size, size_t n, void *ud)
{
    struct s3_xfer *x = ud;
    struct s3_req *r = x->r;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(x->c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        sbuf_append(&x->errbody, p, len); /* capped by its max: the head is enough */
        return len;
    }
    if (r->max_bytes && (r->out_len + len > r->max_bytes || r->out_len + len < r->out_len)) {
        x->too_big = 1;
        return 0;
    }
    if (r->out) {
        if (fwrite(p, 1, len, r->out) != len) {
            x->write_errno = errno ? errno : EIO;
            return 0;
        }
        sha256_update(&r->out_sha, p, len);
    } else if (r->resp) {
        sbuf_append(r->resp, p, len);
        if (r->resp->overflow) {
            x->too_big = 1;
            return 0;
        }
    }
    r->out_len += len;
    return len;
}

/* Keeps the ETag (UploadPart's answer names the part by it). */
static size_t s3req_header(char *p, size_t size, size_t n, void *ud)
{
    struct s3_req *r = ((struct s3_xfer *)ud)->r;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        r->etag[0] = '\0'; /* a new answer (after 100 Continue, say) */
    } else if (len > 5 && strncasecmp(p, "etag:", 5) == 0) {
        const char *v = p + 5, *e = p + len;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
            e--;
        size_t vl = (size_t)(e - v);
        if (vl < sizeof r->etag) {
            memcpy(r->etag, v, vl);
            r->etag[vl] = '\0';
        }
    }
    return len;
}

/* The payload's sha256 (hex): the memory body, or the file range read once
 * before it is streamed. */
static int s3req_payload_sha(struct s3_req *r, char hex[65], char *err, size_t errlen)
{
    if (!r->in) {
        sha256_hex(r->body ? r->body : "", r->body_len, hex);
        return 0;
    }
    char buf[1 << 16];
    struct sha256_ctx h;
    uint8_t md[32];
    uint64_t done = 0;
    sha256_init(&h);
    while (done < r->in_len) {
        size_t want = r->in_len - done < sizeof buf ? (size_t)(r->in_len - done) : sizeof buf;
        ssize_t got = pread(fileno(r->in), buf, want, (off_t)(r->in_off + done));
        if (got <= 0)
            return err_set(err, errlen, "%s %s: reading the upload: %s", r->method, r->url,
                           got < 0 ? strerror(errno) : "the file shrank");
        sha256_update(&h, buf, (size_t)got);
        done += (uint64_t)got;
    }
    sha256_final(&h, md);
    s3req_hex(md, hex);
    return 0;
}

static void s3req_setup(struct s3_client *c, struct s3_req *r, struct s3_xfer *x,
                        struct curl_slist *headers)
{
    CURL *h = c->curl;
    curl_easy_reset(h); /* keeps the connection cache */
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L); /* a key's "." or ".." is not a path step */
    curl_easy_setopt(h, CURLOPT_USERAGENT, "recsys-tui");
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
    curl_easy_setopt(h, CURLOPT_USERNAME, c->cfg.access_key);
    curl_easy_setopt(h, CURLOPT_PASSWORD, c->cfg.secret_key);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->stall_seconds);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s3req_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s3req_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, s3req_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
    if (strcmp(r->method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, s3req_read);
        curl_easy_setopt(h, CURLOPT_READDATA, x);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s3req_body_len(r));
    } else if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, s3req_read);
        curl_easy_setopt(h, CURLOPT_READDATA, x);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s3req_body_len(r));
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    }
}

/* Empties what a previous attempt wrote. */
static int s3req_rewind(struct s3_req *r, struct s3_xfer *x)
{
    x->sent = 0;
    x->too_big = x->read_errno = x->write_errno = 0;
    sbuf_reset(&x->errbody);
    r->out_len = 0;
    r->etag[0] = '\0';
    r->status = 0;
    sha256_init(&r->out_sha);
    if (r->resp)
        sbuf_reset(r->resp);
    if (r->out) {
        if (fflush(r->out) != 0 || ftruncate(fileno(r->out), 0) != 0)
            return -1;
        rewind(r->out);
    }
    return 0;
}

static int s3req_transient(CURLcode cc, long status)
{
    switch (cc) {
    case CURLE_OK:
        return status >= 500 || status == 429;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_FAIL_REWIND:
        return 1;
    default:
        return 0;
    }
}

/* The error sentence for a finished attempt. */
static int s3req_fail(struct s3_client *c, struct s3_req *r, struct s3_xfer *x, CURLcode cc,
                      unsigned tries, char *err, size_t errlen)
{
    char code[128], msg[160], again[32] = "";
    if (tries > 1)
        snprintf(again, sizeof again, " (%u attempts)", tries);
    if (x->too_big)
        return err_code_set(err, errlen, ERR_CORRUPT,
                            "%s %s: the object is larger than the %llu-byte limit", r->method,
                            r->url,
                            (unsigned long long)(r->max_bytes ? r->max_bytes : r->resp->max - 1));
    if (x->write_errno)
        return err_set(err, errlen, "%s %s: writing the download: %s", r->method, r->url,
                       strerror(x->write_errno));
    if (x->read_errno)
        return err_set(err, errlen, "%s %s: reading the upload: %s", r->method, r->url,
                       strerror(x->read_errno));
    if (cc != CURLE_OK)
        return err_set(err, errlen, "%s %s: %s%s", r->method, r->url,
                       c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc), again);
    s3req_error_code(x->errbody.p ? x->errbody.p : "", x->errbody.len, code, sizeof code, msg,
                     sizeof msg);
    return err_code_set(err, errlen, r->status == 404 ? ERR_NOT_FOUND : ERR_FAIL,
                        "%s %s: %ld %s%s%s%s", r->method, r->url, r->status,
                        code[0] ? code : "(no S3 error code)", msg[0] ? ": " : "", msg, again);
}

/* Appends "name: value" to *list; -1 when out of memory (*list unchanged). */
static int s3req_add_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t n = strlen(name) + 2 + strlen(value) + 1;
    char *line = malloc(n);
    struct curl_slist *h = NULL;
    if (line) {
        snprintf(line, n, "%s: %s", name, value);
        h = curl_slist_append(*list, line);
        free(line);
    }
    if (!h)
        return -1;
    *list = h;
    return 0;
}

int s3req_perform(struct s3_client *c, struct s3_req *r, char *err, size_t errlen)
{
    char sha[65];
    struct curl_slist *headers = NULL;
    struct s3_xfer x = {.c = c, .r = r};
    int rc = s3req_url(c, r, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = s3req_payload_sha(r, sha, err, errlen)) < 0)
        return rc;
    /* curl signs every header given here along with host and x-amz-date,
     * so the session token of temporary credentials is signed too, as S3
     * requires */
    if (s3req_add_header(&headers, "x-amz-content-sha256", sha) < 0 ||
        (r->content_type && s3req_add_header(&headers, "Content-Type", r->content_type) < 0) ||
        (c->cfg.session_token[0] &&
         s3req_add_header(&headers, "x-amz-security-token", c->cfg.session_token) < 0)) {
        curl_slist_free_all(headers);
        return err_code_set(err, errlen, ERR_NOMEM, "s3: out of memory");
    }
    sbuf_init(&x.errbody, 64 * 1024);
    unsigned attempts = r->idempotent && c->attempts > 1 ? c->attempts : 1;
    for (unsigned i = 0;; i++) {
        if (s3req_rewind(r, &x) < 0) {
            rc = err_set(err, errlen, "%s %s: truncating the download: %s", r->method, r->url,
                         strerror(errno));
            break;
        }
        c->errbuf[0] = '\0';
        s3req_setup(c, r, &x, headers);
        CURLcode cc = curl_easy_perform(c->curl);
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
        if (cc == CURLE_OK && r->status >= 200 && r->status <= 299) {
            rc = 0;
            break;
        }
        if (x.too_big || x.read_errno || x.write_errno || !s3req_transient(cc, r->status) ||
            i + 1 >= attempts) {
            rc = s3req_fail(c, r, &x, cc, i + 1, err, errlen);
            break;
        }
        /* 0.2 s, then 0.8 s: a restarting server gets a moment, a dead one
         * costs about a second. */
        struct timespec ts = {0, 200000000L};
        for (unsigned k = 0; k < i; k++)
            ts.tv_nsec *= 4;
        ts.tv_sec = ts.tv_nsec / 1000000000L, ts.tv_nsec %= 1000000000L;
        nanosleep(&ts, NULL);
    }
    /* Nothing dangles from the handle between requests. */
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    sbuf_free(&x.errbody);
    return rc;
}
