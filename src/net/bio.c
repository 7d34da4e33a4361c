/* Background model jobs off the event loops (see bio.h). */
#include "net/bio.h"
#include "net/inbox.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/modelstore.h"
#include "net/api.h"
#include "net/evloop.h"
#include "net/modelsnap.h"
#include "net/storepoll.h"
#include "net/insights.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/lowprio.h"
#include "util/log.h"

enum {
    BIO_RELEASE = -1, /* internal: drop an engine reference off the loops */
    BIO_INSTALL = -2, /* internal: swap in an engine opened elsewhere (bio_install) */
};

struct bio_job {
    int op; /* enum bio_op, or BIO_RELEASE */
    int64_t version;
    char region[64];
    struct engine *engine; /* BIO_RELEASE, BIO_INSTALL */
    bio_call_fn fn;        /* BIO_CALL */
    struct inbox *inbox;
    struct inbox_item link; /* in inbox, once finished */
    bio_done_fn done;
    void *arg;
    struct bio_result res;
    struct bio_job *next;
};

struct bio {
    struct api_shared *sh;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct bio_job *head, *tail;
    int n, stopping;
    struct modelsnap *snap; /* the models list the loops serve (modelsnap.h); NULL: none */
};

/* Runs the done callbacks of a list of finished jobs and frees them. */
static void run_dones(struct bio_job *j)
{
    while (j) {
        struct bio_job *next = j->next;
        if (j->done)
            j->done(j->arg, &j->res);
        modelstore_list_free(&j->res.list);
        free(j);
        j = next;
    }
}

/* The inbox callback: the finished jobs that arrived, on the asking loop. */
static void inbox_run(struct inbox_item *it)
{
    while (it) {
        struct inbox_item *next = it->next;
        struct bio_job *j = evloop_container_of(it, struct bio_job, link);
        j->next = NULL;
        run_dones(j);
        it = next;
    }
}

int bio_inbox_new(int epfd, struct inbox **out, char *err, size_t errlen)
{
    return inbox_new(epfd, inbox_run, "background jobs", out, err, errlen);
}

/* Hands a finished job to its inbox (and wakes that loop), or runs its
 * done here when it has none. */
static void deliver(struct bio_job *j)
{
    j->next = NULL;
    if (j->inbox)
        inbox_post(j->inbox, &j->link);
    else
        run_dones(j);
}

/* 1 when the engine serving now is version v, loaded cleanly: activating v
 * again needs no reload. */
static int serving(struct api_shared *sh, int64_t v)
{
    struct engine_info info;
    int yes = 0;
    pthread_mutex_lock(&sh->engine_mu);
    if (sh->engine && !engine_warning(sh->engine)) {
        engine_get_info(sh->engine, &info);
        yes = !info.fallback && info.version == v;
    }
    pthread_mutex_unlock(&sh->engine_mu);
    return yes;
}

/* Makes e the shared engine; the old one is released here, and regions
 * still holding it hand theirs back through bio_release. */
static void install(struct api_shared *sh, struct engine *e)
{
    struct engine *old;
    pthread_mutex_lock(&sh->engine_mu);
    old = sh->engine;
    sh->engine = e;
    atomic_fetch_add(&sh->engine_gen, 1);
    pthread_mutex_unlock(&sh->engine_mu);
    engine_release(old);
}

/* Opens the engine aside and swaps it in. With share, the serving
 * engine's catalogue (customers, histories, product details) is reused
 * when the database's data are unchanged (engine_reopen): an activation or
 * rollback changes only the model, and reading the catalogue again was 0.9
 * of each activation's second of CPU on the Olist data. A SIGHUP reload
 * reads everything. st gets what the load cost. */
static int reload(struct api_shared *sh, struct bio_result *res, int share,
                  struct engine_load_stats *st)
{
    struct engine *e = NULL, *prev = NULL;
    char why[400] = "";
    if (share) { /* only this thread installs engines: prev stays the serving one */
        pthread_mutex_lock(&sh->engine_mu);
        prev = sh->engine;
        engine_retain(prev);
        pthread_mutex_unlock(&sh->engine_mu);
    }
    int rc = engine_reopen(sh->db_path, prev, &e, why, sizeof why);
    engine_release(prev);
    if (rc < 0) {
        res->reloaded = 0;
        return err_set(res->err, sizeof res->err,
                       "reload failed, still serving the previous model: %s", why);
    }
    if (sh->store)
        storepoll_label(sh->store, e); /* the cached artifact: named by its store */
    engine_get_load_stats(e, st);
    install(sh, e);
    insights_invalidate(); /* the active model's stored metrics may have changed */
    res->reloaded = 1;
    return 0;
}

static const char *const op_name[] = {"reload", "activate", "rollback", "list", "call"};

/* The model-store step (nothing changes when it fails), then a reload when
 * the regions do not serve the resulting version already. */
