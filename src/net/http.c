/* HTTP/1.1 request and response parsers (see http.h). */
#include "net/http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void http_limits_default(struct http_limits *lim)
{
    lim->max_head = HTTP_MAX_HEAD;
    lim->max_body = HTTP_MAX_BODY;
    lim->max_headers = HTTP_MAX_HEADERS;
}

static int is_tchar(unsigned char c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Does the comma-separated header value contain token tok (case-insensitive)? */
static int has_token(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok), i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && !strncasecmp(v + s, tok, tl))
            return 1;
    }
    return 0;
}

/* Request line "METHOD SP /target SP HTTP/1.x"; 0 or -status. */
static int parse_request_line(const char *p, const char *end, struct http_request *req)
{
    const char *s = p;
    while (p < end && is_tchar((unsigned char)*p))
        p++;
    if (p == s || p >= end || *p != ' ')
        return -400;
    req->method = s;
    req->method_len = (size_t)(p - s);
    s = ++p;
    while (p < end && *p != ' ')
        p++;
    if (p == s || p >= end || *s != '/')
        return -400;
    for (const char *q = s; q < p; q++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
            return -400;
    const char *qm = memchr(s, '?', (size_t)(p - s));
    req->path = s;
    req->path_len = (size_t)((qm ? qm : p) - s);
    req->query = qm ? qm + 1 : NULL;
    req->query_len = qm ? (size_t)(p - qm - 1) : 0;
    p++;
    if (end - p != 8 || memcmp(p, "HTTP/1.", 7) != 0)
        return (end - p >= 5 && !memcmp(p, "HTTP/", 5)) ? -505 : -400;
    if (p[7] != '0' && p[7] != '1')
        return -505;
    req->minor = p[7] - '0';
    return 0;
}

/* Parses header lines p..end (end points at the final CRLF of the head) into
 * hs; sets *content_length (-1 when absent), *conn_close and *conn_keep.
 * 0, or -400 / -431 / -501 as http_parse_request documents. */
static int parse_headers(const char *p, const char *end, int max_headers, struct http_header *hs,
                         int *n_headers, long *content_length, int *conn_close, int *conn_keep)
{
    while (p < end + 2) {
        const char *le = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
        const char *colon = p;
        while (colon < le && is_tchar((unsigned char)*colon))
            colon++;
        if (colon == p || colon >= le || *colon != ':')
            return -400; /* also rejects obsolete line folding */
        if (*n_headers >= max_headers || *n_headers >= HTTP_MAX_HEADERS)
            return -431;
        const char *v = colon + 1, *ve = le;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const char *q = v; q < ve; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                return -400;
        struct http_header *h = &hs[(*n_headers)++];
        h->name = p;
        h->name_len = (size_t)(colon - p);
        h->value = v;
        h->value_len = (size_t)(ve - v);
        if (h->name_len == 14 && !strncasecmp(p, "Content-Length", 14)) {
            if (h->value_len == 0 || h->value_len > 18)
                return h->value_len > 18 ? -413 : -400;
            long n = 0;
            for (const char *q = v; q < ve; q++) {
                if (!isdigit((unsigned char)*q))
                    return -400;
                n = n * 10 + (*q - '0');
            }
            if (*content_length >= 0 && *content_length != n)
                return -400;
            *content_length = n;
        } else if (h->name_len == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
            return -501;
        } else if (h->name_len == 10 && !strncasecmp(p, "Connection", 10)) {
            *conn_close |= has_token(v, h->value_len, "close");
            *conn_keep |= has_token(v, h->value_len, "keep-alive");
        }
        p = le + 2;
    }
    return 0;
}

static long parse_one(const char *buf, size_t len, const struct http_limits *lim,
                      struct http_request *req);

/* RFC 9112 2.2: empty lines before a request line are ignored (clients may
 * send a stray CRLF after a POST body); up to 4 are skipped and counted in
 * the consumed length. */
long http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
                        struct http_request *req)
{
    size_t skip = 0;
    while (skip + 2 <= len && skip < 8 && buf[skip] == '\r' && buf[skip + 1] == '\n')
        skip += 2;
    if (skip == len)
        return 0;
    struct http_limits l = *lim; /* the skipped lines count against the head limit */
    l.max_head = lim->max_head > skip ? lim->max_head - skip : 0;
    long r = parse_one(buf + skip, len - skip, &l, req);
    return r > 0 ? r + (long)skip : r;
}

