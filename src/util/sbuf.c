/* Growable byte buffer with a hard maximum (curl's dynbuf): responses,
 * forwarded requests and JSON are built in it (see sbuf.h). */
#include "util/sbuf.h"
#include "util/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(struct sbuf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void sbuf_free(struct sbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int sbuf_reserve(struct sbuf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (b->overflow || need > b->max) {
        b->overflow = 1;
        return -1;
    }
    if (need <= b->cap)
        return 0;
    /* From 1 KiB (the first response fits), doubling, never past max. */
    void *p = b->p;
    if (mem_grow(&p, 1, need < 1024 && b->max >= 1024 ? 1024 : need, &b->cap, b->max) < 0) {
        b->overflow = 1;
        return -1;
    }
    b->p = p;
    return 0;
}

void sbuf_append(struct sbuf *b, const void *data, size_t n)
{
    if (sbuf_reserve(b, n) < 0)
        return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    char tmp[256];
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sbuf_append(b, tmp, (size_t)n);
        return;
    }
    if (sbuf_reserve(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_json_str(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    if (sbuf_reserve(b, n * 6 + 2) < 0)
        return;
    char *o = b->p + b->len;
    *o++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20) {
            *o++ = '\\';
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
}
