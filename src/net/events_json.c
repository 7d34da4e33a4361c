/* The events body reader (see events_json.h): a recursive-descent walk of
 * RFC 8259 JSON with a nesting limit. */
#include "net/events_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EJ_DEPTH 32 /* nesting accepted inside skipped values */

struct ej {
    const char *p, *end;
};

static void ej_ws(struct ej *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int ej_hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Reads a string (at '"') into out (cap bytes, may be NULL: skip), cut at
 * cap - 1 with *cut set. \uXXXX outside ASCII is kept as '?': no value we
 * keep may have one. 0, or -1 on a syntax error. */
static int ej_string(struct ej *j, char *out, size_t cap, int *cut)
{
    size_t n = 0;
    if (j->p >= j->end || *j->p != '"')
        return -1;
    j->p++;
    /* Fast path, nearly every string: no escape up to the closing quote. */
    const char *q = j->p;
    while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    if (q < j->end && *q == '"') {
        size_t len = (size_t)(q - j->p);
        if (out) {
            n = len < cap - 1 ? len : cap - 1;
            memcpy(out, j->p, n);
            out[n] = '\0';
            if (n < len && cut)
                *cut = 1;
        }
        j->p = q + 1;
        return 0;
    }
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p++;
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            if (j->p >= j->end)
                return -1;
            char e = *j->p++;
            switch (e) {
            case '"':
            case '\\':
            case '/':
                c = (unsigned char)e;
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'u': {
                int v = 0;
                for (int k = 0; k < 4; k++) {
                    int h = j->p < j->end ? ej_hex(*j->p++) : -1;
                    if (h < 0)
                        return -1;
                    v = v * 16 + h;
                }
                c = v < 0x80 ? (unsigned char)v : '?';
                break;
            }
            default:
                return -1;
            }
        }
        if (out) {
            if (n + 1 < cap)
                out[n++] = (char)c;
            else if (cut)
                *cut = 1;
        }
    }
    if (j->p >= j->end)
        return -1;
    j->p++;
    if (out)
        out[n] = '\0';
    return 0;
}

/* A number at p: its value; -1 on a syntax error (RFC 8259 grammar). */
static int ej_number(struct ej *j, double *v)
{
    const char *s = j->p, *p = j->p;
    char tmp[64];
    if (p < j->end && *p == '-')
        p++;
    if (p >= j->end || *p < '0' || *p > '9')
        return -1;
    if (*p == '0')
        p++;
    else
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    if (p < j->end && *p == '.') {
        p++;
        if (p >= j->end || *p < '0' || *p > '9')
            return -1;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= j->end || *p < '0' || *p > '9')
            return -1;
        while (p < j->end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t n = (size_t)(p - s);
    if (n <= 15 && !memchr(s, '.', n) && !memchr(s, 'e', n) && !memchr(s, 'E', n)) {
        /* an integer of at most 15 digits: exact in a double, strtod's value */
        int64_t i = 0;
        for (const char *d = *s == '-' ? s + 1 : s; d < p; d++)
            i = i * 10 + (*d - '0');
        *v = *s == '-' ? -(double)i : (double)i;
    } else if (n >= sizeof tmp) { /* absurdly long: a value out of any range we accept */
        *v = 1e300;
    } else {
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        *v = strtod(tmp, NULL);
    }
    j->p = p;
    return 0;
}

static int ej_lit(struct ej *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
        return -1;
    j->p += n;
    return 0;
}

/* Skips any value (syntax checked). 0 or -1. */
static int ej_skip(struct ej *j, int depth)
{
    double d;
    ej_ws(j);
    if (j->p >= j->end || depth > EJ_DEPTH)
        return -1;
    char c = *j->p;
    if (c == '"')
        return ej_string(j, NULL, 0, NULL);
    if (c == 't')
        return ej_lit(j, "true");
    if (c == 'f')
        return ej_lit(j, "false");
    if (c == 'n')
        return ej_lit(j, "null");
    if (c == '[' || c == '{') {
        char close = c == '[' ? ']' : '}';
        j->p++;
        ej_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                ej_ws(j);
                if (ej_string(j, NULL, 0, NULL) < 0)
                    return -1;
                ej_ws(j);
                if (j->p >= j->end || *j->p++ != ':')
                    return -1;
            }
            if (ej_skip(j, depth + 1) < 0)
                return -1;
            ej_ws(j);
            if (j->p >= j->end)
                return -1;
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p++ != close)
                return -1;
            return 0;
        }
    }
    return ej_number(j, &d);
}

