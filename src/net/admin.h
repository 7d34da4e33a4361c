/* Who may call an admin route (model activation, rollback, and any route the
 * route table marks admin), and how the caller is named in the log.
 *   - admin_keys_file set: the request must carry one of its keys in
 *     X-API-Key, from anywhere;
 *   - not set: only loopback clients (127.0.0.0/8, ::1), as forwarded.c
 *     finds them. A request whose X-Forwarded-For cannot be believed does
 *     not count as loopback: behind an untrusted proxy every client would.
 * Pure: no locks, no I/O. */
#ifndef RECSYS_NET_ADMIN_H
#define RECSYS_NET_ADMIN_H

#include <stddef.h>

#include "net/forwarded.h"

struct apikeys;

#define ADMIN_KEY_ID_LEN 16 /* "sha256:" + 8 hex digits + NUL */

enum admin_verdict {
    ADMIN_ALLOW,
    ADMIN_KEY_MISSING, /* 401: admin keys are configured, none was sent */
    ADMIN_KEY_WRONG,   /* 401: the key sent is no admin key */
    ADMIN_NOT_LOCAL,   /* 403: no admin keys, and the client is not on loopback */
};

/* The verdict for a client (16 bytes, found as `how` says) sending key
 * (key_len bytes; NULL: no X-API-Key). admin_keys NULL: none configured. */
enum admin_verdict admin_check(const struct apikeys *admin_keys, const char *key, size_t key_len,
                               const unsigned char client[16], enum forwarded_how how);
/* Every key check of a route: 0 to serve it, 401 (key missing or wrong;
 * a failed try the caller charges to the client's rate limit) or 403 (an
 * admin route, no admin keys, a client not on loopback). *why: the message.
 * A protected route needs one of keys (NULL: none configured, open) or an
 * admin key; an admin route needs what admin_check says, and an admin key
 * stands in for an API key there. */
int admin_gate(const struct apikeys *keys, const struct apikeys *admin_keys, int protected_route,
               int admin, const char *key, size_t key_len, const unsigned char client[16],
               enum forwarded_how how, const char **why);
/* A key's name for logs: "sha256:" and the first 8 hex digits of its SHA-256,
 * enough to tell keys apart, useless to guess one. */
void admin_key_id(const char *key, size_t key_len, char out[ADMIN_KEY_ID_LEN]);

/* Logs one admin request (event "admin", warn when refused or failed):
 * action (a route name) and its path parameter (arg, arg_len bytes; NULL:
 * none), the status, and who: the client, the peer it came through when
 * forwarded, and the key's name (admin_key_id; key NULL: none sent). */
void admin_log(const char *region, const char *action, const char *arg, size_t arg_len, int status,
               const unsigned char client[16], const unsigned char peer[16], enum forwarded_how how,
               const char *key, size_t key_len);

#endif
