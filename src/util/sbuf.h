/* Growable byte buffer with a hard maximum, as curl's dynbuf: once an append
 * would pass max the buffer stops growing and `overflow` is set (callers
 * answer 500 or 431). The bytes are always NUL-terminated. Responses,
 * forwarded requests and JSON bodies are built in it. */
#ifndef RECSYS_UTIL_SBUF_H
#define RECSYS_UTIL_SBUF_H

#include <stdarg.h> /* for callers that format with va_list */
#include <stddef.h>

struct sbuf {
    char *p;
    size_t len, cap, max;
    int overflow;
};

/* An empty buffer that will never hold more than max - 1 bytes (nothing is
 * allocated until the first append). */
void sbuf_init(struct sbuf *b, size_t max);
void sbuf_free(struct sbuf *b);
/* Empties b, keeping its memory for the next use. */
static inline void sbuf_reset(struct sbuf *b)
{
    b->len = 0;
    b->overflow = 0;
}
/* Room for extra more bytes: 0, or -1 (overflow set). */
int sbuf_reserve(struct sbuf *b, size_t extra);
void sbuf_append(struct sbuf *b, const void *data, size_t n);
static inline void sbuf_puts(struct sbuf *b, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    sbuf_append(b, s, n);
}
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void sbuf_json_str(struct sbuf *b, const char *s);

#endif