static long parse_one(const char *buf, size_t len, const struct http_limits *lim,
                      struct http_request *req)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (!end)
        return len > lim->max_head ? -431 : 0;
    size_t head_len = (size_t)(end - buf) + 4;
    if (head_len > lim->max_head)
        return -431;
    memset(req, 0, offsetof(struct http_request, headers));
    const char *line_end = memmem(buf, head_len, "\r\n", 2);
    int rc = parse_request_line(buf, line_end, req);
    if (rc < 0)
        return rc;
    long content_length = -1;
    int conn_close = 0, conn_keep = 0;
    rc = parse_headers(line_end + 2, end, lim->max_headers, req->headers, &req->n_headers,
                       &content_length, &conn_close, &conn_keep);
    if (rc < 0)
        return rc;
    req->keep_alive = conn_close ? 0 : (req->minor >= 1 || conn_keep);
    if (content_length < 0)
        content_length = 0;
    if ((size_t)content_length > lim->max_body)
        return -413;
    if (len - head_len < (size_t)content_length)
        return 0;
    req->body = buf + head_len;
    req->body_len = (size_t)content_length;
    return (long)(head_len + (size_t)content_length);
}

long http_parse_response(const char *buf, size_t len, size_t max_head, size_t max_body,
                         struct http_response *resp)
{
    const char *end = memmem(buf, len < max_head ? len : max_head, "\r\n\r\n", 4);
    if (!end)
        return len >= max_head ? -1 : 0;
    size_t head_len = (size_t)(end - buf) + 4;
    memset(resp, 0, offsetof(struct http_response, headers));
    /* "HTTP/1.x NNN reason" */
    const char *le = memmem(buf, head_len, "\r\n", 2);
    if (le - buf < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') ||
        buf[8] != ' ' || !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
        !isdigit((unsigned char)buf[11]) || buf[9] == '0' || (le - buf > 12 && buf[12] != ' '))
        return -1;
    for (const char *q = buf + 12; q < le; q++)
        if ((unsigned char)*q < 0x20 && *q != '\t')
            return -1;
    resp->minor = buf[7] - '0';
    resp->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    long cl = -1;
    int conn_close = 0, conn_keep = 0;
    if (parse_headers(le + 2, end, HTTP_MAX_HEADERS, resp->headers, &resp->n_headers, &cl,
                      &conn_close, &conn_keep) < 0)
        return -1;
    if (cl < 0 || (size_t)cl > max_body)
        return -1;
    resp->keep_alive = conn_close ? 0 : (resp->minor >= 1 || conn_keep);
    resp->head_len = head_len;
    resp->body_len = (size_t)cl;
    if (len - head_len < (size_t)cl)
        return 0;
    return (long)(head_len + (size_t)cl);
}

const char *http_header_get(const struct http_request *req, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (int i = 0; i < req->n_headers; i++) {
        const struct http_header *h = &req->headers[i];
        if (h->name_len == n && !strncasecmp(h->name, name, n)) {
            if (len)
                *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

int http_query_get(const struct http_request *req, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    const char *p = req->query;
    if (!p) /* and NULL + 0 below would be undefined */
        return -1;
    const char *end = p + req->query_len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        if ((size_t)(pe - p) > kl && !memcmp(p, key, kl) && p[kl] == '=') {
            size_t vl = (size_t)(pe - p - kl - 1);
            if (vl + 1 > outlen)
                return -1;
            memcpy(out, p + kl + 1, vl);
            out[vl] = '\0';
            return 0;
        }
        p = pe + 1;
    }
    return -1;
}

const char *http_reject_reason(int status)
{
    switch (status < 0 ? -status : status) {
    case 413:
        return "request body too large";
    case 431:
        return "request line or headers too large";
    case 501:
        return "Transfer-Encoding is not supported";
    case 505:
        return "only HTTP/1.0 and HTTP/1.1 are served";
    default:
        return "malformed request";
    }
}

const char *http_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
