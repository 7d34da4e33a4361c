/* HTTP/1.1 request parser (see http.h). */
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

/* The end of the line that starts at p: the LF, or NULL when it has not
 * arrived. *le gets the end of its content: before a CR that precedes the LF
 * (RFC 9112 2.2 lets a recipient take a bare LF as a line terminator, as
 * nginx and h2o do). */
static const char *line_end(const char *p, const char *end, const char **le)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl)
        *le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
    return nl;
}

/* The length of the head at the start of buf[0..len): every line up to and
 * including the first empty one; 0 when that line has not arrived. *blank
 * gets the start of the empty line (the end of the header lines). */
static size_t head_length(const char *buf, size_t len, const char **blank)
{
    const char *p = buf, *end = buf + len, *le;
    for (;;) {
        const char *nl = line_end(p, end, &le);
        if (!nl)
            return 0;
        if (le == p) {
            *blank = p;
            return (size_t)(nl + 1 - buf);
        }
        p = nl + 1;
    }
}

/* uri-host [":" port] (RFC 3986 reg-name, IPv4 or IP-literal; no userinfo:
 * RFC 9110 4.2.4). Empty is allowed (a Host with no authority). */
static int valid_authority(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && !strchr("-._~!$&'()*+,;=%:[]", p[i]))
            return 0;
    return 1;
}

/* The target of an absolute-form request line (RFC 9112 3.2.2:
 * "http://host:port/path?query"), which a server must accept: points
 * req->path and req->query into it. 0, or -400. */
static int parse_absolute_form(const char *s, const char *e, struct http_request *req)
{
    size_t sl = (size_t)(e - s) >= 7 && !strncasecmp(s, "http://", 7)    ? 7
                : (size_t)(e - s) >= 8 && !strncasecmp(s, "https://", 8) ? 8
                                                                         : 0;
    if (!sl)
        return -400;
    const char *a = s + sl, *pe = a;
    while (pe < e && *pe != '/' && *pe != '?')
        pe++;
    if (pe == a || !valid_authority(a, (size_t)(pe - a)))
        return -400;
    const char *qm = memchr(pe, '?', (size_t)(e - pe));
    if (pe < e && *pe == '/') {
        req->path = pe;
        req->path_len = (size_t)((qm ? qm : e) - pe);
    } else {
        /* "http://host" or "http://host?q": the path is "/" (RFC 9110 4.2.3).
         * The second slash of the scheme is one, inside the caller's buffer. */
        req->path = s + sl - 1;
        req->path_len = 1;
    }
    req->query = qm ? qm + 1 : NULL;
    req->query_len = qm ? (size_t)(e - qm - 1) : 0;
    return 0;
}

/* Request line "METHOD SP target SP HTTP/1.x" in p..end (no line ending),
 * target in origin form (/path?query) or absolute form; 0 or -status. */
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
    if (p == s || p >= end)
        return -400;
    for (const char *q = s; q < p; q++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
            return -400;
    if (*s == '/') {
        const char *qm = memchr(s, '?', (size_t)(p - s));
        req->path = s;
        req->path_len = (size_t)((qm ? qm : p) - s);
        req->query = qm ? qm + 1 : NULL;
        req->query_len = qm ? (size_t)(p - qm - 1) : 0;
    } else if (parse_absolute_form(s, p, req) < 0) {
        return -400;
    }
    p++;
    if (end - p != 8 || memcmp(p, "HTTP/1.", 7) != 0)
        return (end - p >= 5 && !memcmp(p, "HTTP/", 5)) ? -505 : -400;
    if (p[7] != '0' && p[7] != '1')
        return -505;
    req->minor = p[7] - '0';
    return 0;
}

/* What the header lines say about framing and the connection. */
struct head_facts {
    long content_length; /* -1 when absent */
    int conn_close, conn_keep;
    int n_host, bad_host;         /* Host lines; one with an invalid value */
    int expect_100, expect_other; /* Expect: 100-continue; any other expectation */
};

/* Parses the header lines in p..end (end = the start of the empty line that
 * ends the head) into hs and *f. 0, or -400 / -431 / -501 as
 * http_parse_request documents. */
