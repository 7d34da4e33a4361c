/* Feedback events, durable before acknowledged (POST /api/v1/events).
 *
 * A region's loop parses a request into a batch (events_http.h) and hands it
 * to events_submit: a short mutex, a bounded queue (regions.conf
 * events_queue, counted in events; ERR_BUSY when it does not fit, answered
 * 503 with Retry-After). The loop wakes the writer once per turn
 * (events_flush, after it has handled everything epoll reported; sooner
 * when 256 events are waiting, so the writer starts on them while the loop
 * parses more), so the requests of one turn share a transaction, as redis'
 * appendfsync always shares one fsync per event-loop turn. When requests are
 * small and fewer are queued than were lately in flight at once (about the
 * number of clients), the writer waits up to 0.2 ms for the rest (the
 * clients its last commit answered send again meanwhile), so one fsync
 * covers every connection, as redis' loop gathers every client while it
 * fsyncs.
 *
 * Group commit, pipelined over two threads:
 *  - the writer takes everything queued and appends it to the database's
 *    `events` table in one transaction (SQLite WAL; synchronous=NORMAL, so
 *    COMMIT writes the WAL without waiting for the disk);
 *  - the syncer then fdatasyncs the WAL once for every transaction
 *    committed so far, applies the events in memory - purchases go into the
 *    overlay (engine/overlay.h), every region's cached answers for those
 *    users are dropped, the experiments hook (api_shared on_events) is
 *    called - and posts each batch's answer to the inbox of the loop that
 *    received it (one wake-up per loop and group), whose done callback
 *    sends the 202.
 * While the syncer works on one group, the writer writes the next. When
 * fewer than 64 events queued behind a commit, the writer syncs, applies
 * and answers it itself (one thread hand-over less for small requests). A kill -9 (or a
 * power cut) at any time loses no acknowledged event. The loop never runs
 * SQL or waits on the writer. When the WAL file cannot be opened for the
 * syncer, COMMIT syncs itself (synchronous=FULL) instead.
 *
 * Knobs for tests and benchmarks (environment): RECSYS_EVENTS_DELAY_MS (a
 * slow disk: each transaction waits first), RECSYS_EVENTS_PIPELINE (0: no
 * syncer thread; 2: every group handed to it), RECSYS_EVENTS_CKPT_PAGES
 * (WAL pages that start a checkpoint, default 1000).
 *
 * At start the writer also rebuilds the overlay from the purchases stored
 * since the active model was trained, before it takes new batches. */
#ifndef RECSYS_NET_EVENTS_H
#define RECSYS_NET_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/feedback.h"
#include "net/inbox.h"

#define EVENTS_BATCH_MAX 1000 /* events in one request */

struct api_shared;
struct events;
struct inbox;

/* Runs on the receiving loop's thread: the batch's answer. body (JSON, len
 * bytes) is valid during the call only. */
typedef void (*events_done_fn)(void *arg, int status, int retry_after, const char *body,
                               size_t len);

/* One request's valid events and the answer it gets once they are durable. */
struct events_batch {
    size_t n;
    struct feedback_event *ev; /* n events, malloc'd */
    char *ok_body;             /* the 202 body, malloc'd */
    size_t ok_len;
    char region[32];
    /* set by events_submit and the writer: */
    struct inbox *inbox;
    struct inbox_item link; /* in inbox, once committed */
    events_done_fn done;
    void *arg;
    int rc; /* 0 committed, or the write's error code */
    struct events_batch *next;
};

struct events_stats {
    uint64_t stored;  /* events committed since start */
    uint64_t commits; /* transactions */
    uint64_t syncs;   /* fdatasyncs of the WAL (each covers one or more commits) */
    uint64_t refused; /* requests refused: queue full */
    uint64_t rebuilt; /* purchases replayed into the overlay at start */
    size_t queued;    /* events waiting or being written now */
    size_t capacity;
};

/* Opens db_path read-write (created when `create` is set: the events-only
 * database of a host fed from a model store, events_store.h), creating the
 * events table when missing and switching to WAL, and starts the writer
 * thread, which first rebuilds sh->overlay (when set) from the stored
 * purchases not in the active model. The queue holds
 * sh->conf->events_queue events. With a model store (sh->conf->model_store)
 * the events are also shipped there (events_store.h). 0, or a negative
 * err_code with err. */
int events_start(struct api_shared *sh, const char *db_path, int create, struct events **out,
                 char *err, size_t errlen);
/* Writes what is queued, delivers every answer, joins the thread and frees
 * ev. NULL is fine. */
void events_stop(struct events *ev);

/* An inbox (net/inbox.h) on epoll set epfd, a region loop's, that sends
 * the committed batches' answers there. 0, or ERR_FAIL with err. Free it
 * with inbox_free (it runs the answers still waiting) after events_stop. */
int events_inbox_new(int epfd, struct inbox **out, char *err, size_t errlen);

/* Queues b (owned from now on, whatever the result) for the writer;
 * done(arg, ...) runs later on inbox's loop. The writer is woken by the
 * loop's next events_flush (at once when inbox is NULL). 0, or ERR_BUSY
 * when the queue is full, stopped or ev is NULL (b is freed and done is
 * never called). */
int events_submit(struct events *ev, struct events_batch *b, struct inbox *inbox,
                  events_done_fn done, void *arg);
/* Wakes the writer when batches were submitted since the last call: each
 * region loop calls it at the end of every turn. An atomic load when there
 * is nothing to do; NULL is fine. */
void events_flush(struct events *ev);
void events_batch_free(struct events_batch *b);

/* The CREATE TABLE IF NOT EXISTS statement of the events table. */
const char *events_table_sql(void);

/* Counters for /health and /metrics; zeros when ev is NULL. */
void events_get_stats(struct events *ev, struct events_stats *st);

struct sbuf;
/* Appends the process's events counters in Prometheus text format, labelled
 * with region (the region answering /metrics): recsys_events_stored_total,
 * _commits_total, _refused_total, recsys_events_queued and
 * recsys_events_queue_capacity. Nothing when ev is NULL. */
void events_prometheus(struct events *ev, const char *region, struct sbuf *out);

#endif
