/* JSON-lines access log: one line per request, to stderr or a file. Safe to
 * share between region threads: each line is a single write(2) on an
 * O_APPEND descriptor. */
#ifndef RECSYS_NET_ACCESSLOG_H
#define RECSYS_NET_ACCESSLOG_H

#include <stddef.h>

struct accesslog;

/* spec "off" gives *out = NULL (no logging), "stderr", or a file path opened
 * for appending. 0, or -1 with err. */
int accesslog_open(const char *spec, struct accesslog **out, char *err, size_t errlen);
void accesslog_close(struct accesslog *l);
/* Writes {"time","region","method","path","status","latency_ms","cache"}.
 * NULL log does nothing. method/path need not be NUL-terminated. */
void accesslog_write(struct accesslog *l, const char *region, const char *method, size_t method_len,
                     const char *path, size_t path_len, int status, double latency_ms,
                     const char *cache);

#endif
