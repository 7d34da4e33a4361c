/* A/B experiments on live traffic: the process-wide registry of
 * experiments (running and stopped), the engine of every running variant,
 * assignment of users to variants, and the outcome counters.
 *
 * Threads. The registry (records, snapshot pointer) is guarded by
 * experiments.mu and changed only by background jobs on the bio thread
 * (net/expapi.c: create, stop, promote), which run the SQL (net/expstore.c)
 * and open the variants' engines. What a region's loop needs on every
 * recommendation is an immutable, reference-counted snapshot of the running
 * experiments with an engine reference per variant: a region takes the new
 * one when the generation number changes (exp_sync, as api.c sync_engine
 * does for the main engine), so the hot path takes no lock but its own
 * region's. Counters are relaxed atomics in the records, which live until
 * exp_close: impressions and exposure from the loops, clicks and purchases
 * from the events writer thread (exp_on_events, through net/expattr.c).
 * The table gets them every EXP_AUTOSAVE_S seconds from the autosave thread
 * (and at stop, promote and exit), so a crash loses that interval at most.
 *
 * Assignment. A user falls in a traffic bucket hash("traffic", user) mod
 * 100 (an experiment with `traffic` T covers the range it was given,
 * [from, from + T)), then in a variant bucket hash(experiment, user) mod
 * 100 against the cumulative shares: no state, so the same user gets the
 * same variant on every request, in every region and process. */
#ifndef RECSYS_NET_EXP_H
#define RECSYS_NET_EXP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/feedback.h"
#include "net/expstats.h"
#include "util/sbuf.h"

#define EXP_MAX          32 /* experiments kept, running or stopped; one more is 409 */
#define EXP_MAX_TEXT     "32"
#define EXP_VARIANTS_MAX 8
#define EXP_NAME_MAX     48 /* names: 1..47 of [A-Za-z0-9._-] */

/* Outcomes of one variant. Rates are per list served: click-through is
 * lists with at least one attributed click / impressions, conversion is
 * lists with at least one attributed purchase / impressions (so it is the
 * hit rate of the lists shown). Users exposed: HyperLogLog (expstats.h). */
struct exp_counts {
    _Atomic uint64_t impressions, clicks, purchases, lists_clicked, lists_bought;
    uint8_t users[EXPSTATS_HLL_M];
};

struct exp_variant {
    char name[EXP_NAME_MAX];
    int64_t version;
    int share; /* percent of the experiment's users */
    struct exp_counts c;
};

/* One experiment. Everything but the lines marked is immutable once the
 * record is published. */
struct exp_record {
    int64_t id; /* its row in the experiments table */
    char name[EXP_NAME_MAX];
    int n_variants;
    struct exp_variant v[EXP_VARIANTS_MAX];
    int traffic_from, traffic; /* its buckets of the traffic layer: [from, from + traffic) */
    char created_at[24];
    /* under experiments.mu: */
    int running;
    int held; /* running in the table but not served here (no engine at start) */
    char stopped_at[24];
    char promoted[EXP_NAME_MAX]; /* the variant promoted, "" when none */
    /* under experiments.save_mu: */
    uint64_t saved_total; /* the sum of the counters the table was last given */
};

/* The running experiments, as one region serves them (immutable). */
struct exp_snap;
struct bio;
struct periodic;

struct experiments {
    pthread_mutex_t mu;
    struct exp_record *rec[EXP_MAX]; /* oldest first; freed by exp_close only */
    int n;
    struct exp_snap *snap;    /* the current one (a reference); NULL when none runs */
    atomic_uint_fast64_t gen; /* bumped with every new snapshot */
    struct expattr *attr;     /* recent lists, for attribution */
    char db_path[512];
    char nonce[9];               /* request ids: 8 hex digits, random per process */
    atomic_uint_fast64_t serial; /* request ids: the counter */
    /* Orders the writes of counters to the table (the autosave thread, the bio
     * thread's stop and promote, exp_close): each reads the counters while it
     * holds it, so the last write has the newest values. Never a loop's. */
    pthread_mutex_t save_mu;
    struct periodic *autosave; /* NULL until exp_autosave_start */
    int autosave_failing;      /* under save_mu: the last autosave failed (logged once) */
};

/* The variant a request is served by. */
struct exp_pick {
    struct exp_record *rec; /* NULL: no experiment covers the user */
    int variant;
    struct engine *engine; /* borrowed from the region's snapshot */
    int64_t version;
};

