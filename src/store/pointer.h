/* The active-version pointer of a model store (PREFIX/active.json): which
 * version regions serve, and the activations before it so that rollback can
 * go back. Written last when publishing, so a half-uploaded version is never
 * active. JSON through cJSON; no I/O here.
 *
 *   {"format": 1, "active": 7, "history": [3, 5, 7], "updated_at": "..."}
 *
 * history lists the activations oldest first and ends with the active
 * version; rollback drops the last entry, as modelstore's activation log. */
#ifndef RECSYS_STORE_POINTER_H
#define RECSYS_STORE_POINTER_H

#include <stddef.h>
#include <stdint.h>

#define POINTER_FORMAT      1
#define POINTER_HISTORY_MAX 64 /* older activations are forgotten */
#define POINTER_MAX_BYTES   (64 << 10)
#define POINTER_NAME        "active.json"

struct pointer {
    int64_t active; /* 0: nothing active yet */
    int n;          /* entries of history */
    int64_t history[POINTER_HISTORY_MAX];
    char updated_at[24]; /* UTC "YYYY-MM-DD HH:MM:SS", for people */
};

/* p as JSON text (malloc'd), or NULL when out of memory. */
char *pointer_to_json(const struct pointer *p);

/* Parses len bytes into *p. ERR_CORRUPT naming source and the field when
 * malformed (including an active version that is not history's last
 * entry); ERR_INVALID when the format is not POINTER_FORMAT. */
int pointer_parse(const char *text, size_t len, const char *source, struct pointer *p, char *err,
                  size_t errlen);

/* Makes v active (appended to history; the oldest entry goes when full)
 * and stamps updated_at. Returns 0, or 1 when v was active already
 * (nothing changes). */
int pointer_activate(struct pointer *p, int64_t v);

/* Goes back to the version active before the current one; *now is it.
 * ERR_CONFLICT when there is none. */
int pointer_rollback(struct pointer *p, int64_t *now, char *err, size_t errlen);

#endif
