/* printf-exact number formatting without printf (see jsonnum.h).
 *
 * A finite double a > 0 is m * 2^q exactly (m < 2^53). Its decimal digits
 * at scale 10^s are m * 10^s / 2^-q (s >= 0) or m / (10^-s * 2^-q) (s < 0):
 * integers that fit in 128 bits for 1e-6 <= a < 1e15, so the quotient and
 * the remainder are exact and rounding (to nearest, ties to even, as glibc's
 * printf does) needs no guess. Outside that range snprintf does the work. */
#include "net/jsonnum.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef unsigned __int128 u128;

#define P19 10000000000000000000ULL

static const u128 pow10_tab[23] = {
    1ULL,
    10ULL,
    100ULL,
    1000ULL,
    10000ULL,
    100000ULL,
    1000000ULL,
    10000000ULL,
    100000000ULL,
    1000000000ULL,
    10000000000ULL,
    100000000000ULL,
    1000000000000ULL,
    10000000000000ULL,
    100000000000000ULL,
    1000000000000000ULL,
    10000000000000000ULL,
    100000000000000000ULL,
    1000000000000000000ULL,
    P19,
    (u128)P19 * 10,
    (u128)P19 * 100,
    (u128)P19 * 1000,
};

static const double pow10_dbl[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define FAST_MIN 1e-6
#define FAST_MAX 1e15

/* a (> 0, normal) as m * 2^q. */
static void split(double a, uint64_t *m, int *q)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    *m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    *q = (int)((bits >> 52) & 0x7ff) - 1075;
}

/* m * 2^q * 10^s rounded to the nearest integer, ties to even, in *k; -1
 * when an intermediate would not fit (callers then use snprintf). */
static int scaled(uint64_t m, int q, int s, uint64_t *k, uint64_t *trunc)
{
    u128 ip, rem, den;
    if (q >= 0 || q < -120 || s > 22 || s < -19)
        return -1;
    if (s >= 0) {
        u128 num = (u128)m * pow10_tab[s];
        int sh = -q;
        ip = num >> sh;
        rem = num & (((u128)1 << sh) - 1);
        den = (u128)1 << sh;
    } else {
        if (-q + 64 > 126)
            return -1;
        den = pow10_tab[-s] << -q;
        ip = m / den;
        rem = m % den;
    }
    if (ip >= ((u128)1 << 63))
        return -1;
    *trunc = (uint64_t)ip;
    if (rem * 2 > den || (rem * 2 == den && (ip & 1)))
        ip++;
    *k = (uint64_t)ip;
    return 0;
}

/* The nd significant digits of a (FAST_MIN <= a < FAST_MAX, nd <= 17) as
 * *k (10^(nd-1) <= k < 10^nd) times 10^(*e - nd + 1), rounded as printf's
 * %.{nd-1}e would. -1: use snprintf. */
static int sig_digits(double a, int nd, uint64_t *k, int *e)
{
    uint64_t m, t;
    int q;
    split(a, &m, &q);
    /* a is in [2^(q+52), 2^(q+53)): floor((q + 52) log10 2) is the decimal
     * exponent or one below it, which the loop corrects */
    int ex = (int)floor((q + 52) * 0.30102999566398119521);
    for (int tries = 0; tries < 3; tries++) {
        if (scaled(m, q, nd - 1 - ex, k, &t) < 0)
            return -1;
        if (t < (uint64_t)pow10_tab[nd - 1]) {
            ex--;
        } else if (t >= (uint64_t)pow10_tab[nd]) {
            ex++;
        } else {
            if (*k == (uint64_t)pow10_tab[nd]) {
                *k = (uint64_t)pow10_tab[nd - 1];
                ex++;
            }
            *e = ex;
            return 0;
        }
    }
    return -1;
}