/* Reads a value into v: strings and numbers kept, null noted, others skipped. */
static int ej_value(struct ej *j, struct events_json_value *v)
{
    ej_ws(j);
    memset(v, 0, sizeof *v);
    if (j->p >= j->end)
        return -1;
    if (*j->p == '"') {
        v->kind = EJ_STRING;
        return ej_string(j, v->s, sizeof v->s, &v->too_long);
    }
    if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
        v->kind = EJ_NUMBER;
        return ej_number(j, &v->num);
    }
    if (*j->p == 'n') {
        v->kind = EJ_NULL;
        return ej_lit(j, "null");
    }
    v->kind = EJ_OTHER;
    return ej_skip(j, 1);
}

/* Reads an object (at '{') as an event; when events_at is not NULL, the
 * position of an "events" member's value is noted there (and skipped). */
static int ej_event(struct ej *j, struct events_json_event *ev, const char **events_at)
{
    memset(ev, 0, sizeof *ev);
    ev->is_object = 1;
    j->p++;
    ej_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return 0;
    }
    for (;;) {
        char key[16];
        int cut = 0;
        struct events_json_value *v = NULL;
        ej_ws(j);
        if (ej_string(j, key, sizeof key, &cut) < 0)
            return -1;
        ej_ws(j);
        if (j->p >= j->end || *j->p++ != ':')
            return -1;
        if (!cut) {
            if (!strcmp(key, "user_id"))
                v = &ev->user_id;
            else if (!strcmp(key, "product_id"))
                v = &ev->product_id;
            else if (!strcmp(key, "type"))
                v = &ev->type;
            else if (!strcmp(key, "ts"))
                v = &ev->ts;
            else if (!strcmp(key, "request_id"))
                v = &ev->request_id;
            else if (events_at && !strcmp(key, "events")) {
                ej_ws(j);
                *events_at = j->p;
            }
        }
        if (v ? ej_value(j, v) < 0 : ej_skip(j, 1) < 0)
            return -1;
        ej_ws(j);
        if (j->p >= j->end)
            return -1;
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        return *j->p++ == '}' ? 0 : -1;
    }
}

int events_json_walk(const char *body, size_t len, size_t max,
                     int (*fn)(void *ctx, size_t index, const struct events_json_event *ev),
                     void *ctx)
{
    struct ej j = {body, body + len};
    struct events_json_event ev;
    const char *events_at = NULL;
    ej_ws(&j);
    if (j.p >= j.end || *j.p != '{' || ej_event(&j, &ev, &events_at) < 0)
        return -400;
    ej_ws(&j);
    if (j.p != j.end)
        return -400;
    if (!events_at)
        return fn(ctx, 0, &ev);
    j.p = events_at; /* checked once already: a second walk cannot fail on syntax */
    if (*j.p != '[')
        return -422;
    j.p++;
    ej_ws(&j);
    if (j.p < j.end && *j.p == ']')
        return -422;
    for (size_t i = 0;; i++) {
        int rc;
        ej_ws(&j);
        if (i >= max)
            return -413;
        if (j.p < j.end && *j.p == '{') {
            rc = ej_event(&j, &ev, NULL);
        } else {
            memset(&ev, 0, sizeof ev);
            rc = ej_skip(&j, 1);
        }
        if (rc < 0)
            return -400;
        if ((rc = fn(ctx, i, &ev)) < 0)
            return rc;
        ej_ws(&j);
        if (j.p < j.end && *j.p == ',') {
            j.p++;
            continue;
        }
        return j.p < j.end && *j.p == ']' ? 0 : -400;
    }
}
