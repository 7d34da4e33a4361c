/* A request parked while a background job (bio.h) works for it. The parsed
 * request points into the client connection's input buffer, which moves on
 * to the next pipelined request, so the request is kept as a private copy
 * (re-serialised, then parsed again when the answer is due) together with
 * the connection to answer and the handler's own state (an opaque copy).
 * The connection holds &def (evloop.h); its cancel only forgets the
 * connection, because the job still names the pending until it ends:
 * whoever runs the job's completion frees it. One thread only (the loop
 * that received the request). */
#ifndef RECSYS_NET_PENDING_H
#define RECSYS_NET_PENDING_H

#include <stddef.h>

#include "net/evloop.h"
#include "net/http.h"

struct pending {
    struct evloop_deferred def; /* what the connection holds */
    void *conn;                 /* the connection (opaque); NULL once it went away */
    struct sbuf *out;           /* its output buffer, valid while conn is set */
    unsigned char addr[16];     /* its peer address */
    int keep;                   /* the request allowed keep-alive */
    void *state;                /* state_len bytes of the caller's, copied */
    char *raw;                  /* the request, re-serialised */
    size_t raw_len;
};

/* Copies req (its method, target, headers and body) and state_len bytes at
 * state into a new pending for connection conn. 0 and *out, or ERR_NOMEM;
 * ERR_INVALID when the copy does not parse back (never expected). */
int pending_new(const struct http_request *req, void *conn, struct sbuf *out,
                const unsigned char addr[16], const void *state, size_t state_len,
                struct pending **pout);
/* Parses the copy into req, whose fields then point into p: the same
 * method, path, query, headers and body as the original. 0 or -1. */
int pending_request(const struct pending *p, struct http_request *req);
void pending_free(struct pending *p);

#endif