/* A new, empty registry for the database at db_path (no SQL yet). Returns
 * 0, or ERR_NOMEM with err. */
int exp_new(const char *db_path, struct experiments **out, char *err, size_t errlen);
/* Reads the experiments table and opens the engines of the running ones
 * beside base (engine_open_variant; a variant whose version is base's
 * shares base). Startup only, before the regions serve. A running
 * experiment whose variant cannot be opened is stopped with the reason
 * logged. 0, or a negative err_code when the table cannot be read. */
int exp_load(struct experiments *x, struct engine *base, char *err, size_t errlen);
/* Saves every record's counters (SQL), frees everything. NULL is fine. */
void exp_close(struct experiments *x);

#define EXP_AUTOSAVE_S 10.0 /* the servers' interval: what a kill -9 may lose */

/* Starts a thread that writes the counters (and users sketch) of every
 * experiment whose counts moved since its last save to the table every
 * every_s seconds, all of them in one transaction (expstore_save_counters),
 * so a crash loses at most that interval's counts; nothing is written while
 * they stand still. The counters are absolute values and a restart loads
 * them as such, so a save repeated is harmless. Status is not written here:
 * stop and promote save it themselves (exp_save). exp_close stops the
 * thread. 0, or a negative err_code with err. */
int exp_autosave_start(struct experiments *x, double every_s, char *err, size_t errlen);
/* Saves rec's status and counters now (expstore_update), ordered with the
 * autosave thread. Background threads only (SQL). 0 or a negative err_code. */
int exp_save(struct experiments *x, struct exp_record *rec, char *err, size_t errlen);

/* Adds rec (malloc'd; the registry owns it from now on, even on failure)
 * as a running experiment served by engines[i] for variant i (references
 * the registry takes over). Bio thread. 0, or ERR_CONFLICT when a record
 * of that name exists or EXP_MAX are kept. */
int exp_add(struct experiments *x, struct exp_record *rec, struct engine **engines, char *err,
            size_t errlen);
/* Marks rec stopped (stopped_at = now, promoted = variant name or NULL)
 * and publishes a snapshot without it. Bio thread. */
void exp_stop(struct experiments *x, struct exp_record *rec, const char *promoted);
/* The record named name, or NULL. Caller holds x->mu. */
struct exp_record *exp_find(struct experiments *x, const char *name, size_t len);
/* First bucket of a free range of `traffic` buckets among the running
 * experiments, or -1 when none is free. Caller holds x->mu. */
int exp_free_range(const struct experiments *x, int traffic);

/* The region's view: takes the current snapshot when the generation moved
 * since *gen; the old one is released through bio (engines are freed off
 * the loop; NULL: here). x NULL: nothing. */
void exp_sync(struct experiments *x, struct bio *bio, struct exp_snap **snap, uint64_t *gen);
/* Drops a reference to s; the last one releases the variants' engines
 * (through bio_release when bio is set). NULL is fine. */
void exp_snap_release(struct exp_snap *s, struct bio *bio);
/* The variant of user (a 32-hex id, any case) under snapshot s: 1 and *out,
 * or 0 when no running experiment covers the user. No lock, no allocation. */
int exp_pick(const struct exp_snap *s, const char *user, struct exp_pick *out);
/* Appends ":x<id>.<variant>" to a NUL-terminated cache key (room for 24
 * more bytes needed), so variants never share cache entries. */
void exp_cache_suffix(char *key, const struct exp_pick *p);
/* A recommendation list was served (list: its rendered JSON, the members
 * render_recs writes) by region to user: appends ,"request_id":"..." to b
 * and, when pick is set, ,"experiment":...,"variant":... and counts the
 * impression, the user's exposure and the list for attribution. now:
 * monotonic seconds. */
void exp_served(struct experiments *x, const struct exp_pick *pick, const char *region,
                const char *user, const char *list, size_t len, double now, struct sbuf *b);

/* The variant to promote when none is named: the highest conversion,
 * then the highest click-through, then the first. Reads counters only. */
int exp_leader(const struct exp_record *rec);

/* api_shared.on_events: attributes the clicks and purchases of a committed
 * batch (any thread; ctx is the registry). */
void exp_on_events(void *ctx, const struct feedback_event *ev, size_t n);

#endif
