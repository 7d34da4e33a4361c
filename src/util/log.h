/* The structured log: one JSON object per line,
 *   {"time":"2026-01-02T03:04:05.678Z","level":"info","region":"us-west","event":"start",...}
 * for every layer (start, stop, config, reload, activate, admin actions, errors, access).
 *
 * Process-wide and thread-safe. log_event formats the line in the caller's thread and appends
 * it to a bounded in-memory queue; one logger thread writes the queue to the sink. A slow or
 * stuck sink (stderr into a pipe nobody reads) never blocks the caller: when the queue is full
 * the line is dropped and counted (log_get_stats, /metrics recsys_log_dropped_total). With no
 * log open (log = off, unit tests) log_event does nothing. */
#ifndef RECSYS_UTIL_LOG_H
#define RECSYS_UTIL_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#define LOG_QUEUE_BYTES (256 * 1024) /* queued, not yet written; more is dropped */
#define LOG_LINE_MAX    2048         /* longer fields are cut, the line stays valid JSON */
#define LOG_CLOSE_WAIT  1.0          /* seconds log_close waits for a stuck sink */

struct log_stats {
    uint64_t written; /* lines handed to the sink */
    uint64_t dropped; /* lines lost: queue full, sink error, or abandoned at close */
    uint64_t queued;  /* bytes waiting now */
};

/* Opens the process-wide log. spec: "off" (nothing is logged; 0 returned), "stderr", or a
 * file path opened for appending. Reference counted: opening again with the same spec only
 * takes another reference (server_start and the command both open it); another spec while
 * open is ERR_CONFLICT. 0, or a negative enum err_code with err filled. */
int log_open(const char *spec, char *err, size_t errlen);
/* Drops one reference; the last one writes what is queued, waiting at most LOG_CLOSE_WAIT
 * seconds for the sink, then gives up (counting the rest as dropped) so shutdown never hangs. */
void log_close(void);
/* 1 when lines go somewhere; callers may skip building expensive fields otherwise. */
int log_active(void);
/* 1 when the open log writes to stderr: a command must then print nothing else to stderr
 * while serving (a blocked stderr would block it), and logs events instead. */
int log_on_stderr(void);
void log_get_stats(struct log_stats *out);

/* Logs one event. region: NULL for a process-wide event (JSON null). event: a short
 * lower-case name ("start", "reload", "activate", "access", "error").
 * fields: NULL, or `key=VALUE` pairs separated by single spaces, where VALUE is one printf
 * conversion or literal text, e.g.
 *   log_event(LOG_LEVEL_INFO, "us-west", "activate", "version=%lld by=%s ms=%.1f", v, ip, ms);
 * Conversions: d i u x with h hh l ll z j; f g e (with precision; NaN/inf give null);
 * s (JSON-escaped, NULL gives null); .*s (int length, then the bytes); literal text becomes
 * a JSON string. The compiler checks the arguments against the conversions. */
void log_event(enum log_level level, const char *region, const char *event, const char *fields, ...)
    __attribute__((format(printf, 4, 5)));

#define log_info(region, event, ...)  log_event(LOG_LEVEL_INFO, region, event, __VA_ARGS__)
#define log_warn(region, event, ...)  log_event(LOG_LEVEL_WARN, region, event, __VA_ARGS__)
#define log_error(region, event, ...) log_event(LOG_LEVEL_ERROR, region, event, __VA_ARGS__)

/* Formats one line exactly as log_event queues it (with the trailing '\n') into buf, for
 * tests and for callers that batch; returns its length (< buflen, at most LOG_LINE_MAX). */
size_t log_format(char *buf, size_t buflen, enum log_level level, const char *region,
                  const char *event, const char *fields, ...) __attribute__((format(printf, 6, 7)));

#endif