static void run_models(struct api_shared *sh, struct bio_job *j, struct engine_load_stats *st)
{
    struct bio_result *res = &j->res;
    int64_t active = 0;
    res->changed = 1;
    if (sh->store && (j->op == BIO_ACTIVATE || j->op == BIO_ROLLBACK)) {
        /* the store's pointer decides what every region serves, not this one */
        res->rc = err_code_set(res->err, sizeof res->err, ERR_CONFLICT,
                               "this region follows the model store %s: run `recsys-tui models"
                               " %s --store %s`",
                               storepoll_url(sh->store),
                               j->op == BIO_ACTIVATE ? "activate VERSION" : "rollback",
                               storepoll_url(sh->store));
        return;
    }
    if (j->op == BIO_LIST) {
        res->changed = 0;
        res->rc = modelstore_list(sh->db_path, &res->list, res->err, sizeof res->err);
        return;
    }
    if (j->op == BIO_ACTIVATE) {
        modelstore_active_version(sh->db_path, &active);
        if (active != j->version &&
            (res->rc = modelstore_activate(sh->db_path, j->version, res->err, sizeof res->err)) < 0)
            return;
        res->active = j->version;
        res->changed = active != j->version || !serving(sh, j->version);
    } else if (j->op == BIO_ROLLBACK) {
        if ((res->rc = modelstore_rollback(sh->db_path, &res->active, res->err, sizeof res->err)) <
            0)
            return;
    }
    if (j->op != BIO_RELOAD && serving(sh, res->active)) {
        res->reloaded = 1;
        return;
    }
    if (reload(sh, res, j->op != BIO_RELOAD, st) < 0) {
        if (j->op == BIO_RELOAD)
            res->rc = ERR_FAIL;
        return;
    }
    if (j->op == BIO_RELOAD) {
        struct engine_info info;
        pthread_mutex_lock(&sh->engine_mu);
        engine_get_info(sh->engine, &info);
        pthread_mutex_unlock(&sh->engine_mu);
        res->active = info.version;
    }
}

static void run_job(struct bio *b, struct bio_job *j)
{
    if (j->op == BIO_INSTALL) {
        install(b->sh, j->engine);
        return;
    }
    if (j->op == BIO_RELEASE) {
        engine_release(j->engine);
#ifdef __GLIBC__
        malloc_trim(0); /* a replaced engine's heap goes back to the system */
#endif
        return;
    }
    double t0 = clock_monotonic();
    if (j->op == BIO_CALL) {
        j->fn(b->sh, j->arg, &j->res);
        j->res.seconds = clock_monotonic() - t0;
        if (b->snap) /* a promotion activates a version: the list may have changed */
            modelsnap_refresh(b->snap);
        return; /* the caller logs what it did */
    }
    if (j->op == BIO_LIST && b->snap)
        modelsnap_begin(b->snap);                /* before the list is read (see modelsnap.h) */
    struct engine_load_stats st = {.total = -1}; /* stays so when nothing was loaded */
    run_models(b->sh, j, &st);
    struct bio_result *res = &j->res;
    res->seconds = clock_monotonic() - t0;
    if (b->snap && j->op == BIO_LIST)
        modelsnap_end(b->snap, res->rc == 0 ? &res->list : NULL);
    else if (b->snap) /* activate, rollback, reload: the list may have changed */
        modelsnap_refresh(b->snap);
    const char *region = j->region[0] ? j->region : NULL;
    if (j->op == BIO_LIST) /* a read, not an event */
        return;
    if (res->rc < 0 || !res->reloaded)
        log_error(region, op_name[j->op], "version=%lld ok=false ms=%.1f message=%s",
                  (long long)(j->op == BIO_ACTIVATE ? j->version : res->active), res->seconds * 1e3,
                  res->err);
    else if (st.total < 0)
        log_info(region, op_name[j->op], "version=%lld ok=true changed=%s ms=%.1f",
                 (long long)res->active, res->changed ? "true" : "false", res->seconds * 1e3);
    else
        log_info(region, op_name[j->op],
                 "version=%lld ok=true changed=%s ms=%.1f catalogue=%s load_ms=%.1f"
                 " model_ms=%.1f catalogue_ms=%.1f index_ms=%.1f",
                 (long long)res->active, res->changed ? "true" : "false", res->seconds * 1e3,
                 st.catalogue_shared ? "shared" : "read", st.total * 1e3, st.model * 1e3,
                 st.catalogue * 1e3, st.index * 1e3);
}

static void *bio_main(void *arg)
{
    struct bio *b = arg;
    lowprio_this_thread(); /* below the loops: util/lowprio.c says why */
    for (;;) {
        pthread_mutex_lock(&b->mu);
        while (!b->head && !b->stopping)
            pthread_cond_wait(&b->cv, &b->mu);
        struct bio_job *j = b->head;
        if (j) {
            b->head = j->next;
            if (!b->head)
                b->tail = NULL;
            b->n--;
        }
        pthread_mutex_unlock(&b->mu);
        if (!j)
            break; /* stopping, and the queue is empty */
        run_job(b, j);
        if (j->op < 0) /* BIO_RELEASE, BIO_INSTALL: nobody waits */
            free(j);
        else
            deliver(j);
    }
    return NULL;
}

