/* API keys file and constant-time comparison (see apikeys.h). */
#include "net/apikeys.h"
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct apikeys {
    int n;
    size_t len[APIKEYS_MAX];
    unsigned char key[APIKEYS_MAX][APIKEY_LEN_MAX];
};

struct apikeys *apikeys_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        err_set(err, errlen, "%s: cannot open API keys file: %s", path, strerror(errno));
        return NULL;
    }
    struct apikeys *k = calloc(1, sizeof *k);
    char line[APIKEY_LEN_MAX * 2 + 4];
    int lineno = 0, ok = 0;
    if (!k) {
        err_set(err, errlen, "%s: out of memory", path);
        goto out;
    }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
            s[--n] = '\0';
        if (!n || *s == '#')
            continue;
        if (n > APIKEY_LEN_MAX) {
            err_set(err, errlen, "%s:%d: key longer than %d characters", path, lineno,
                    APIKEY_LEN_MAX);
            goto out;
        }
        if (k->n >= APIKEYS_MAX) {
            err_set(err, errlen, "%s:%d: more than %d keys", path, lineno, APIKEYS_MAX);
            goto out;
        }
        k->len[k->n] = n;
        memcpy(k->key[k->n++], s, n);
    }
    if (k->n == 0) {
        err_set(err, errlen, "%s: no API key in the file", path);
        goto out;
    }
    ok = 1;
out:
    fclose(f);
    if (!ok) {
        free(k);
        return NULL;
    }
    return k;
}

void apikeys_free(struct apikeys *k)
{
    free(k);
}

int apikeys_check(const struct apikeys *k, const char *value, size_t len)
{
    unsigned char v[APIKEY_LEN_MAX] = {0};
    unsigned found = 0;
    size_t vl = len > APIKEY_LEN_MAX ? APIKEY_LEN_MAX : len;
    memcpy(v, value, vl);
    for (int i = 0; i < k->n; i++) {
        unsigned diff = (unsigned)(k->len[i] ^ len);
        for (size_t j = 0; j < APIKEY_LEN_MAX; j++)
            diff |= (unsigned)(k->key[i][j] ^ v[j]);
        found |= (diff == 0);
    }
    return found != 0;
}
