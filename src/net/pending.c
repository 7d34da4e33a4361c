/* Requests parked for a background job (see pending.h). */
#include "net/pending.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static void pending_cancel(struct evloop_deferred *d)
{
    struct pending *p = evloop_container_of(d, struct pending, def);
    p->conn = NULL; /* the job's completion frees it */
    p->out = NULL;
}

/* Limits that accept the copy whatever it grew by (bare LFs became CRLF). */
static void copy_limits(const struct pending *p, struct http_limits *lim)
{
    http_limits_default(lim);
    lim->max_head = p->raw_len;
    lim->max_body = p->raw_len;
}

int pending_request(const struct pending *p, struct http_request *req)
{
    struct http_limits lim;
    copy_limits(p, &lim);
    return http_parse_request(p->raw, p->raw_len, &lim, req) == (long)p->raw_len ? 0 : -1;
}

/* "METHOD /path?query HTTP/1.m", the headers as they came, the body. */
static char *serialise(const struct http_request *q, size_t *len)
{
    size_t n = q->method_len + q->path_len + q->query_len + q->body_len + 32;
    for (int i = 0; i < q->n_headers; i++)
        n += q->headers[i].name_len + q->headers[i].value_len + 4;
    char *s = malloc(n), *w = s;
    if (!s)
        return NULL;
    w += sprintf(w, "%.*s %.*s%s%.*s HTTP/1.%d\r\n", (int)q->method_len, q->method,
                 (int)q->path_len, q->path, q->query ? "?" : "", (int)q->query_len,
                 q->query ? q->query : "", q->minor);
    for (int i = 0; i < q->n_headers; i++)
        w += sprintf(w, "%.*s: %.*s\r\n", (int)q->headers[i].name_len, q->headers[i].name,
                     (int)q->headers[i].value_len, q->headers[i].value);
    w += sprintf(w, "\r\n");
    if (q->body_len)
        memcpy(w, q->body, q->body_len);
    *len = (size_t)(w - s) + q->body_len;
    return s;
}

int pending_new(const struct http_request *req, void *conn, struct sbuf *out,
                const unsigned char addr[16], const void *state, size_t state_len,
                struct pending **pout)
{
    struct pending *p = calloc(1, sizeof *p);
    struct http_request check;
    *pout = NULL;
    if (!p || !(p->state = malloc(state_len ? state_len : 1)) ||
        !(p->raw = serialise(req, &p->raw_len))) {
        pending_free(p);
        return ERR_NOMEM;
    }
    if (pending_request(p, &check) < 0) {
        pending_free(p);
        return ERR_INVALID;
    }
    memcpy(p->state, state, state_len);
    memcpy(p->addr, addr, 16);
    p->def.cancel = pending_cancel;
    p->conn = conn;
    p->out = out;
    p->keep = req->keep_alive;
    *pout = p;
    return 0;
}

void pending_free(struct pending *p)
{
    if (!p)
        return;
    free(p->state);
    free(p->raw);
    free(p);
}
