/* S3's XML answers, read by hand (see s3xml.h). */
#include "store/s3xml.h"

#include <stdlib.h>
#include <string.h>

/* The first occurrence of the n bytes needle in [p, end), or NULL. */
static const char *s3xml_mem(const char *p, const char *end, const char *needle, size_t n)
{
    while (p && (size_t)(end - p) >= n) {
        const char *lt = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (!lt)
            return NULL;
        if (memcmp(lt, needle, n) == 0)
            return lt;
        p = lt + 1;
    }
    return NULL;
}

const char *s3xml_find(const char *p, const char *end, const char *tag, const char **content_end,
                       const char **next)
{
    size_t n = strlen(tag);
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt)
            return NULL;
        const char *name = lt + 1;
        /* "<tag>" or "<tag/>" exactly: "<tagX>" and "</tag>" do not match. */
        if ((size_t)(end - name) > n && memcmp(name, tag, n) == 0) {
            const char *after = name + n;
            if (*after == '>') {
                const char *content = after + 1;
                char close[96];
                if (n + 4 > sizeof close)
                    return NULL;
                close[0] = '<', close[1] = '/';
                memcpy(close + 2, tag, n);
                close[n + 2] = '>';
                const char *c = s3xml_mem(content, end, close, n + 3);
                if (!c)
                    return NULL;
                *content_end = c;
                if (next)
                    *next = c + n + 3;
                return content;
            }
            if (*after == '/' && after + 1 < end && after[1] == '>') {
                *content_end = after;
                if (next)
                    *next = after + 2;
                return after;
            }
        }
        p = name;
    }
    return NULL;
}

/* Appends code point cp as UTF-8; -1 when it is not a valid scalar value or
 * does not fit. */
static int s3xml_utf8(unsigned long cp, char *out, size_t *len, size_t outlen)
{
    unsigned char b[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6)), b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F)), n = 4;
    }
    if (*len + n >= outlen)
        return -1;
    memcpy(out + *len, b, n);
    *len += n;
    return 0;
}

long s3xml_text(const char *p, const char *end, char *out, size_t outlen)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    size_t len = 0;
    if (outlen == 0)
        return -1;
    while (p < end) {
        if (*p != '&') {
            if (len + 1 >= outlen)
                return -1;
            out[len++] = *p++;
            continue;
        }
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi || semi - p > 12)
            return -1;
        const char *ent = p + 1;
        size_t n = (size_t)(semi - ent);
        if (n >= 2 && ent[0] == '#') {
            int hex = ent[1] == 'x' || ent[1] == 'X';
            const char *digits = ent + 1 + hex;
            char *stop;
            if (digits == semi)
                return -1;
            char num[12];
            memcpy(num, digits, (size_t)(semi - digits));
            num[semi - digits] = '\0';
            unsigned long cp = strtoul(num, &stop, hex ? 16 : 10);
            if (*stop || num[0] == '-' || num[0] == '+' || num[0] == ' ' ||
                s3xml_utf8(cp, out, &len, outlen) < 0)
                return -1;
        } else {
            size_t i;
            for (i = 0; i < sizeof named / sizeof named[0]; i++)
                if (strlen(named[i].name) == n && memcmp(named[i].name, ent, n) == 0)
                    break;
            if (i == sizeof named / sizeof named[0] || len + 1 >= outlen)
                return -1;
            out[len++] = named[i].c;
        }
        p = semi + 1;
    }
    out[len] = '\0';
    return (long)len;
}

long s3xml_get(const char *p, const char *end, const char *tag, char *out, size_t outlen)
{
    const char *ce;
    const char *c = s3xml_find(p, end, tag, &ce, NULL);
    if (!c)
        return -1;
    return s3xml_text(c, ce, out, outlen);
}