static int parse_headers(const char *p, const char *end, int max_headers, struct http_header *hs,
                         int *n_headers, struct head_facts *f)
{
    const char *le = end;
    while (p < end) {
        const char *nl = line_end(p, end, &le);
        if (!nl) /* cannot happen: every header line before end has its LF */
            return -400;
        const char *colon = p;
        while (colon < le && is_tchar((unsigned char)*colon))
            colon++;
        if (colon == p || colon >= le || *colon != ':')
            return -400; /* also rejects obsolete line folding */
        if (*n_headers >= max_headers || *n_headers >= HTTP_MAX_HEADERS + HTTP_PROXY_HEADERS)
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
        if (h->name_len == 4 && !strncasecmp(p, "Host", 4)) {
            f->n_host++;
            f->bad_host |= !valid_authority(v, h->value_len);
        } else if (h->name_len == 14 && !strncasecmp(p, "Content-Length", 14)) {
            if (h->value_len == 0 || h->value_len > 18)
                return h->value_len > 18 ? -413 : -400;
            long n = 0;
            for (const char *q = v; q < ve; q++) {
                if (!isdigit((unsigned char)*q))
                    return -400;
                n = n * 10 + (*q - '0');
            }
            if (f->content_length >= 0 && f->content_length != n)
                return -400;
            f->content_length = n;
        } else if (h->name_len == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
            return -501;
        } else if (h->name_len == 10 && !strncasecmp(p, "Connection", 10)) {
            f->conn_close |= has_token(v, h->value_len, "close");
            f->conn_keep |= has_token(v, h->value_len, "keep-alive");
        } else if (h->name_len == 6 && !strncasecmp(p, "Expect", 6)) {
            if (h->value_len == 12 && !strncasecmp(v, "100-continue", 12))
                f->expect_100 = 1;
            else
                f->expect_other = 1;
        }
        p = nl + 1;
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
    req->expect_continue = 0;
    for (int i = 0; i < 4; i++) {
        if (skip < len && buf[skip] == '\n')
            skip++;
        else if (skip + 2 <= len && buf[skip] == '\r' && buf[skip + 1] == '\n')
            skip += 2;
        else
            break;
    }
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
    const char *blank, *le;
    size_t head_len = head_length(buf, len < lim->max_head ? len : lim->max_head, &blank);
    if (!head_len)
        return len > lim->max_head ? -431 : 0;
    memset(req, 0, offsetof(struct http_request, headers));
    const char *nl = line_end(buf, blank, &le);
    if (!nl) /* the empty line is the first: no request line */
        return -400;
    int rc = parse_request_line(buf, le, req);
    if (rc < 0)
        return rc;
    struct head_facts f = {.content_length = -1};
    rc = parse_headers(nl + 1, blank, lim->max_headers, req->headers, &req->n_headers, &f);
    if (rc < 0)
        return rc;
    /* RFC 9112 3.2: one Host, required from HTTP/1.1 clients, and valid. */
    if (f.n_host > 1 || f.bad_host || (f.n_host == 0 && req->minor >= 1))
        return -400;
    req->keep_alive = f.conn_close ? 0 : (req->minor >= 1 || f.conn_keep);
    long content_length = f.content_length < 0 ? 0 : f.content_length;
    if ((size_t)content_length > lim->max_body)
        return -413;
    /* RFC 9110 10.1.1: 100-continue is the only expectation; an HTTP/1.0
     * client's is ignored. */
    if (f.expect_other)
        return -417;
    if (len - head_len < (size_t)content_length) {
        /* Ask for the body only when none of it has come yet (as nginx). */
        req->expect_continue = f.expect_100 && req->minor >= 1 && len == head_len;
        return 0;
    }
    req->body = buf + head_len;
    req->body_len = (size_t)content_length;
    return (long)(head_len + (size_t)content_length);
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
    case 417:
        return "the only expectation served is Expect: 100-continue";
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
    case 201:
        return "Created";
    case 202:
        return "Accepted";
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
    case 409:
        return "Conflict";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
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
