/* The access log: one structured log line (util/log.h) per request,
 *   {"time","level","region","event":"access","method","path","status","latency_ms","cache",
 *    "client"}
 * level "error" for a 5xx, else "info". It only formats: the queue, the writer thread and the
 * sink (stderr or a file, the `log` key) are util/log's, shared with every other event, so a
 * stuck sink drops lines instead of blocking a region. */
#ifndef RECSYS_NET_ACCESSLOG_H
#define RECSYS_NET_ACCESSLOG_H

#include <stddef.h>

struct accesslog;

/* spec "off" gives *out = NULL (no logging); "stderr" or a file path opens (or takes a
 * reference on) the process-wide log. 0, or a negative enum err_code with err. */
int accesslog_open(const char *spec, struct accesslog **out, char *err, size_t errlen);
/* Drops the reference; the last one flushes the log (bounded wait). NULL does nothing. */
void accesslog_close(struct accesslog *l);
/* Queues one access line; never blocks. NULL log does nothing (and costs
 * nothing: the client's address is only formatted for a line that is
 * written). method/path need not be NUL-terminated; cache NULL gives null.
 * client: the real client's address, 16 bytes as net/forwarded.h keeps it. */
void accesslog_write(struct accesslog *l, const char *region, const char *method, size_t method_len,
                     const char *path, size_t path_len, int status, double latency_ms,
                     const char *cache, const unsigned char client[16]);

#endif
