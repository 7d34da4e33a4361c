/* The events queue and its writer thread (see events.h). */
#include "net/events.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/overlay.h"
#include "net/api.h"
#include "net/cache.h"
#include "net/evloop.h"
#include "net/events_store.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sbuf.h"

#define EVENTS_BUSY_MS    5000 /* SQLite busy timeout: another writer (train, models) */
#define EVENTS_CKPT_PAGES 4000 /* WAL pages that start a checkpoint (16 MiB at 4 KiB) */
#define EVENTS_GATHER_US  200  /* group commit: wait for more when clients write concurrently */

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

struct events {
    struct api_shared *sh;
    sqlite3 *db;
    sqlite3_stmt *ins, *begin, *commit;
    pthread_t th;
    int started;
    /* The checkpointer: copies the WAL into the database on its own
       connection and thread, so no commit waits for it. */
    sqlite3 *ckdb;
    pthread_t ck_th;
    int ck_started, ck_want, ck_stop;
    pthread_cond_t ck_cv; /* under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct events_batch *head, *tail;
    size_t queued, capacity;
    int stopping;
    int delay_ms;  /* RECSYS_EVENTS_DELAY_MS: a slow disk, for tests of the full queue */
    int gather_us; /* group commit wait: EVENTS_GATHER_US, RECSYS_EVENTS_GATHER_US overrides */
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

/* Posts the finished batches of list to their inboxes, one wake-up each. */
static void deliver(struct events_batch *list)
{
    while (list) {
        struct events_batch *b = list, *next = b->next;
        b->next = NULL;
        if (b->inbox)
            inbox_post(b->inbox, &b->link);
        else
            run_answers(b);
        list = next;
    }
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
    if (sqlite3_step(ev->begin) != SQLITE_DONE) {
        sqlite3_reset(ev->begin);
        return err_set(err, errlen, "%s", sqlite3_errmsg(ev->db));
    }
    sqlite3_reset(ev->begin);
    for (struct events_batch *b = list; b; b = b->next) {
        for (size_t i = 0; i < b->n; i++) {
            const struct feedback_event *e = &b->ev[i];
            sqlite3_stmt *s = ev->ins;
            sqlite3_bind_text(s, 1, e->user_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, e->product_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, feedback_type_name(e->type), -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 4, e->ts);
            if (e->request_id[0])
                sqlite3_bind_text(s, 5, e->request_id, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(s, 5);
            sqlite3_bind_text(s, 6, b->region, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 7, now);
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

/* The buyers of a batch: lower-case ids, sorted. */
struct users_set {
    char (*ids)[REC_ID_LEN];
    size_t n;
};

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, REC_ID_LEN - 1);
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 1 when the first 32-hex-character run of a cache key (the user of a
 * recommendation answer, "r:<uid>:<count>:<rep>") is one of the buyers. */
static int key_names_user(void *ctx, const char *key, size_t klen)
{
    const struct users_set *u = ctx;
    size_t i = 0;
    while (i + REC_ID_LEN - 1 <= klen) {
        size_t run = 0;
        while (i + run < klen && is_hex(key[i + run]))
            run++;
        if (run >= REC_ID_LEN - 1) {
            char id[REC_ID_LEN];
            for (size_t k = 0; k < REC_ID_LEN - 1; k++) {
                char c = key[i + k];
                id[k] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
            }
            return bsearch(id, u->ids, u->n, sizeof *u->ids, cmp_id) != NULL;
        }
        i += run + 1;
    }
    return 0;
}

/* What committed events change at once: the overlay, every region's cached
 * answers for the buyers, the experiments' counts. */
static void apply_batches(struct events *ev, struct events_batch *list)
{
    struct api_shared *sh = ev->sh;
    char buyers[256][REC_ID_LEN];
    struct users_set set = {buyers, 0};
    int many = 0;
    for (struct events_batch *b = list; b; b = b->next) {
        if (sh->overlay)
            overlay_add(sh->overlay, b->ev, b->n, (int64_t)time(NULL));
        for (size_t i = 0; i < b->n; i++)
            if (b->ev[i].type == FEEDBACK_PURCHASE) {
                if (set.n < sizeof buyers / sizeof buyers[0]) {
                    for (size_t k = 0; k < REC_ID_LEN; k++) {
                        char c = b->ev[i].user_id[k];
                        buyers[set.n][k] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
                    }
                    set.n++;
                } else
                    many = 1;
            }
        if (sh->on_events)
            sh->on_events(sh->on_events_ctx, b->ev, b->n);
    }
    if (!set.n)
        return;
    qsort(buyers, set.n, sizeof buyers[0], cmp_id);
    for (int r = 0; r < sh->n_regions; r++) {
        struct api_region *reg = sh->regions[r];
        struct cache_stats cs;
        pthread_mutex_lock(&reg->mu);
        cache_get_stats(reg->cache, &cs);
        if (cs.size > 0 && many)
            cache_clear(reg->cache); /* a flood of buyers: cheaper than matching each */
        else if (cs.size > 0)
            cache_drop_matching(reg->cache, key_names_user, &set);
        pthread_mutex_unlock(&reg->mu);
    }
}

/* Model created_at "YYYY-MM-DD HH:MM:SS" as unix seconds; 0 when none. */
static int64_t model_time(struct api_shared *sh)
{
    struct engine_info info;
    int64_t t = 0;
    pthread_mutex_lock(&sh->engine_mu);
    if (sh->engine)
        engine_get_info(sh->engine, &info);
    else
        info.created_at[0] = 0;
    pthread_mutex_unlock(&sh->engine_mu);
    if (info.created_at[0] && feedback_ts_parse(info.created_at, &t, NULL, 0) < 0)
        t = 0;
    return t;
}

/* Replays the purchases stored since the model was trained into the
 * overlay, so a restart forgets nothing the model does not know. */
static void rebuild_overlay(struct events *ev)
{
    sqlite3_stmt *s = NULL;
    struct feedback_event e;
    int64_t since = model_time(ev->sh);
    if (!ev->sh->overlay ||
        sqlite3_prepare_v2(ev->db,
                           "SELECT user_id, product_id, ts, received_at FROM events"
                           " WHERE type = 'purchase' AND received_at >= ?1 ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(s, 1, since);
    memset(&e, 0, sizeof e);
    e.type = FEEDBACK_PURCHASE;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *u = (const char *)sqlite3_column_text(s, 0);
        const char *p = (const char *)sqlite3_column_text(s, 1);
        if (!feedback_id_valid(u) || !feedback_id_valid(p))
            continue;
        memcpy(e.user_id, u, REC_ID_LEN);
        memcpy(e.product_id, p, REC_ID_LEN);
        e.ts = sqlite3_column_int64(s, 2);
        ev->st.rebuilt += overlay_add(ev->sh->overlay, &e, 1, sqlite3_column_int64(s, 3));
    }
    sqlite3_finalize(s);
    if (ev->st.rebuilt)
        log_info(NULL, "events", "what=overlay_rebuilt purchases=%llu since=%lld",
                 (unsigned long long)ev->st.rebuilt, (long long)since);
}

static void *writer_main(void *arg)
{
    struct events *ev = arg;
    char err[512];
    int last_batches = 0; /* requests in the previous commit */
    rebuild_overlay(ev);
    pthread_mutex_lock(&ev->mu);
    for (;;) {
        while (!ev->head && !ev->stopping)
            pthread_cond_wait(&ev->cv, &ev->mu);
        if (!ev->head)
            break; /* stopping with nothing left */
        /* Group commit: when the last commit carried several requests, clients are
           writing concurrently; a short wait lets the loops queue what they are parsing,
           so one fsync covers them (as PostgreSQL's commit_delay and commit_siblings). */
        if (ev->gather_us > 0 && last_batches > 1 && !ev->stopping) {
            pthread_mutex_unlock(&ev->mu);
            usleep((useconds_t)ev->gather_us);
            pthread_mutex_lock(&ev->mu);
        }
        struct events_batch *list = ev->head;
        ev->head = ev->tail = NULL;
        pthread_mutex_unlock(&ev->mu);
        if (ev->delay_ms > 0)
            usleep((useconds_t)ev->delay_ms * 1000);
        size_t n = 0;
        last_batches = 0;
        for (struct events_batch *b = list; b; b = b->next, last_batches++)
            n += b->n;
        int rc = write_batches(ev, list, err, sizeof err);
        if (rc < 0)
            log_error(NULL, "events", "what=write events=%zu message=%s", n, err);
        else
            apply_batches(ev, list);
        for (struct events_batch *b = list; b; b = b->next)
            b->rc = rc;
        pthread_mutex_lock(&ev->mu);
        ev->queued -= n;
        if (rc == 0) {
            ev->st.stored += n;
            ev->st.commits++;
        }
        pthread_mutex_unlock(&ev->mu);
        deliver(list);
        pthread_mutex_lock(&ev->mu);
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
    if (pages >= EVENTS_CKPT_PAGES) {
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
    if (sqlite3_prepare_v2(ev->db,
                           "INSERT INTO events (user_id, product_id, type, ts, request_id, region,"
                           " received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &ev->ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ev->db, "BEGIN IMMEDIATE", -1, &ev->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ev->db, "COMMIT", -1, &ev->commit, NULL) != SQLITE_OK)
        return err_set(err, errlen, "events: %s", sqlite3_errmsg(ev->db));
    if (sqlite3_open_v2(path, &ev->ckdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        exec_sql(ev->ckdb, "PRAGMA synchronous=FULL", err, errlen) < 0)
        return err_set(err, errlen, "events: cannot open %s for checkpoints", path);
    sqlite3_busy_timeout(ev->ckdb, EVENTS_BUSY_MS);
    sqlite3_wal_hook(ev->db, on_wal, ev); /* replaces the automatic checkpoints */
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
    pthread_cond_init(&ev->cv, NULL);
    pthread_cond_init(&ev->ck_cv, NULL);
    const char *d = getenv("RECSYS_EVENTS_DELAY_MS");
    ev->delay_ms = d ? atoi(d) : 0;
    d = getenv("RECSYS_EVENTS_GATHER_US");
    ev->gather_us = d ? atoi(d) : EVENTS_GATHER_US;
    if (ev->gather_us < 0 || ev->gather_us > 50000) /* the bound: 50 ms */
        ev->gather_us = EVENTS_GATHER_US;
    int rc = open_db(ev, db_path, create, err, errlen);
    if (rc == 0) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        if (pthread_create(&ev->ck_th, NULL, checkpointer_main, ev) != 0)
            rc = err_set(err, errlen, "events: cannot start the checkpoint thread");
        ev->ck_started = rc == 0;
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
    sqlite3_close(ev->db);
    pthread_cond_destroy(&ev->cv);
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
        {"recsys_events_refused_total", "counter", "Events requests refused: queue full (503)"},
        {"recsys_events_queued", "gauge", "Events waiting for the writer or being written"},
        {"recsys_events_queue_capacity", "gauge", "events_queue: events the queue holds"},
    };
    struct events_stats st;
    if (!ev)
        return;
    events_get_stats(ev, &st);
    const double v[] = {(double)st.stored, (double)st.commits, (double)st.refused,
                        (double)st.queued, (double)st.capacity};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        sbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s{region=", m[i].name, m[i].help, m[i].name,
                    m[i].type, m[i].name);
        sbuf_json_str(out, region);
        sbuf_printf(out, "} %.0f\n", v[i]);
    }
}
