/* Number and string formatting for the JSON renderers (render.c) and the
 * response head, without printf: the bytes are exactly those printf (or
 * cJSON 1.7's printer) would give, so answers and tests stay the same, at a
 * fraction of the cost (glibc's printf of a double is 200-600 ns; these are
 * tens). Doubles whose digits these cannot compute exactly with 128-bit
 * integers (below 1e-6 or from 1e15 up in magnitude) go through snprintf. */
#ifndef RECSYS_NET_JSONNUM_H
#define RECSYS_NET_JSONNUM_H

#include <stddef.h>
#include <stdint.h>

#include "util/sbuf.h"

/* printf("%lld", v). */
void jsonnum_int(struct sbuf *b, long long v);
/* The same into o (at least 24 bytes), returning the length. */
size_t jsonnum_int_buf(char *o, long long v);
/* printf("%.*f", decimals, v) for decimals 0..9, v finite. */
void jsonnum_fixed(struct sbuf *b, double v, int decimals);
/* printf("%.6g", v), v finite. */
void jsonnum_g6(struct sbuf *b, double v);
/* The same into o (at least 32 bytes), returning the length. */
size_t jsonnum_g6_buf(char *o, double v);
/* What cJSON_PrintUnformatted (1.7.15) prints for cJSON_CreateNumber(v):
 * null for NaN and infinities, else %1.15g when that reads back within
 * DBL_EPSILON, else %1.17g. */
void jsonnum_cjson(struct sbuf *b, double v);
/* s as a JSON string as cJSON prints it: \" \\ \b \f \n \r \t, other bytes
 * below 0x20 as \u00xx, everything else as is. */
void jsonnum_cjson_str(struct sbuf *b, const char *s);

#endif
