/* modelrepo: publish, list, activate and fetch model versions in an S3
 * model store (see modelrepo.h). */
#include "store/modelrepo.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/s3.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/sbuf.h"
#include "util/sha256.h"

struct modelrepo {
    struct s3_client *c;
    struct s3_location loc;
    char url[600];
};

int modelrepo_open(const char *url, struct modelrepo **out, char *err, size_t errlen)
{
    struct s3_config cfg;
    struct modelrepo *r = calloc(1, sizeof *r);
    int rc;
    *out = NULL;
    if (!r)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    if ((rc = s3_location_parse(url, &r->loc, err, errlen)) < 0 ||
        (rc = s3_config_from_env(&cfg, err, errlen)) < 0 ||
        (rc = s3_client_new(&cfg, &r->c, err, errlen)) < 0) {
        memset(&cfg, 0, sizeof cfg); /* the secret does not linger */
        free(r);
        return rc;
    }
    memset(&cfg, 0, sizeof cfg);
    snprintf(r->url, sizeof r->url, "s3://%s%s%s", r->loc.bucket, r->loc.prefix[0] ? "/" : "",
             r->loc.prefix);
    *out = r;
    return 0;
}

void modelrepo_close(struct modelrepo *r)
{
    if (!r)
        return;
    s3_client_free(r->c);
    free(r);
}

const char *modelrepo_url(const struct modelrepo *r)
{
    return r->url;
}

const struct s3_location *modelrepo_location(const struct modelrepo *r)
{
    return &r->loc;
}

/* The key of name under the prefix, or of vN/name when v > 0. */
static int key_of(const struct modelrepo *r, int64_t v, const char *name, char *key, size_t len,
                  char *err, size_t errlen)
{
    char rel[256];
    if (v > 0)
        snprintf(rel, sizeof rel, "v%lld/%s", (long long)v, name);
    else
        snprintf(rel, sizeof rel, "%s", name);
    return s3_location_key(&r->loc, rel, key, len, err, errlen);
}

/* GETs a small object into b (at most max bytes). */
static int get_small(struct modelrepo *r, int64_t v, const char *name, size_t max, struct sbuf *b,
                     char *err, size_t errlen)
{
    char key[1024];
    int rc = key_of(r, v, name, key, sizeof key, err, errlen);
    return rc < 0 ? rc : s3_get_buffer(r->c, r->loc.bucket, key, max, b, err, errlen);
}

static int put_small(struct modelrepo *r, int64_t v, const char *name, const char *text, char *err,
                     size_t errlen)
{
    char key[1024];
    int rc = key_of(r, v, name, key, sizeof key, err, errlen);
    return rc < 0 ? rc
                  : s3_put_buffer(r->c, r->loc.bucket, key, text, strlen(text), "application/json",
                                  err, errlen);
}

static int nothing(void *user, const char *key, uint64_t size)
{
    (void)user, (void)key, (void)size;
    return 1; /* one key is enough */
}

/* 0 when the bucket exists (a listing of the prefix works), else the
 * listing's error (NoSuchBucket: ERR_NOT_FOUND, naming the URL). */
static int bucket_exists(struct modelrepo *r, char *err, size_t errlen)
{
    int rc = s3_list(r->c, r->loc.bucket, r->loc.prefix, nothing, NULL, err, errlen);
    return rc > 0 ? 0 : rc;
}

int modelrepo_read_pointer(struct modelrepo *r, struct pointer *p, char *err, size_t errlen)
{
    struct sbuf b;
    char src[700];
    sbuf_init(&b, POINTER_MAX_BYTES + 1);
    memset(p, 0, sizeof *p);
    int rc = get_small(r, 0, POINTER_NAME, POINTER_MAX_BYTES, &b, err, errlen);
    if (rc == ERR_NOT_FOUND)
        rc = bucket_exists(r, err, errlen); /* else nothing activated yet */
    else if (rc == 0) {
        snprintf(src, sizeof src, "%s/%s", r->url, POINTER_NAME);
        rc = pointer_parse(b.p ? b.p : "", b.len, src, p, err, errlen);
    }
    sbuf_free(&b);
    return rc;
}

