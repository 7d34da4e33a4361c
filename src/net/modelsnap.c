/* The models list copy the loops serve (see modelsnap.h). */
#include "net/modelsnap.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/render.h"

#define HDR_OFF 18 /* file format write/read versions (2 = WAL) ... change counter */
#define HDR_LEN 10

struct modelsnap {
    pthread_mutex_t mu;
    char path[512];
    int fd;          /* the database file (for its header); -1 until the first begin */
    dev_t dev;       /* what fd is */
    ino_t ino;
    char *json;      /* the members; NULL: no current copy */
    size_t len;
    unsigned char hdr[HDR_LEN];     /* header bytes when json was read */
    unsigned char pending[HDR_LEN]; /* noted by begin */
    int pending_ok;
};

struct modelsnap *modelsnap_new(const char *db_path)
{
    struct modelsnap *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->path, sizeof s->path, "%s", db_path);
    s->fd = -1;
    return s;
}

void modelsnap_free(struct modelsnap *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->json);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* The header bytes of the file at path now, through s->fd (reopened when
 * the path names another file than before). 0, or -1. Caller holds s->mu. */
static int read_header(struct modelsnap *s, unsigned char h[HDR_LEN], int may_reopen)
{
    struct stat st;
    if (stat(s->path, &st) < 0)
        return -1;
    if (s->fd < 0 || st.st_dev != s->dev || st.st_ino != s->ino) {
        if (!may_reopen)
            return -1;
        int fd = open(s->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        if (s->fd >= 0)
            close(s->fd);
        s->fd = fd;
        if (fstat(fd, &st) < 0)
            return -1;
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    if (pread(s->fd, h, HDR_LEN, HDR_OFF) != HDR_LEN)
        return -1;
    return h[0] == 2 || h[1] == 2 ? -1 : 0; /* WAL: the counter does not tell */
}

void modelsnap_begin(struct modelsnap *s)
{
    pthread_mutex_lock(&s->mu);
    s->pending_ok = read_header(s, s->pending, 1) == 0;
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
        memcpy(s->hdr, s->pending, HDR_LEN);
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
    unsigned char h[HDR_LEN];
    int rc = -1;
    if (!s)
        return -1;
    pthread_mutex_lock(&s->mu);
    if (s->json && read_header(s, h, 0) == 0 && memcmp(h, s->hdr, HDR_LEN) == 0) {
        sbuf_append(out, s->json, s->len);
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}
