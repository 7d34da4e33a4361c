/* Temporary databases beside the target: see tmpdb.h. */
#include "ingest/tmpdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

/* A cleaner (tmpdb_remove_stale in another process) may lock and unlink a
 * file between our mkstemp and our flock; then we try again. */
#define TMPDB_CREATE_TRIES 8

int tmpdb_create(const char *db_path, char *path, size_t pathlen, int *fd, char *err, size_t errlen)
{
    *fd = -1;
    for (int attempt = 0; attempt < TMPDB_CREATE_TRIES; attempt++) {
        int n = snprintf(path, pathlen, "%s" TMPDB_SUFFIX "XXXXXX", db_path);
        if (n < 0 || (size_t)n >= pathlen)
            return err_set(err, errlen, "database path is too long: %s", db_path);
        int f = mkostemp(path, O_CLOEXEC);
        if (f < 0)
            return err_set(err, errlen, "cannot create a temporary file beside %s: %s", db_path,
                           strerror(errno));
        struct stat st;
        /* Blocking: a cleaner holds the lock only while it unlinks. */
        if (flock(f, LOCK_EX) != 0 || fstat(f, &st) != 0) {
            int e = errno;
            unlink(path);
            close(f);
            return err_set(err, errlen, "cannot lock %s: %s", path, strerror(e));
        }
        if (st.st_nlink == 0) { /* removed by a cleaner before we held it */
            close(f);
            continue;
        }
        (void)fchmod(f, 0644);
        *fd = f;
        return 0;
    }
    return err_set(err, errlen, "cannot create a temporary file beside %s: removed %d times",
                   db_path, TMPDB_CREATE_TRIES);
}

int tmpdb_name_matches(const char *db_base, const char *name)
{
    size_t bl = strlen(db_base), sl = strlen(TMPDB_SUFFIX);
    if (!bl || strncmp(name, db_base, bl) != 0 || strncmp(name + bl, TMPDB_SUFFIX, sl) != 0)
        return 0;
    const char *x = name + bl + sl;
    if (strlen(x) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (!((x[i] >= 'a' && x[i] <= 'z') || (x[i] >= 'A' && x[i] <= 'Z') ||
              (x[i] >= '0' && x[i] <= '9')))
            return 0;
    return 1;
}

/* Appends item to a ", "-separated list in buf; "..." once it is full. */
static void list_add(char *buf, size_t buflen, const char *item)
{
    size_t n = strlen(buf);
    if (n + 3 >= buflen || (n >= 3 && !strcmp(buf + n - 3, "...")))
        return;
    int w = snprintf(buf + n, buflen - n, "%s%s", n ? ", " : "", item);
    if (w < 0 || (size_t)w >= buflen - n)
        snprintf(buf + (buflen > 4 ? buflen - 4 : 0), buflen > 4 ? 4 : buflen, "...");
}

/* Removes dir/name when it is a regular file nobody holds the lock of.
 * 1 removed, 0 in use (left alone), -1 with why filled. */
static int remove_if_stale(int dirfd, const char *name, char *why, size_t whylen)
{
    int f = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (f < 0) {
        if (errno == ENOENT) /* its ingest finished or removed it meanwhile */
            return 0;
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    int rc = 0;
    struct stat st, again;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode))
        goto out; /* not something ingest made */
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            snprintf(why, whylen, "cannot lock: %s", strerror(errno));
            rc = -1;
        }
        goto out; /* a live ingest holds it */
    }
    /* Still the same file under that name (not renamed into place since). */
    if (fstatat(dirfd, name, &again, AT_SYMLINK_NOFOLLOW) != 0 || again.st_ino != st.st_ino ||
        again.st_dev != st.st_dev)
        goto out;
    if (unlinkat(dirfd, name, 0) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        rc = -1;
        goto out;
    }
    rc = 1;
out:
    close(f); /* drops the lock, after the unlink */
    return rc;
}

void tmpdb_remove_stale(const char *db_path, struct tmpdb_stale *out)
{
    char dir[PATH_MAX];
    memset(out, 0, sizeof *out);
    const char *slash = strrchr(db_path, '/'), *base = slash ? slash + 1 : db_path;
    if (!*base)
        return;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == db_path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - db_path), db_path);
    DIR *d = opendir(dir);
    if (!d)
        return; /* no directory: nothing can be stale in it (ingest reports the path) */
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (!tmpdb_name_matches(base, ent->d_name))
            continue;
        char why[128], item[NAME_MAX + 160];
        int r = remove_if_stale(dirfd(d), ent->d_name, why, sizeof why);
        if (r > 0) {
            out->removed++;
            list_add(out->names, sizeof out->names, ent->d_name);
        } else if (r < 0) {
            out->failed++;
            snprintf(item, sizeof item, "%s: %s", ent->d_name, why);
            list_add(out->failures, sizeof out->failures, item);
        }
    }
    closedir(d);
}
