/* S3 configuration from the environment and s3:// URL parsing. */
#include "store/s3config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Copies the variable's value into dst; 0 when set and it fits, 1 when
 * unset or empty, ERR_INVALID when too long. */
static int env_copy(const char *name, char *dst, size_t dstlen, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 1;
    if (strlen(v) >= dstlen)
        return err_code_set(err, errlen, ERR_INVALID, "%s is longer than %zu characters", name,
                            dstlen - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int s3_config_from_env(struct s3_config *c, char *err, size_t errlen)
{
    int rc;
    memset(c, 0, sizeof *c);
    if ((rc = env_copy("AWS_ACCESS_KEY_ID", c->access_key, sizeof c->access_key, err, errlen)) < 0)
        return rc;
    if (rc)
        return err_code_set(err, errlen, ERR_INVALID,
                            "AWS_ACCESS_KEY_ID is not set (the S3 store needs credentials)");
    if ((rc = env_copy("AWS_SECRET_ACCESS_KEY", c->secret_key, sizeof c->secret_key, err, errlen)) <
        0)
        return rc;
    if (rc)
        return err_code_set(err, errlen, ERR_INVALID,
                            "AWS_SECRET_ACCESS_KEY is not set (the S3 store needs credentials)");
    if ((rc = env_copy("AWS_SESSION_TOKEN", c->session_token, sizeof c->session_token, err,
                       errlen)) < 0)
        return rc;
    if ((rc = env_copy("AWS_REGION", c->region, sizeof c->region, err, errlen)) < 0)
        return rc;
    if (rc && (rc = env_copy("AWS_DEFAULT_REGION", c->region, sizeof c->region, err, errlen)) < 0)
        return rc;
    if (rc)
        snprintf(c->region, sizeof c->region, "us-east-1");
    for (const char *p = c->region; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-')
            return err_code_set(err, errlen, ERR_INVALID,
                                "AWS_REGION '%s' is not a region name (letters, digits, '-')",
                                c->region);
    if ((rc = env_copy("AWS_ENDPOINT_URL", c->endpoint, sizeof c->endpoint, err, errlen)) < 0)
        return rc;
    if (rc) {
        snprintf(c->endpoint, sizeof c->endpoint, "https://s3.%s.amazonaws.com", c->region);
        c->path_style = 0;
    } else {
        if (strncmp(c->endpoint, "http://", 7) && strncmp(c->endpoint, "https://", 8))
            return err_code_set(err, errlen, ERR_INVALID,
                                "AWS_ENDPOINT_URL '%s' does not start with http:// or https://",
                                c->endpoint);
        size_t n = strlen(c->endpoint);
        while (n > 0 && c->endpoint[n - 1] == '/')
            c->endpoint[--n] = 0;
        c->path_style = 1;
    }
    const char *ps = getenv("RECSYS_S3_PATH_STYLE");
    if (ps && *ps) {
        if (strcmp(ps, "0") && strcmp(ps, "1"))
            return err_code_set(err, errlen, ERR_INVALID, "RECSYS_S3_PATH_STYLE must be 0 or 1");
        c->path_style = *ps == '1';
    }
    return 0;
}

/* S3's bucket naming rules: 3..63 of [a-z0-9.-], starting and ending with
 * a letter or digit. */
static int bucket_ok(const char *b, size_t n)
{
    if (n < 3 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' ||
              b[i] == '-'))
            return 0;
    return isalnum((unsigned char)b[0]) && isalnum((unsigned char)b[n - 1]);
}

int s3_location_parse(const char *url, struct s3_location *loc, char *err, size_t errlen)
{
    memset(loc, 0, sizeof *loc);
    if (!url || strncmp(url, "s3://", 5))
        return err_code_set(err, errlen, ERR_INVALID, "store URL '%s' does not start with s3://",
                            url ? url : "");
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t bn = slash ? (size_t)(slash - b) : strlen(b);
    if (!bucket_ok(b, bn))
        return err_code_set(err, errlen, ERR_INVALID,
                            "store URL '%s': bucket must be 3-63 characters of a-z, 0-9, '.' "
                            "and '-'",
                            url);
    memcpy(loc->bucket, b, bn);
    const char *p = slash ? slash : b + bn;
    while (*p == '/')
        p++;
    size_t pn = strlen(p);
    while (pn > 0 && p[pn - 1] == '/')
        pn--;
    if (pn >= sizeof loc->prefix)
        return err_code_set(err, errlen, ERR_INVALID, "store URL '%s': prefix is too long", url);
    for (size_t i = 0; i < pn; i++)
        if ((unsigned char)p[i] < 0x21 || p[i] == '\\' || p[i] == '?' || p[i] == '#')
            return err_code_set(err, errlen, ERR_INVALID,
                                "store URL '%s': prefix may not hold spaces, '\\', '?' or '#'",
                                url);
    memcpy(loc->prefix, p, pn);
    return 0;
}

int s3_location_key(const struct s3_location *loc, const char *name, char *key, size_t keylen,
                    char *err, size_t errlen)
{
    int n = loc->prefix[0] ? snprintf(key, keylen, "%s/%s", loc->prefix, name)
                           : snprintf(key, keylen, "%s", name);
    if (n < 0 || (size_t)n >= keylen)
        return err_code_set(err, errlen, ERR_INVALID, "object key for '%s' is too long", name);
    return 0;
}
