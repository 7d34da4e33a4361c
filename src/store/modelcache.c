/* modelcache: the last good artifact of a model store on local disk (see
 * modelcache.h). */
#include "store/modelcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/modelrepo.h"
#include "util/error.h"

int modelcache_default_dir(char *out, size_t len, char *err, size_t errlen)
{
    const char *v = getenv("CACHE_DIRECTORY");
    int n = -1;
    if (v && *v)
        n = snprintf(out, len, "%.*s", (int)strcspn(v, ":"), v);
    else if ((v = getenv("XDG_CACHE_HOME")) && *v)
        n = snprintf(out, len, "%s/recsys-tui", v);
    else if ((v = getenv("HOME")) && *v)
        n = snprintf(out, len, "%s/.cache/recsys-tui", v);
    else
        return err_code_set(err, errlen, ERR_INVALID,
                            "no cache directory: set store_cache in regions.conf, or"
                            " CACHE_DIRECTORY, XDG_CACHE_HOME or HOME");
    if (n < 0 || (size_t)n >= len)
        return err_code_set(err, errlen, ERR_INVALID, "the cache directory path is too long");
    return 0;
}

/* mkdir -p path (mode 0755). */
static int make_dirs(char *path)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = c;
        if (rc < 0 && errno != EEXIST)
            return -1;
        if (!c)
            return 0;
    }
}

int modelcache_open(const char *base, const struct s3_location *loc, struct modelcache *c,
                    char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    int n = snprintf(c->dir, sizeof c->dir, "%s/s3/%s%s%s", base, loc->bucket,
                     loc->prefix[0] ? "/" : "", loc->prefix);
    if (n < 0 || (size_t)n >= sizeof c->dir)
        return err_code_set(err, errlen, ERR_INVALID, "the cache directory path is too long");
    snprintf(c->artifact, sizeof c->artifact, "%s/%s", c->dir, MANIFEST_ARTIFACT);
    snprintf(c->manifest, sizeof c->manifest, "%s/manifest.json", c->dir);
    snprintf(c->tmp, sizeof c->tmp, "%s.tmp.%ld", c->artifact, (long)getpid());
    char d[sizeof c->dir];
    memcpy(d, c->dir, sizeof d);
    if (make_dirs(d) < 0)
        return err_set(err, errlen, "cannot create the cache directory %s: %s", c->dir,
                       strerror(errno));
    return 0;
}

int modelcache_load(const struct modelcache *c, struct manifest *m, char *err, size_t errlen)
{
    char buf[MANIFEST_MAX_BYTES > 65536 ? 65536 : MANIFEST_MAX_BYTES], sha[65];
    uint64_t size;
    memset(m, 0, sizeof *m);
    FILE *f = fopen(c->manifest, "rb");
    if (!f)
        return err_code_set(err, errlen, ERR_NOT_FOUND, "nothing cached in %s", c->dir);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    int rc = manifest_parse(buf, n, c->manifest, m, err, errlen);
    if (rc < 0)
        return rc == ERR_NOMEM ? rc : ERR_CORRUPT;
    const struct manifest_part *p = manifest_find(m, MANIFEST_ARTIFACT);
    if ((rc = modelrepo_file_sha256(c->artifact, sha, &size, err, errlen)) < 0 || !p ||
        size != p->size || strcmp(sha, p->sha256) != 0) {
        if (rc == 0)
            err_code_set(err, errlen, ERR_CORRUPT,
                         "%s does not match its manifest (size or sha256): not served",
                         c->artifact);
        manifest_free(m);
        return ERR_CORRUPT;
    }
    return 0;
}

/* fsync of the file at path. */
static int sync_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int modelcache_commit(const struct modelcache *c, const struct manifest *m, char *err,
                      size_t errlen)
{
    char tmp[1300];
    char *s = manifest_to_json(m);
    int rc = 0;
    if (!s)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", c->manifest, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fputs(s, f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    free(s);
    if (!ok || sync_file(tmp) < 0 || sync_file(c->tmp) < 0 || rename(c->tmp, c->artifact) < 0 ||
        rename(tmp, c->manifest) < 0)
        rc = err_set(err, errlen, "cannot write the cache in %s: %s", c->dir, strerror(errno));
    unlink(tmp);
    return rc;
}
