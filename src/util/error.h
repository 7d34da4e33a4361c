/* One error convention for the whole program (after redis' anetSetError):
 * functions return 0 on success and a negative `enum err_code` on failure,
 * and fill a caller-supplied buffer with one human sentence naming the file,
 * line, column or field at fault. Callers branch on the code (an HTTP status
 * is chosen from it), never on the text. Library code never prints; the
 * command layer decides. */
#ifndef RECSYS_UTIL_ERROR_H
#define RECSYS_UTIL_ERROR_H

#include <stddef.h>

#define ERR_LEN 512

enum err_code {
    ERR_OK = 0,
    ERR_FAIL = -1,        /* anything else: I/O, a database fault, a bug (HTTP 500) */
    ERR_INVALID = -2,     /* the caller's input is malformed or out of range (400/422) */
    ERR_NOT_FOUND = -3,   /* a well-formed id or version that does not exist (404) */
    ERR_CONFLICT = -4,    /* the request clashes with current state (409) */
    ERR_CORRUPT = -5,     /* stored data fails its checks: checksum, format (409 on activate) */
    ERR_NOMEM = -6,       /* out of memory or over a hard size limit (500/413) */
    ERR_BUSY = -7,        /* a resource is locked or a queue is full; retry later (503) */
    ERR_INTERRUPTED = -8, /* stopped by a signal (exit 130/143) */
};

/* printf-style; safe with err == NULL or errlen == 0. Returns `code`, so a
 * caller can write `return err_code_set(err, errlen, ERR_NOT_FOUND, "...")`. */
int err_code_set(char *err, size_t errlen, enum err_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The common case: err_code_set with ERR_FAIL (returns -1). */
int err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "invalid", "not_found", ...: a stable name for logs and JSON error bodies. */
const char *err_code_name(int code);

#endif
