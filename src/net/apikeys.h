/* Optional API keys (X-API-Key): a file with one key per line. */
#ifndef RECSYS_NET_APIKEYS_H
#define RECSYS_NET_APIKEYS_H

#include <stddef.h>

#define APIKEYS_MAX    256
#define APIKEY_LEN_MAX 128

struct apikeys;

/* Reads path: one key per line, blank lines and `#` comments skipped, keys
 * 1..128 printable characters. NULL and err (file:line) on failure; a file
 * with no key is an error too (it would lock every client out). */
struct apikeys *apikeys_load(const char *path, char *err, size_t errlen);
void apikeys_free(struct apikeys *k);
/* 1 when value[0..len) equals one of the keys. Compares against every key
 * over the full maximum length, so the time does not depend on where a
 * guess differs. */
int apikeys_check(const struct apikeys *k, const char *value, size_t len);

#endif