/* Writes the decimal digits of v (nd of them, zero-padded on the left). */
static void digits(char *out, uint64_t v, int nd)
{
    for (int i = nd - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static int ndigits(uint64_t v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/* printf's %.{P}g of (-1)^neg * k * 10^(e - P + 1), k having P digits,
 * into o (at least 32 bytes); returns its length. */
static size_t put_g(char *o, int neg, uint64_t k, int e, int p)
{
    char d[20];
    int n = 0, last;
    digits(d, k, p);
    for (last = p - 1; last > 0 && d[last] == '0'; last--)
        ;
    if (neg)
        o[n++] = '-';
    if (e < -4 || e >= p) {
        o[n++] = d[0];
        if (last > 0) {
            o[n++] = '.';
            memcpy(o + n, d + 1, (size_t)last);
            n += last;
        }
        o[n++] = 'e';
        o[n++] = e < 0 ? '-' : '+';
        int x = e < 0 ? -e : e;
        if (x >= 100)
            o[n++] = (char)('0' + x / 100);
        o[n++] = (char)('0' + x / 10 % 10);
        o[n++] = (char)('0' + x % 10);
    } else if (e >= 0) {
        memcpy(o + n, d, (size_t)e + 1);
        n += e + 1;
        if (last > e) {
            o[n++] = '.';
            memcpy(o + n, d + e + 1, (size_t)(last - e));
            n += last - e;
        }
    } else {
        o[n++] = '0';
        o[n++] = '.';
        for (int z = 0; z < -e - 1; z++)
            o[n++] = '0';
        memcpy(o + n, d, (size_t)last + 1);
        n += last + 1;
    }
    return (size_t)n;
}

size_t jsonnum_int_buf(char *o, long long v)
{
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = ndigits(u), neg = v < 0;
    if (neg)
        o[0] = '-';
    digits(o + neg, u, n);
    return (size_t)(n + neg);
}

void jsonnum_int(struct sbuf *b, long long v)
{
    char o[24];
    sbuf_append(b, o, jsonnum_int_buf(o, v));
}

void jsonnum_fixed(struct sbuf *b, double v, int decimals)
{
    double a = fabs(v);
    uint64_t k = 0, t;
    uint64_t m;
    int q;
    if (a != 0) {
        split(a, &m, &q);
        if (a < FAST_MIN || a >= FAST_MAX || decimals > 9 ||
            scaled(m, q, decimals, &k, &t) < 0) {
            char tmp[400];
            int n = snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
            if (n > 0)
                sbuf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
            return;
        }
    }
    char o[48];
    uint64_t scale = (uint64_t)pow10_tab[decimals], ip = k / scale;
    int n = 0, ni = ndigits(ip);
    if (signbit(v))
        o[n++] = '-';
    digits(o + n, ip, ni);
    n += ni;
    if (decimals > 0) {
        o[n++] = '.';
        digits(o + n, k % scale, decimals);
        n += decimals;
    }
    sbuf_append(b, o, (size_t)n);
}

size_t jsonnum_g6_buf(char *o, double v)
{
    double a = fabs(v);
    uint64_t k;
    int e;
    if (a == 0) {
        memcpy(o, "-0", 2);
        return signbit(v) ? 2 : (o[0] = '0', 1);
    }
    if (a < FAST_MIN || a >= FAST_MAX || sig_digits(a, 6, &k, &e) < 0) {
        int n = snprintf(o, 32, "%.6g", v); /* at most 13 characters */
        return n > 0 && n < 32 ? (size_t)n : 0;
    }
    return put_g(o, v < 0, k, e, 6);
}

void jsonnum_g6(struct sbuf *b, double v)
{
    char o[32];
    sbuf_append(b, o, jsonnum_g6_buf(o, v));
}

/* cJSON's own test: does text read back (sscanf "%lg") within DBL_EPSILON? */
static void cjson_slow(struct sbuf *b, double d)
{
    char tmp[32];
    double t = 0;
    int n = snprintf(tmp, sizeof tmp, "%1.15g", d);
    if (sscanf(tmp, "%lg", &t) != 1 ||
        !(fabs(t - d) <= (fabs(t) > fabs(d) ? fabs(t) : fabs(d)) * DBL_EPSILON))
        n = snprintf(tmp, sizeof tmp, "%1.17g", d);
    if (n > 0)
        sbuf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void jsonnum_cjson(struct sbuf *b, double d)
{
    if (!isfinite(d)) {
        sbuf_puts(b, "null");
        return;
    }
    double a = fabs(d);
    if (a < FAST_MAX && d == trunc(d)) { /* %1.15g of an integer below 1e15: its digits */
        if (d == 0)
            sbuf_puts(b, signbit(d) ? "-0" : "0");
        else
            jsonnum_int(b, (long long)d);
        return;
    }
    uint64_t k;
    int e;
    if (a < FAST_MIN || a >= FAST_MAX || sig_digits(a, 15, &k, &e) < 0) {
        cjson_slow(b, d);
        return;
    }
    /* What sscanf reads back: k * 10^(e-14) is one correctly rounded
     * operation on exact operands (k < 2^53, 10^22 is exact), which is
     * the nearest double, as strtod gives. */
    int x = e - 14;
    if (x > 22 || x < -22) {
        cjson_slow(b, d);
        return;
    }
    double t = x >= 0 ? (double)k * pow10_dbl[x] : (double)k / pow10_dbl[-x];
    char o[32];
    if (fabs(t - a) <= (t > a ? t : a) * DBL_EPSILON) {
        sbuf_append(b, o, put_g(o, d < 0, k, e, 15));
        return;
    }
    if (sig_digits(a, 17, &k, &e) < 0) {
        cjson_slow(b, d);
        return;
    }
    sbuf_append(b, o, put_g(o, d < 0, k, e, 17));
}

void jsonnum_cjson_str(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (sbuf_reserve(b, n * 6 + 2) < 0)
        return;
    char *o = b->p + b->len;
    *o++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *o++ = (char)c;
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = "0123456789abcdef"[c >> 4];
            *o++ = "0123456789abcdef"[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
}