int bio_start(struct api_shared *sh, struct bio **out, char *err, size_t errlen)
{
    struct bio *b = calloc(1, sizeof *b);
    sigset_t all, old;
    *out = NULL;
    if (!b)
        return err_set(err, errlen, "out of memory");
    b->sh = sh;
    b->snap = modelsnap_new(sh->db_path); /* NULL: every list goes through the thread */
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    sigfillset(&all); /* signals are for the front end's thread */
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&b->th, NULL, bio_main, b);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
        modelsnap_free(b->snap);
        free(b);
        return err_set(err, errlen, "cannot start the background job thread");
    }
    pthread_setname_np(b->th, "recsys-bio"); /* for top -H, perf and bench/reload */
    *out = b;
    insights_schedule(b); /* the first snapshot, off the loops */
    return 0;
}

void bio_stop(struct bio *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stopping = 1;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->th, NULL);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    modelsnap_free(b->snap);
    free(b);
}

int bio_models_get(struct bio *b, struct sbuf *out)
{
    return b ? modelsnap_get(b->snap, out) : -1;
}

/* Appends j to the queue: 0, or ERR_BUSY (full or stopping). */
static int enqueue(struct bio *b, struct bio_job *j)
{
    int rc = 0;
    j->next = NULL;
    pthread_mutex_lock(&b->mu);
    if (b->stopping || b->n >= BIO_QUEUE_MAX) {
        rc = ERR_BUSY;
    } else {
        if (b->tail)
            b->tail->next = j;
        else
            b->head = j;
        b->tail = j;
        b->n++;
        pthread_cond_signal(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

/* Queues a job answered on inbox's loop (or on the bio thread when inbox
 * is NULL); fn is for BIO_CALL. The one way the public calls queue work. */
static int submit(struct bio *b, int op, int64_t version, bio_call_fn fn, const char *region,
                  struct inbox *inbox, bio_done_fn done, void *arg)
{
    struct bio_job *j = b ? calloc(1, sizeof *j) : NULL;
    if (!j)
        return b ? ERR_NOMEM : ERR_BUSY;
    j->op = op;
    j->version = version;
    j->fn = fn;
    snprintf(j->region, sizeof j->region, "%s", region ? region : "");
    j->inbox = inbox;
    j->done = done;
    j->arg = arg;
    int rc = enqueue(b, j);
    if (rc < 0)
        free(j);
    return rc;
}

int bio_submit(struct bio *b, enum bio_op op, int64_t version, const char *region,
               struct inbox *inbox, bio_done_fn done, void *arg)
{
    return submit(b, (int)op, version, NULL, region, inbox, done, arg);
}

int bio_call(struct bio *b, bio_call_fn fn, const char *region, struct inbox *inbox,
             bio_done_fn done, void *arg)
{
    return submit(b, BIO_CALL, 0, fn, region, inbox, done, arg);
}

int bio_activate_here(struct api_shared *sh, int64_t version, struct bio_result *res)
{
    struct bio_job j;
    memset(&j, 0, sizeof j);
    j.op = BIO_ACTIVATE;
    j.version = version;
    struct engine_load_stats st;
    run_models(sh, &j, &st);
    *res = j.res;
    return res->rc;
}

/* bio_run's rendezvous with the bio thread. */
struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    struct bio_result *res;
};

static void wake(void *arg, const struct bio_result *res)
{
    struct waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    *w->res = *res;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int bio_run(struct bio *b, enum bio_op op, int64_t version, struct bio_result *res)
{
    struct waiter w = {.res = res};
    memset(res, 0, sizeof *res);
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    int rc = bio_submit(b, op, version, NULL, NULL, wake, &w);
    if (rc < 0) {
        err_code_set(res->err, sizeof res->err, rc, "cannot queue the %s: %s", op_name[op],
                     b ? "the background job queue is full" : "no background job thread");
        res->rc = rc;
    } else {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
    }
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    return res->rc;
}

int bio_install(struct bio *b, struct engine *e)
{
    struct bio_job *j = b ? calloc(1, sizeof *j) : NULL;
    if (!j)
        return b ? ERR_NOMEM : ERR_BUSY;
    j->op = BIO_INSTALL;
    j->engine = e;
    int rc = enqueue(b, j);
    if (rc < 0)
        free(j);
    return rc;
}

void bio_release(struct bio *b, struct engine *e)
{
    struct bio_job *j = e && b ? calloc(1, sizeof *j) : NULL;
    if (j) {
        j->op = BIO_RELEASE;
        j->engine = e;
        if (enqueue(b, j) == 0)
            return;
        free(j);
    }
    engine_release(e); /* no thread or no room: here, then */
}
