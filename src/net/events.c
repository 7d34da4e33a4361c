/* The events queue, its writer and syncer threads (see events.h). */
#include "net/events.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/api.h"
#include "net/evloop.h"
#include "net/events_apply.h"
#include "net/events_store.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sbuf.h"

#define EVENTS_BUSY_MS     5000 /* SQLite busy timeout: another writer (train, models) */
#define EVENTS_FLUSH_AT    256  /* events queued in one loop turn that wake the writer at once */
#define EVENTS_PIPELINE_AT 64   /* events queued behind a commit that make it go to the syncer */
#define EVENTS_GATHER_US   200  /* group commit: the longest wait for the other clients */
#define EVENTS_INS_ROWS    32   /* rows of one multi-row INSERT: one statement run for 32 */
/* WAL pages that start a checkpoint (4 MiB at 4 KiB): small, so that the
   checkpoint's fsync of the database, which the WAL's fdatasyncs queue
   behind on the same disk, stays short (p99 of bench/events at batch 100) */
#define EVENTS_CKPT_PAGES 1000

static const char EVENTS_SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS events ("
    " id INTEGER PRIMARY KEY,"
    " user_id TEXT NOT NULL,"
    " product_id TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " ts INTEGER NOT NULL,"           /* unix seconds UTC: when it happened */
    " request_id TEXT,"               /* the recommendation list it came from */
    " region TEXT,"                   /* the region that received it */
    " received_at INTEGER NOT NULL)"; /* unix seconds: when it was stored */

#define EVENTS_INSERT                                                                              \
    "INSERT INTO events (user_id, product_id, type, ts, request_id, region, received_at) VALUES "

struct events {
    struct api_shared *sh;
    sqlite3 *db;
    sqlite3_stmt *ins, *ins_many, *begin, *commit; /* ins_many: EVENTS_INS_ROWS rows */
    int wal_fd; /* the WAL, for the syncer's fdatasync; -1: COMMIT syncs (FULL) */
    pthread_t th, sync_th;
    int started, sync_started;
    /* The checkpointer: copies the WAL into the database on its own
       connection and thread, so no commit waits for it. */
    sqlite3 *ckdb;
    pthread_t ck_th;
    int ck_started, ck_want, ck_stop;
    pthread_cond_t ck_cv; /* under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;                          /* the writer waits for batches */
    struct events_batch *head, *tail;           /* queued for the writer */
    atomic_int unflushed;                       /* submitted since the last events_flush */
    pthread_cond_t sync_cv;                     /* the syncer waits for commits, applies */
    struct events_batch *sync_head, *sync_tail; /* committed, not synced yet */
    int writer_done, syncing;
    size_t queued, capacity;
    size_t head_n, head_b; /* events, batches in head..tail */
    size_t open_b;         /* batches submitted and not answered yet */
    size_t peak_b;         /* the most batches lately open at once (gather) */
    int gathering;         /* the writer waits for peak_b batches (gather) */
    int stopping;
    int ckpt_pages; /* EVENTS_CKPT_PAGES; RECSYS_EVENTS_CKPT_PAGES overrides */
    int pipelined;  /* a syncer thread (RECSYS_EVENTS_PIPELINE=0: the writer syncs) */
    int delay_ms;   /* RECSYS_EVENTS_DELAY_MS: a slow disk, for tests of the full queue */
    struct events_shipper *ship; /* with a model store: the uploads (events_store.h) */
    struct events_stats st;
};

void events_batch_free(struct events_batch *b)
{
    if (!b)
        return;
    free(b->ev);
    free(b->ok_body);
    free(b);
}

/* Sends each batch's answer (running on the inbox's loop) and frees it. */
static void run_answers(struct events_batch *b)
{
    static const char fail[] =
        "{\"error\":{\"status\":503,\"message\":\"the events could not be stored; retry\"}}";
    while (b) {
        struct events_batch *next = b->next;
        if (b->done) {
            if (b->rc == 0)
                b->done(b->arg, 202, 0, b->ok_body, b->ok_len);
            else
                b->done(b->arg, 503, 1, fail, sizeof fail - 1);
        }
        events_batch_free(b);
        b = next;
    }
}

/* The inbox callback: the committed batches that arrived, on their loop. */
static void inbox_run(struct inbox_item *it)
{
    while (it) {
        struct inbox_item *next = it->next;
        struct events_batch *b = evloop_container_of(it, struct events_batch, link);
        b->next = NULL;
        run_answers(b);
        it = next;
    }
}

int events_inbox_new(int epfd, struct inbox **out, char *err, size_t errlen)
{
    return inbox_new(epfd, inbox_run, "feedback events", out, err, errlen);
}

/* Posts the finished batches of list to their inboxes: the batches of one
 * inbox go in one post (one wake-up of that loop). */
static void deliver(struct events_batch *list)
{
    struct run {
        struct inbox *ib;
        struct inbox_item *first, *last;
    } runs[REGIONS_MAX];
    int n = 0;
    while (list) {
        struct events_batch *b = list;
        list = b->next;
        b->next = NULL;
        if (!b->inbox) {
            run_answers(b);
            continue;
        }
        int k = 0;
        while (k < n && runs[k].ib != b->inbox)
            k++;
        if (k == n && n == REGIONS_MAX) { /* never expected: one inbox per region */
            inbox_post(b->inbox, &b->link);
            continue;
        }
        if (k == n)
            runs[n++] = (struct run){b->inbox, &b->link, &b->link};
        else
            runs[k].last = runs[k].last->next = &b->link;
    }
    for (int k = 0; k < n; k++)
        inbox_post_list(runs[k].ib, runs[k].first, runs[k].last);
}

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    err_set(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return ERR_FAIL;
}

/* Appends every event of list in one transaction. 0 or ERR_FAIL. */
static int write_batches(struct events *ev, struct events_batch *list, char *err, size_t errlen)
{
    int64_t now = (int64_t)time(NULL);
    size_t left = 0;
    sqlite3_stmt *s = NULL;
    int row = 0, rows = 0;
    for (struct events_batch *b = list; b; b = b->next)
        left += b->n;
    if (sqlite3_step(ev->begin) != SQLITE_DONE) {
        sqlite3_reset(ev->begin);
        return err_set(err, errlen, "%s", sqlite3_errmsg(ev->db));
    }
    sqlite3_reset(ev->begin);
    for (struct events_batch *b = list; b; b = b->next) {
        for (size_t i = 0; i < b->n; i++, left--) {
            const struct feedback_event *e = &b->ev[i];
            if (row == 0) { /* EVENTS_INS_ROWS rows a statement while there are */
                rows = left >= EVENTS_INS_ROWS ? EVENTS_INS_ROWS : 1;
                s = rows > 1 ? ev->ins_many : ev->ins;
            }
            int k = row * 7;
            sqlite3_bind_text(s, k + 1, e->user_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, k + 2, e->product_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, k + 3, feedback_type_name(e->type), -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, k + 4, e->ts);
            if (e->request_id[0])
                sqlite3_bind_text(s, k + 5, e->request_id, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(s, k + 5);
            sqlite3_bind_text(s, k + 6, b->region, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, k + 7, now);
            if (++row < rows)
                continue;
            row = 0;
            int rc = sqlite3_step(s);
            sqlite3_reset(s);
            if (rc != SQLITE_DONE) {
                err_set(err, errlen, "%s", sqlite3_errmsg(ev->db));
                exec_sql(ev->db, "ROLLBACK", NULL, 0);
                return ERR_FAIL;
            }
        }
    }
    int rc = sqlite3_step(ev->commit);
    sqlite3_reset(ev->commit);
    if (rc != SQLITE_DONE) {
        err_set(err, errlen, "%s", sqlite3_errmsg(ev->db));
        exec_sql(ev->db, "ROLLBACK", NULL, 0);
        return ERR_FAIL;
    }
    return 0;
}

/* Makes list durable - one fdatasync of the WAL covers every transaction
 * committed before it - then applies its committed events in memory and
 * answers each batch: an answered event is on disk and already in effect.
 * Without mu. */
static void sync_and_answer(struct events *ev, struct events_batch *list)
{
    size_t n = 0, ok = 0, nb = 0;
    for (struct events_batch *b = list; b; b = b->next, nb++) {
        n += b->n;
        ok += b->rc == 0 ? b->n : 0;
    }
    int src = 0;
    if (ok && ev->wal_fd >= 0) {
        while ((src = fdatasync(ev->wal_fd)) < 0 && errno == EINTR)
            ;
        if (src < 0) {
            log_error(NULL, "events", "what=fdatasync events=%zu message=%s", ok, strerror(errno));
            for (struct events_batch *b = list; b; b = b->next)
                b->rc = ERR_FAIL;
            ok = 0;
        }
    }
    if (ok)
        events_apply(ev->sh, list);
    pthread_mutex_lock(&ev->mu);
    ev->queued -= n;
    ev->open_b -= nb;
    ev->st.stored += ok;
    ev->st.syncs += ok && ev->wal_fd >= 0;
    pthread_mutex_unlock(&ev->mu);
    deliver(list);
}

/* Group commit across connections (mu held, batches queued): when small
 * requests are the rule and fewer batches are queued than were lately in
 * flight at once (ev->peak_b: about the number of clients), waits up to
 * EVENTS_GATHER_US for the others - the clients answered by the last
 * commit send again meanwhile - so one transaction and one fsync cover
 * them all, as redis' loop gathers every client while it fsyncs. A wait
 * that times out lowers the estimate. */
static void gather(struct events *ev)
{
    if (ev->head_b >= ev->peak_b || ev->head_n >= EVENTS_PIPELINE_AT || ev->sync_head ||
        ev->syncing || ev->stopping || ev->pipelined == 2)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += EVENTS_GATHER_US * 1000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    ev->gathering = 1;
    while (ev->head_b < ev->peak_b && ev->head_n < EVENTS_PIPELINE_AT && !ev->stopping &&
           pthread_cond_timedwait(&ev->cv, &ev->mu, &until) == 0)
        ;
    ev->gathering = 0;
    if (ev->head_b < ev->peak_b)
        ev->peak_b--;
}

/* The writer: one transaction for everything queued, then synced and
 * answered here, or handed to the syncer when more is waiting. */
static void *writer_main(void *arg)
{
    struct events *ev = arg;
    char err[512];
    uint64_t rebuilt = events_apply_rebuild(ev->sh, ev->db);
    pthread_mutex_lock(&ev->mu);
    ev->st.rebuilt = rebuilt;
    for (;;) {
        while (!ev->head && !ev->stopping)
            pthread_cond_wait(&ev->cv, &ev->mu);
        if (!ev->head)
            break; /* stopping with nothing left */
        gather(ev);
        struct events_batch *list = ev->head, *last = ev->tail;
        ev->head = ev->tail = NULL;
        ev->head_n = ev->head_b = 0;
        pthread_mutex_unlock(&ev->mu);
        if (ev->delay_ms > 0)
            usleep((useconds_t)ev->delay_ms * 1000);
        size_t n = 0;
        for (struct events_batch *b = list; b; b = b->next)
            n += b->n;
        int rc = write_batches(ev, list, err, sizeof err);
        if (rc < 0)
            log_error(NULL, "events", "what=write events=%zu message=%s", n, err);
        for (struct events_batch *b = list; b; b = b->next)
            b->rc = rc;
        pthread_mutex_lock(&ev->mu);
        if (rc == 0)
            ev->st.commits++;
        /* Many events are queued, or the syncer is busy: let it sync (and
           apply) this group while we write the next (pipelined). Else do it
           here: one thread wake-up and one transaction less per group when
           requests are small (what queues meanwhile makes the next group). */
        if (ev->sync_started && (ev->head_n >= EVENTS_PIPELINE_AT || ev->sync_head || ev->syncing ||
                                 ev->pipelined == 2)) {
            if (ev->sync_tail)
                ev->sync_tail->next = list;
            else
                ev->sync_head = list;
            ev->sync_tail = last;
            pthread_cond_signal(&ev->sync_cv);
        } else {
            pthread_mutex_unlock(&ev->mu);
            sync_and_answer(ev, list);
            pthread_mutex_lock(&ev->mu);
        }
    }
    ev->writer_done = 1;
    pthread_cond_signal(&ev->sync_cv);
    pthread_mutex_unlock(&ev->mu);
    return NULL;
}

/* The syncer: sync_and_answer for everything the writer committed since
 * its last round. */
static void *syncer_main(void *arg)
{
    struct events *ev = arg;
    pthread_mutex_lock(&ev->mu);
    for (;;) {
        while (!ev->sync_head && !ev->writer_done)
            pthread_cond_wait(&ev->sync_cv, &ev->mu);
        if (!ev->sync_head)
            break; /* the writer ended and everything is answered */
        struct events_batch *list = ev->sync_head;
        ev->sync_head = ev->sync_tail = NULL;
        ev->syncing = 1;
        pthread_mutex_unlock(&ev->mu);
        sync_and_answer(ev, list);
        pthread_mutex_lock(&ev->mu);
        ev->syncing = 0;
    }
    pthread_mutex_unlock(&ev->mu);
    return NULL;
}

/* After each commit (writer thread): a WAL past EVENTS_CKPT_PAGES wakes
 * the checkpointer. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct events *ev = arg;
    (void)db;
    (void)name;
    if (pages >= ev->ckpt_pages) {
        pthread_mutex_lock(&ev->mu);
        ev->ck_want = 1;
        pthread_cond_signal(&ev->ck_cv);
        pthread_mutex_unlock(&ev->mu);
    }
    return SQLITE_OK;
}

/* Passive checkpoints: they never block the writer, and once one has
 * copied everything the writer's next transaction starts the WAL over. */
static void *checkpointer_main(void *arg)
{
    struct events *ev = arg;
    pthread_mutex_lock(&ev->mu);
    for (;;) {
        while (!ev->ck_want && !ev->ck_stop)
            pthread_cond_wait(&ev->ck_cv, &ev->mu);
        if (ev->ck_stop)
            break;
        ev->ck_want = 0;
        pthread_mutex_unlock(&ev->mu);
        int log = 0, done = 0;
        if (sqlite3_wal_checkpoint_v2(ev->ckdb, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done) !=
            SQLITE_OK)
            log_error(NULL, "events", "what=checkpoint message=%s", sqlite3_errmsg(ev->ckdb));
        pthread_mutex_lock(&ev->mu);
    }
    pthread_mutex_unlock(&ev->mu);
    return NULL;
}

const char *events_table_sql(void)
{
    return EVENTS_SCHEMA;
}

/* The database's WAL file, opened for the syncer's fdatasync, its directory
 * synced once (the file may be new): a descriptor, or -1 when either fails.
 * The file stays the same while our connection is open: SQLite deletes it
 * only when the last connection closes. */
static int open_wal(sqlite3 *db)
{
    const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db, "main"));
    char dir[1100];
    int fd, dfd = -1;
    if (!wal || !*wal || (size_t)snprintf(dir, sizeof dir, "%s", wal) >= sizeof dir ||
        (fd = open(wal, O_RDWR | O_CLOEXEC)) < 0)
        return -1;
    if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) < 0 ||
        fdatasync(fd) < 0) {
        close(fd);
        fd = -1;
    }
    if (dfd >= 0)
        close(dfd);
    return fd;
}