int modelrepo_read_manifest(struct modelrepo *r, int64_t v, struct manifest *m, char *err,
                            size_t errlen)
{
    struct sbuf b;
    char src[700];
    sbuf_init(&b, MANIFEST_MAX_BYTES + 1);
    memset(m, 0, sizeof *m);
    int rc = get_small(r, v, "manifest.json", MANIFEST_MAX_BYTES, &b, err, errlen);
    if (rc == 0) {
        snprintf(src, sizeof src, "%s/v%lld/manifest.json", r->url, (long long)v);
        rc = manifest_parse(b.p ? b.p : "", b.len, src, m, err, errlen);
        if (rc == 0 && m->version != v) {
            manifest_free(m);
            rc = err_code_set(err, errlen, ERR_CORRUPT, "%s describes version %lld, not %lld", src,
                              (long long)m->version, (long long)v);
        }
    }
    sbuf_free(&b);
    return rc;
}

int modelrepo_file_sha256(const char *path, char hex[65], uint64_t *size, char *err, size_t errlen)
{
    static const char digits[] = "0123456789abcdef";
    struct sha256_ctx c;
    uint8_t d[32];
    size_t bufsz = 1 << 20;
    unsigned char *buf = malloc(bufsz);
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
    ssize_t n;
    *size = 0;
    if (!buf || fd < 0) {
        rc = err_set(err, errlen, "cannot read %s", path);
        goto out;
    }
    sha256_init(&c);
    while ((n = read(fd, buf, bufsz)) > 0) {
        sha256_update(&c, buf, (size_t)n);
        *size += (uint64_t)n;
    }
    if (n < 0) {
        rc = err_set(err, errlen, "cannot read %s", path);
        goto out;
    }
    sha256_final(&c, d);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

/* Makes v active in the pointer (read, changed, written). */
static int point_at(struct modelrepo *r, int64_t v, int *changed, char *err, size_t errlen)
{
    struct pointer p;
    int rc = modelrepo_read_pointer(r, &p, err, errlen);
    if (rc < 0)
        return rc;
    *changed = pointer_activate(&p, v) == 0;
    if (!*changed)
        return 0;
    char *s = pointer_to_json(&p);
    if (!s)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    rc = put_small(r, 0, POINTER_NAME, s, err, errlen);
    free(s);
    return rc;
}

int modelrepo_publish(struct modelrepo *r, const char *artifact_path, struct manifest *m,
                      int activate, int *existed, char *err, size_t errlen)
{
    struct manifest old;
    char key[1024];
    int rc, changed;
    *existed = 0;
    rc = modelrepo_read_manifest(r, m->version, &old, err, errlen);
    if (rc == 0) {
        int same = !strcmp(old.model_sha256, m->model_sha256);
        manifest_free(&old);
        if (!same)
            return err_code_set(err, errlen, ERR_CONFLICT,
                                "%s/v%lld already holds another model: versions are immutable",
                                r->url, (long long)m->version);
        *existed = 1;
    } else if (rc != ERR_NOT_FOUND) {
        return rc;
    }
    if (!*existed) {
        struct manifest_part *p = &m->parts[0];
        m->format = MANIFEST_FORMAT;
        m->n_parts = 1;
        snprintf(p->name, sizeof p->name, MANIFEST_ARTIFACT);
        if ((rc = modelrepo_file_sha256(artifact_path, p->sha256, &p->size, err, errlen)) < 0 ||
            (rc = key_of(r, m->version, MANIFEST_ARTIFACT, key, sizeof key, err, errlen)) < 0 ||
            (rc = s3_put_file(r->c, r->loc.bucket, key, artifact_path, err, errlen)) < 0)
            return rc;
        char *s = manifest_to_json(m);
        if (!s)
            return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        rc = put_small(r, m->version, "manifest.json", s, err, errlen);
        free(s);
        if (rc < 0)
            return rc;
    }
    return activate ? point_at(r, m->version, &changed, err, errlen) : 0;
}

/* s3_list_fn: collects N of every PREFIX/vN/manifest.json. */
struct list_acc {
    size_t skip; /* length of "PREFIX/" */
    int64_t *v;
    size_t n, cap;
};

static int list_one(void *user, const char *key, uint64_t size)
{
    struct list_acc *a = user;
    char *end;
    (void)size;
    if (strlen(key) < a->skip + 2)
        return 0;
    const char *k = key + a->skip;
    if (k[0] != 'v' || k[1] < '1' || k[1] > '9')
        return 0;
    long long v = strtoll(k + 1, &end, 10);
    if (strcmp(end, "/manifest.json") != 0)
        return 0;
    if (mem_grow((void **)&a->v, sizeof *a->v, a->n + 1, &a->cap, 1 << 24) < 0)
        return ERR_NOMEM;
    a->v[a->n++] = v;
    return 0;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

int modelrepo_list(struct modelrepo *r, int64_t **out, int *n, char *err, size_t errlen)
{
    char prefix[600];
    struct list_acc a = {0};
    snprintf(prefix, sizeof prefix, "%s%sv", r->loc.prefix, r->loc.prefix[0] ? "/" : "");
    a.skip = strlen(prefix) - 1;
    *out = NULL;
    *n = 0;
    int rc = s3_list(r->c, r->loc.bucket, prefix, list_one, &a, err, errlen);
    if (rc == ERR_NOMEM)
        err_code_set(err, errlen, rc, "out of memory listing %s", r->url);
    if (rc < 0) {
        free(a.v);
        return rc;
    }
    qsort(a.v, a.n, sizeof *a.v, cmp_i64);
    *out = a.v;
    *n = (int)a.n;
    return 0;
}

/* s3_list_fn: the size of the one key asked for. */
struct size_acc {
    const char *key;
    int64_t size; /* -1: absent */
};

static int size_one(void *user, const char *key, uint64_t size)
{
    struct size_acc *a = user;
    if (!strcmp(key, a->key))
        a->size = (int64_t)size;
    return 0;
}

int modelrepo_activate(struct modelrepo *r, int64_t v, int *changed, char *err, size_t errlen)
{
    struct manifest m;
    char key[1024];
    int rc = modelrepo_read_manifest(r, v, &m, err, errlen);
    *changed = 0;
    if (rc == ERR_NOT_FOUND)
        return err_code_set(err, errlen, ERR_NOT_FOUND,
                            "%s has no version %lld (no manifest: not published, or its upload"
                            " did not finish)",
                            r->url, (long long)v);
    if (rc < 0)
        return rc;
    const struct manifest_part *p = manifest_find(&m, MANIFEST_ARTIFACT);
    struct size_acc a = {key, -1};
    if (!p) {
        rc = err_code_set(err, errlen, ERR_CORRUPT, "%s/v%lld/manifest.json lists no %s", r->url,
                          (long long)v, MANIFEST_ARTIFACT);
    } else if ((rc = key_of(r, v, MANIFEST_ARTIFACT, key, sizeof key, err, errlen)) == 0 &&
               (rc = s3_list(r->c, r->loc.bucket, key, size_one, &a, err, errlen)) == 0 &&
               a.size != (int64_t)p->size) {
        rc = err_code_set(err, errlen, ERR_CORRUPT,
                          "%s/v%lld/%s is %s (the manifest says %llu bytes): not activated", r->url,
                          (long long)v, MANIFEST_ARTIFACT,
                          a.size < 0 ? "missing" : "the wrong size", (unsigned long long)p->size);
    }
    manifest_free(&m);
    return rc < 0 ? rc : point_at(r, v, changed, err, errlen);
}

int modelrepo_rollback(struct modelrepo *r, int64_t *now, char *err, size_t errlen)
{
    struct pointer p;
    int rc = modelrepo_read_pointer(r, &p, err, errlen);
    if (rc < 0 || (rc = pointer_rollback(&p, now, err, errlen)) < 0)
        return rc;
    char *s = pointer_to_json(&p);
    if (!s)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    rc = put_small(r, 0, POINTER_NAME, s, err, errlen);
    free(s);
    return rc;
}

int modelrepo_download(struct modelrepo *r, const struct manifest *m, const char *name,
                       const char *path, char *err, size_t errlen)
{
    const struct manifest_part *p = manifest_find(m, name);
    char key[1024], sha[65];
    uint64_t size = 0;
    int rc;
    if (!p)
        return err_code_set(err, errlen, ERR_CORRUPT, "%s/v%lld/manifest.json lists no %s", r->url,
                            (long long)m->version, name);
    if ((rc = key_of(r, m->version, name, key, sizeof key, err, errlen)) < 0)
        return rc;
    rc = s3_get_file(r->c, r->loc.bucket, key, path, p->size, &size, sha, err, errlen);
    if (rc == 0 && (size != p->size || strcmp(sha, p->sha256) != 0))
        rc = err_code_set(err, errlen, ERR_CORRUPT,
                          "%s/v%lld/%s fails its check: %llu bytes with sha256 %.16s..., the"
                          " manifest says %llu bytes with sha256 %.16s...",
                          r->url, (long long)m->version, name, (unsigned long long)size, sha,
                          (unsigned long long)p->size, p->sha256);
    if (rc < 0)
        unlink(path);
    return rc;
}
