/* The models list copy the loops serve (see modelsnap.h). */
#include "net/modelsnap.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/render.h"

/* The fingerprint of the database's committed state:
 * - database header bytes 18..27: the file format versions (2 = WAL) and the
 *   file change counter, which every commit in rollback-journal mode moves;
 * - in WAL mode, the first 48 bytes of the -shm file: the wal-index header
 *   (sqlite.org/walformat.html), whose iChange, mxFrame and checksums every
 *   commit (and every checkpoint restart) moves. */
#define HDR_OFF 18
#define HDR_LEN 10
#define SHM_LEN 48
#define FP_LEN  (HDR_LEN + SHM_LEN)

struct file {
    int fd; /* -1: not open */
    dev_t dev;
    ino_t ino;
};

struct modelsnap {
    pthread_mutex_t mu;
    char path[512], shm_path[520];
    struct file db, shm;
    sqlite3 *keep;        /* open on the database (bio thread): a WAL -shm file lives while */
    dev_t keep_dev;       /* some connection has it open, and a loop must be able to read it */
    ino_t keep_ino;
    char *json; /* the list object left open; NULL: no current copy */
    size_t len;
    unsigned char fp[FP_LEN];      /* the fingerprint when json was read */
    unsigned char pending[FP_LEN]; /* noted by begin */
    int pending_ok;
};

struct modelsnap *modelsnap_new(const char *db_path)
{
    struct modelsnap *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->path, sizeof s->path, "%s", db_path);
    snprintf(s->shm_path, sizeof s->shm_path, "%s-shm", db_path);
    s->db.fd = s->shm.fd = -1;
    return s;
}

void modelsnap_free(struct modelsnap *s)
{
    if (!s)
        return;
    if (s->db.fd >= 0)
        close(s->db.fd);
    if (s->shm.fd >= 0)
        close(s->shm.fd);
    sqlite3_close(s->keep);
    free(s->json);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* len bytes at off of the file at path, through f (reopened, when allowed,
 * once the path names another file than before). 0, or -1. */
static int read_at(struct file *f, const char *path, unsigned char *out, size_t len, off_t off,
                   int may_reopen)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    if (f->fd < 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
        if (!may_reopen)
            return -1;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        if (f->fd >= 0)
            close(f->fd);
        f->fd = fd;
        if (fstat(fd, &st) < 0)
            return -1;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
    }
    return pread(f->fd, out, len, off) == (ssize_t)len ? 0 : -1;
}

/* The fingerprint now. 0, or -1 (unknown: never serve). Caller holds mu. */
static int fingerprint(struct modelsnap *s, unsigned char fp[FP_LEN], int may_reopen)
{
    memset(fp, 0, FP_LEN);
    if (read_at(&s->db, s->path, fp, HDR_LEN, HDR_OFF, may_reopen) < 0)
        return -1;
    if (fp[0] != 2 && fp[1] != 2)
        return 0; /* rollback journal: the change counter tells */
    return read_at(&s->shm, s->shm_path, fp + HDR_LEN, SHM_LEN, 0, may_reopen);
}

/* Holds a read-only connection on the file at the path (a new one when it
 * was replaced), having read once, so the WAL index stays mapped. */
static void keep_open(struct modelsnap *s)
{
    struct stat st;
    if (stat(s->path, &st) < 0)
        return;
    if (s->keep && st.st_dev == s->keep_dev && st.st_ino == s->keep_ino)
        return;
    sqlite3_close(s->keep);
    s->keep = NULL;
    if (sqlite3_open_v2(s->path, &s->keep, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(s->keep);
        s->keep = NULL;
        return;
    }
    sqlite3_busy_timeout(s->keep, 1000);
    sqlite3_exec(s->keep, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    s->keep_dev = st.st_dev;
    s->keep_ino = st.st_ino;
}

void modelsnap_begin(struct modelsnap *s)
{
    keep_open(s); /* bio thread only: no lock needed for keep */
    pthread_mutex_lock(&s->mu);
    s->pending_ok = fingerprint(s, s->pending, 1) == 0;
    pthread_mutex_unlock(&s->mu);
}

void modelsnap_end(struct modelsnap *s, const struct modelstore_list *l)
{
    char *text = NULL;
    cJSON *j = l ? render_models(l) : NULL;
    if (j)
        text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    pthread_mutex_lock(&s->mu);
    free(s->json);
    s->json = NULL;
    if (text && s->pending_ok && strlen(text) >= 2) {
        s->len = strlen(text) - 1; /* the object left open */
        text[s->len] = '\0';
        s->json = text;
        text = NULL;
        memcpy(s->fp, s->pending, FP_LEN);
    }
    pthread_mutex_unlock(&s->mu);
    free(text);
}

void modelsnap_refresh(struct modelsnap *s)
{
    struct modelstore_list l = {0};
    char err[256];
    modelsnap_begin(s);
    int rc = modelstore_list(s->path, &l, err, sizeof err);
    modelsnap_end(s, rc == 0 ? &l : NULL);
    modelstore_list_free(&l);
}

int modelsnap_get(struct modelsnap *s, struct sbuf *out)
{
    unsigned char fp[FP_LEN];
    int rc = -1;
    if (!s)
        return -1;
    pthread_mutex_lock(&s->mu);
    if (s->json && fingerprint(s, fp, 0) == 0 && memcmp(fp, s->fp, FP_LEN) == 0) {
        sbuf_append(out, s->json, s->len);
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}