static int open_db(struct events *ev, const char *path, int create, char *err, size_t errlen)
{
    if (sqlite3_open_v2(path, &ev->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                            (create ? SQLITE_OPEN_CREATE : 0),
                        NULL) != SQLITE_OK)
        return err_set(err, errlen, "events: cannot open %s: %s", path,
                       ev->db ? sqlite3_errmsg(ev->db) : "out of memory");
    sqlite3_busy_timeout(ev->db, EVENTS_BUSY_MS);
    if (exec_sql(ev->db, "PRAGMA journal_mode=WAL", err, errlen) < 0 ||
        exec_sql(ev->db, "PRAGMA synchronous=FULL", err, errlen) < 0 ||
        exec_sql(ev->db, EVENTS_SCHEMA, err, errlen) < 0)
        return ERR_FAIL;
    char many[sizeof EVENTS_INSERT + EVENTS_INS_ROWS * 16];
    int at = snprintf(many, sizeof many, "%s", EVENTS_INSERT);
    for (int r = 0; r < EVENTS_INS_ROWS; r++)
        at += snprintf(many + at, sizeof many - (size_t)at, "%s(?,?,?,?,?,?,?)", r ? "," : "");
    if (sqlite3_prepare_v2(ev->db, EVENTS_INSERT "(?,?,?,?,?,?,?)", -1, &ev->ins, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(ev->db, many, -1, &ev->ins_many, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ev->db, "BEGIN IMMEDIATE", -1, &ev->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ev->db, "COMMIT", -1, &ev->commit, NULL) != SQLITE_OK)
        return err_set(err, errlen, "events: %s", sqlite3_errmsg(ev->db));
    if (sqlite3_open_v2(path, &ev->ckdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        exec_sql(ev->ckdb, "PRAGMA synchronous=FULL", err, errlen) < 0)
        return err_set(err, errlen, "events: cannot open %s for checkpoints", path);
    sqlite3_busy_timeout(ev->ckdb, EVENTS_BUSY_MS);
    sqlite3_wal_hook(ev->db, on_wal, ev); /* replaces the automatic checkpoints */
    /* With the WAL open here the syncer makes commits durable, so COMMIT
       itself need not wait for the disk (NORMAL still syncs the WAL header
       when it starts over and every checkpoint: the database stays whole). */
    if ((ev->wal_fd = open_wal(ev->db)) >= 0 &&
        exec_sql(ev->db, "PRAGMA synchronous=NORMAL", err, errlen) < 0)
        return ERR_FAIL;
    return 0;
}

int events_start(struct api_shared *sh, const char *db_path, int create, struct events **out,
                 char *err, size_t errlen)
{
    struct events *ev = calloc(1, sizeof *ev);
    *out = NULL;
    if (!ev)
        return err_set(err, errlen, "out of memory");
    ev->sh = sh;
    ev->capacity = (size_t)sh->conf->events_queue;
    pthread_mutex_init(&ev->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ev->cv, &ca); /* the gather's timed waits */
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&ev->ck_cv, NULL);
    pthread_cond_init(&ev->sync_cv, NULL);
    ev->wal_fd = -1;
    const char *d = getenv("RECSYS_EVENTS_DELAY_MS");
    ev->delay_ms = d ? atoi(d) : 0;
    d = getenv("RECSYS_EVENTS_CKPT_PAGES");
    ev->ckpt_pages = d && atoi(d) > 0 ? atoi(d) : EVENTS_CKPT_PAGES;
    d = getenv("RECSYS_EVENTS_PIPELINE");
    ev->pipelined = d ? atoi(d) : 1; /* 2: always hand over (for tests) */
    int rc = open_db(ev, db_path, create, err, errlen);
    if (rc == 0) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        if (pthread_create(&ev->ck_th, NULL, checkpointer_main, ev) != 0)
            rc = err_set(err, errlen, "events: cannot start the checkpoint thread");
        ev->ck_started = rc == 0;
        if (rc == 0 && ev->pipelined && pthread_create(&ev->sync_th, NULL, syncer_main, ev) != 0)
            rc = err_set(err, errlen, "events: cannot start the syncer thread");
        ev->sync_started = rc == 0 && ev->pipelined;
        if (rc == 0 && pthread_create(&ev->th, NULL, writer_main, ev) != 0)
            rc = err_set(err, errlen, "events: cannot start the writer thread");
        ev->started = rc == 0;
        if (rc == 0 && sh->conf->model_store[0])
            rc = events_ship_start(sh->conf, db_path, &ev->ship, err, errlen);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (rc < 0) {
        events_stop(ev);
        return rc;
    }
    *out = ev;
    return 0;
}

void events_stop(struct events *ev)
{
    if (!ev)
        return;
    if (ev->started) {
        pthread_mutex_lock(&ev->mu);
        ev->stopping = 1;
        pthread_cond_signal(&ev->cv);
        pthread_mutex_unlock(&ev->mu);
        pthread_join(ev->th, NULL);
    }
    if (ev->sync_started) { /* it answers what the writer handed over, then ends */
        pthread_mutex_lock(&ev->mu);
        ev->writer_done = 1;
        pthread_cond_signal(&ev->sync_cv);
        pthread_mutex_unlock(&ev->mu);
        pthread_join(ev->sync_th, NULL);
    }
    events_ship_stop(ev->ship); /* after the writer: its last commits go up too */
    if (ev->ck_started) {
        pthread_mutex_lock(&ev->mu);
        ev->ck_stop = 1;
        pthread_cond_signal(&ev->ck_cv);
        pthread_mutex_unlock(&ev->mu);
        pthread_join(ev->ck_th, NULL);
    }
    sqlite3_close(ev->ckdb);
    sqlite3_finalize(ev->begin);
    sqlite3_finalize(ev->commit);
    sqlite3_finalize(ev->ins);
    sqlite3_finalize(ev->ins_many);
    sqlite3_close(ev->db);
    if (ev->wal_fd >= 0)
        close(ev->wal_fd);
    pthread_cond_destroy(&ev->cv);
    pthread_cond_destroy(&ev->sync_cv);
    pthread_cond_destroy(&ev->ck_cv);
    pthread_mutex_destroy(&ev->mu);
    free(ev);
}

int events_submit(struct events *ev, struct events_batch *b, struct inbox *inbox,
                  events_done_fn done, void *arg)
{
    if (!ev) {
        events_batch_free(b);
        return ERR_BUSY;
    }
    b->inbox = inbox;
    b->done = done;
    b->arg = arg;
    b->rc = 0;
    b->next = NULL;
    pthread_mutex_lock(&ev->mu);
    int fits =
        !ev->stopping && ev->capacity > 0 && (ev->queued == 0 || ev->queued + b->n <= ev->capacity);
    if (fits) {
        ev->queued += b->n;
        if (ev->tail)
            ev->tail->next = b;
        else
            ev->head = b;
        ev->tail = b;
        ev->head_n += b->n;
        ev->head_b++;
        if (++ev->open_b > ev->peak_b)
            ev->peak_b = ev->open_b;
        /* a loop turn that parses many events wakes the writer on the way,
           so it inserts the first ones while the loop parses the rest */
        if (inbox && ev->head_n < EVENTS_FLUSH_AT && !(ev->gathering && ev->head_b >= ev->peak_b))
            atomic_store_explicit(&ev->unflushed, 1, memory_order_relaxed);
        else
            pthread_cond_signal(&ev->cv);
    } else {
        ev->st.refused++;
    }
    pthread_mutex_unlock(&ev->mu);
    if (!fits) {
        events_batch_free(b);
        return ERR_BUSY;
    }
    return 0;
}

void events_flush(struct events *ev)
{
    if (!ev || !atomic_load_explicit(&ev->unflushed, memory_order_relaxed))
        return;
    pthread_mutex_lock(&ev->mu);
    atomic_store_explicit(&ev->unflushed, 0, memory_order_relaxed);
    if (ev->head)
        pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
}

void events_get_stats(struct events *ev, struct events_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!ev)
        return;
    pthread_mutex_lock(&ev->mu);
    *st = ev->st;
    st->queued = ev->queued;
    st->capacity = ev->capacity;
    pthread_mutex_unlock(&ev->mu);
}

void events_prometheus(struct events *ev, const char *region, struct sbuf *out)
{
    static const struct {
        const char *name, *type, *help;
    } m[] = {
        {"recsys_events_stored_total", "counter", "Feedback events committed (process-wide)"},
        {"recsys_events_commits_total", "counter", "Transactions of the events writer"},
        {"recsys_events_syncs_total", "counter", "fdatasyncs of the WAL (each covers commits)"},
        {"recsys_events_refused_total", "counter", "Events requests refused: queue full (503)"},
        {"recsys_events_queued", "gauge", "Events waiting for the writer or being written"},
        {"recsys_events_queue_capacity", "gauge", "events_queue: events the queue holds"},
    };
    struct events_stats st;
    if (!ev)
        return;
    events_get_stats(ev, &st);
    const double v[] = {(double)st.stored,  (double)st.commits, (double)st.syncs,
                        (double)st.refused, (double)st.queued,  (double)st.capacity};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        sbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s{region=", m[i].name, m[i].help, m[i].name,
                    m[i].type, m[i].name);
        sbuf_json_str(out, region);
        sbuf_printf(out, "} %.0f\n", v[i]);
    }
}
