/* Background jobs, in the manner of redis bio.c: one worker thread takes
 * model jobs (reload, activate, rollback, the models list) from a bounded
 * FIFO queue and runs them one at a time, so SQL, the blob check and the
 * engine load never run on a region's event loop and never hold a lock a
 * loop needs.
 * A job ends by swapping the process's reference-counted engine pointer
 * (api_shared.engine, under engine_mu for a few instructions); each region
 * picks the new one up at its next request (api.c sync_engine).
 *
 * The result goes back to the loop that asked through that loop's inbox:
 * an eventfd in its epoll set whose handler runs the job's done callback on
 * the loop's own thread, so the callback may touch the loop's connections.
 * Jobs never overlap: activations, rollbacks and SIGHUP reloads queued
 * together run back to back, each on the state the previous one left. */
#ifndef RECSYS_NET_BIO_H
#define RECSYS_NET_BIO_H

#include <stddef.h>
#include <stdint.h>

#include "engine/modelstore.h"

#define BIO_QUEUE_MAX 256 /* jobs waiting; one more is refused with ERR_BUSY (503) */

enum bio_op {
    BIO_RELOAD,   /* re-open the engine on the active model (SIGHUP) */
    BIO_ACTIVATE, /* make a version active (checksum verified first), then reload */
    BIO_ROLLBACK, /* back to the previously active version, then reload */
    BIO_LIST,     /* read the stored versions (GET /api/v1/models): SQL, so not on a loop */
    BIO_CALL,     /* run a caller's function (bio_call): experiments' SQL and engines */
};

struct bio_result {
    int rc;         /* 0, or a negative err_code: the model-store step failed (nothing
                       changed) or, for BIO_RELOAD, the engine could not be opened */
    int64_t active; /* the version active afterwards (rc == 0) */
    int changed;    /* 0: the version was already active and served, nothing was done */
    int reloaded;   /* 1: every region serves `active` (now or already); 0: the reload
                       failed and the previous engine keeps serving (err says why) */
    double seconds; /* the job's run time, queueing excluded */
    char err[512];
    struct modelstore_list list; /* BIO_LIST: the versions, freed once done returns */
};

/* Runs on the requesting loop's thread (or on the bio thread for a job with
 * no inbox); res is valid during the call only. */
typedef void (*bio_done_fn)(void *arg, const struct bio_result *res);

struct api_shared;
struct bio;
struct inbox;

/* Starts the worker thread for the engine of sh (sh->db_path, engine,
 * engine_mu, engine_gen; sh must outlive it). 0, or ERR_FAIL with err. */
int bio_start(struct api_shared *sh, struct bio **out, char *err, size_t errlen);
/* Runs the jobs already queued, then joins the thread and frees b. After
 * it no inbox receives anything more. NULL is fine. */
void bio_stop(struct bio *b);

/* An inbox (net/inbox.h) on epoll set epfd, the caller's loop, that runs
 * finished jobs' done callbacks there. 0, or ERR_FAIL with err. Free it with
 * inbox_free (it runs the callbacks still waiting) after bio_stop, or when no
 * job names it any more. */
int bio_inbox_new(int epfd, struct inbox **out, char *err, size_t errlen);

/* Queues op (version: for BIO_ACTIVATE) on behalf of region (a name for
 * the log, NULL: process-wide). done(arg, res) runs once on inbox's loop,
 * or on the bio thread when inbox is NULL. 0, or ERR_BUSY when the queue is
 * full or stopping, ERR_NOMEM; done is then never called. */
int bio_submit(struct bio *b, enum bio_op op, int64_t version, const char *region,
               struct inbox *inbox, bio_done_fn done, void *arg);
/* Queues op (not BIO_LIST) and waits for its result (SIGHUP; never from a
 * region's loop). Returns res->rc, or the bio_submit error (with res->err). */
int bio_run(struct bio *b, enum bio_op op, int64_t version, struct bio_result *res);

/* A function bio_call runs on the bio thread; it fills res (rc, err, and
 * whatever its caller reads back through arg). */
typedef void (*bio_call_fn)(struct api_shared *sh, void *arg, struct bio_result *res);
/* Queues fn(sh, arg, res) as a BIO_CALL job: it runs between the model
 * jobs, never beside one, then done(arg, res) runs as for bio_submit.
 * 0, or ERR_BUSY / ERR_NOMEM (neither fn nor done is then called). */
int bio_call(struct bio *b, bio_call_fn fn, const char *region, struct inbox *inbox,
             bio_done_fn done, void *arg);
/* Runs BIO_ACTIVATE of version here: only from a bio_call function (the
 * bio thread), e.g. to promote an experiment's winner. Fills res as the
 * job would; returns res->rc. */
int bio_activate_here(struct api_shared *sh, int64_t version, struct bio_result *res);

struct sbuf;
/* On a loop, GET /api/v1/models without the job: appends the members of the
 * list the last job left, its object left open (modelsnap.h), and returns 0 when the database has
 * not changed since; -1 (nothing appended): queue BIO_LIST. */
int bio_models_get(struct bio *b, struct sbuf *out);

struct engine;
/* Swaps in e, an engine opened elsewhere (net/storepoll.c: a verified
 * artifact from a model store), on the bio thread after the jobs queued
 * before, so the bio thread stays the one writer of the shared engine; the
 * reference passes to it. 0, or ERR_BUSY / ERR_NOMEM (e is then still the
 * caller's). */
int bio_install(struct bio *b, struct engine *e);
/* Drops a reference to e on the bio thread (after the jobs queued before),
 * so that a region letting go of the last reference to a replaced engine
 * never frees it on its loop. Without a thread or room in the queue it is
 * released here. NULL e is fine. */
void bio_release(struct bio *b, struct engine *e);

#endif
