/* The ingest reader thread: see readahead.h.
 * Hand-over: two chunks circulate between the reader (fills one while the
 * inserter drains the other) under one mutex and condition variable. The
 * reader owns the parents' key sets; the inserter never touches them. */
#include "ingest/readahead.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/interrupt.h"
#include "ingest/keyset.h"
#include "util/error.h"

enum { NCHUNKS = 2 };
enum chunk_state { FREE, FILLING, READY, TAKEN };

struct readahead {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct readahead_chunk chunks[NCHUNKS];
    int state[NCHUNKS];
    int ready[NCHUNKS]; /* FIFO of READY chunk indexes */
    int nready;
    int failed, done;            /* under mu */
    atomic_int stop;             /* readahead_finish wants the reader gone */
    const atomic_int *interrupt; /* the caller's interrupt flag (NULL: none) */
    char err[ERR_LEN];           /* the reader's failure, under mu once failed */

    /* reader thread only */
    const char (*paths)[PATH_MAX];
    int show_progress;
    struct keyset sets[INGEST_NFILES];
    int cur; /* chunk being filled, -1 none */
    int file;
    long rows;
    struct olist_counts counts;
};

/* Reader: the next free chunk (waits for the inserter), -1 when stopping. */
static int take_free(struct readahead *r)
{
    int got = -1;
    pthread_mutex_lock(&r->mu);
    while (!atomic_load(&r->stop)) {
        for (int i = 0; i < NCHUNKS && got < 0; i++)
            if (r->state[i] == FREE)
                got = i;
        if (got >= 0)
            break;
        pthread_cond_wait(&r->cv, &r->mu);
    }
    if (got >= 0)
        r->state[got] = FILLING;
    pthread_mutex_unlock(&r->mu);
    if (got >= 0) {
        struct readahead_chunk *c = &r->chunks[got];
        rowbatch_reset(&c->batch, OLIST_FILES[r->file].ncols);
        c->file = r->file;
        c->last = 0;
    }
    return got;
}

/* Reader: sorts the current chunk and queues it for the inserter. */
static int post(struct readahead *r, int last, char *err, size_t errlen)
{
    struct readahead_chunk *c = &r->chunks[r->cur];
    if (rowbatch_sort(&c->batch, OLIST_FILES[r->file].npk) < 0)
        return err_set(err, errlen, "%s.csv: out of memory sorting %zu rows",
                       OLIST_FILES[r->file].base, c->batch.nrows);
    c->last = last;
    c->rows = r->rows;
    c->counts = r->counts;
    pthread_mutex_lock(&r->mu);
    r->state[r->cur] = READY;
    r->ready[r->nready++] = r->cur;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    r->cur = -1;
    return 0;
}

/* csvload callback on the reader thread: validate, remember the key, batch. */
static int on_row(void *ctx, const struct csvload_row *row, char *err, size_t errlen)
{
    struct readahead *r = ctx;
    const struct olist_file *sp = &OLIST_FILES[r->file];
    struct rowbatch_val v[ROWBATCH_MAX_COLS];
    if (atomic_load_explicit(&r->stop, memory_order_relaxed) || interrupt_raised(r->interrupt))
        return interrupt_error(err, errlen);
    if (olist_check_row(r->file, row, r->sets, &r->counts, v, err, errlen) < 0)
        return -1;
    if (sp->parent && keyset_add(&r->sets[r->file], row->field[0], row->len[0]) < 0)
        return csvload_field_error(err, errlen, row, 0, "too many keys (limit %u)",
                                   KEYSET_MAX_KEYS);
    r->rows++;
    struct readahead_chunk *c = &r->chunks[r->cur];
    c->key_column = row->column[0];
    int rc = rowbatch_push(&c->batch, row->line, v);
    if (rc == 1) {
        if (post(r, 0, err, errlen) < 0)
            return -1;
        if ((r->cur = take_free(r)) < 0)
            return interrupt_error(err, errlen);
        c = &r->chunks[r->cur];
        c->key_column = row->column[0];
        rc = rowbatch_push(&c->batch, row->line, v);
    }
    if (rc != 0)
        return err_set(err, errlen, "%s line %ld: out of memory", row->file, row->line);
    return 0;
}

static void *reader_main(void *arg)
{
    struct readahead *r = arg;
    char err[ERR_LEN] = "";
    int failed = 0;
    for (r->file = 0; r->file < INGEST_NFILES && !failed; r->file++) {
        const struct olist_file *sp = &OLIST_FILES[r->file];
        const char *names[OLIST_MAX_COLS];
        if (!r->paths[r->file][0])
            continue;
        for (int i = 0; i < sp->ncols; i++)
            names[i] = sp->cols[i].name;
        r->rows = 0;
        memset(&r->counts, 0, sizeof r->counts);
        if ((r->cur = take_free(r)) < 0) {
            failed = interrupt_error(err, sizeof err);
            break;
        }
        r->chunks[r->cur].key_column = 1;
        long rows = 0;
        if (csvload_file(r->paths[r->file], names, sp->ncols, on_row, r, r->show_progress, &rows,
                         err, sizeof err) < 0 ||
            post(r, 1, err, sizeof err) < 0)
            failed = -1;
    }
    pthread_mutex_lock(&r->mu);
    if (failed) {
        r->failed = 1;
        memcpy(r->err, err, sizeof r->err);
    }
    r->done = 1;
    if (r->cur >= 0)
        r->state[r->cur] = FREE;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int readahead_start(struct readahead **out, const char (*paths)[PATH_MAX], int show_progress,
                    const atomic_int *interrupt, char *err, size_t errlen)
{
    *out = NULL;
    struct readahead *r = calloc(1, sizeof *r);
    if (!r)
        return err_set(err, errlen, "out of memory");
    r->paths = paths;
    r->show_progress = show_progress;
    r->interrupt = interrupt;
    r->cur = -1;
    atomic_init(&r->stop, 0);
    for (int i = 0; i < INGEST_NFILES; i++)
        keyset_init(&r->sets[i]);
    for (int i = 0; i < NCHUNKS; i++)
        rowbatch_init(&r->chunks[i].batch, 1, READAHEAD_BATCH_BYTES);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, reader_main, r) != 0) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return err_set(err, errlen, "cannot start the reader thread");
    }
    *out = r;
    return 0;
}

struct readahead_chunk *readahead_next(struct readahead *r, char *err, size_t errlen)
{
    struct readahead_chunk *c = NULL;
    pthread_mutex_lock(&r->mu);
    while (!r->nready && !r->done)
        pthread_cond_wait(&r->cv, &r->mu);
    if (r->nready) {
        int i = r->ready[0];
        memmove(r->ready, r->ready + 1, (size_t)--r->nready * sizeof r->ready[0]);
        r->state[i] = TAKEN;
        c = &r->chunks[i];
    } else if (r->failed) {
        err_set(err, errlen, "%s", r->err);
    } else {
        err_set(err, errlen, "ingest: the reader ended early");
    }
    pthread_mutex_unlock(&r->mu);
    return c;
}

void readahead_release(struct readahead *r, struct readahead_chunk *c)
{
    pthread_mutex_lock(&r->mu);
    r->state[c - r->chunks] = FREE;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void readahead_finish(struct readahead *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->stop, 1);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    for (int i = 0; i < INGEST_NFILES; i++)
        keyset_free(&r->sets[i]);
    for (int i = 0; i < NCHUNKS; i++)
        rowbatch_free(&r->chunks[i].batch);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
