/* S3 client over libcurl (see s3.h). Stub: the real transport follows. */
#include "store/s3.h"

#include <stdlib.h>

#include "util/error.h"

struct s3_client {
    struct s3_config cfg;
};

int s3_client_new(const struct s3_config *cfg, struct s3_client **out, char *err, size_t errlen)
{
    struct s3_client *c = calloc(1, sizeof *c);
    if (!c)
        return err_code_set(err, errlen, ERR_NOMEM, "s3: out of memory");
    c->cfg = *cfg;
    *out = c;
    return 0;
}

void s3_client_free(struct s3_client *c)
{
    free(c);
}

static int s3_not_yet(char *err, size_t errlen)
{
    return err_set(err, errlen, "s3: not implemented yet");
}

int s3_put_file(struct s3_client *c, const char *bucket, const char *key, const char *path,
                char *err, size_t errlen)
{
    (void)c, (void)bucket, (void)key, (void)path;
    return s3_not_yet(err, errlen);
}

int s3_put_buffer(struct s3_client *c, const char *bucket, const char *key, const void *data,
                  size_t len, const char *content_type, char *err, size_t errlen)
{
    (void)c, (void)bucket, (void)key, (void)data, (void)len, (void)content_type;
    return s3_not_yet(err, errlen);
}

int s3_get_file(struct s3_client *c, const char *bucket, const char *key, const char *path,
                uint64_t max_bytes, uint64_t *size, char sha256_hex[65], char *err, size_t errlen)
{
    (void)c, (void)bucket, (void)key, (void)path, (void)max_bytes, (void)size, (void)sha256_hex;
    return s3_not_yet(err, errlen);
}

int s3_get_buffer(struct s3_client *c, const char *bucket, const char *key, size_t max_bytes,
                  struct sbuf *out, char *err, size_t errlen)
{
    (void)c, (void)bucket, (void)key, (void)max_bytes, (void)out;
    return s3_not_yet(err, errlen);
}

int s3_list(struct s3_client *c, const char *bucket, const char *prefix, s3_list_fn fn, void *user,
            char *err, size_t errlen)
{
    (void)c, (void)bucket, (void)prefix, (void)fn, (void)user;
    return s3_not_yet(err, errlen);
}

int s3_delete(struct s3_client *c, const char *bucket, const char *key, char *err, size_t errlen)
{
    (void)c, (void)bucket, (void)key;
    return s3_not_yet(err, errlen);
}
