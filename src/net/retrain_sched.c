/* The retraining scheduler thread (see retrain_sched.h). */
#include "net/retrain_sched.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/retrain.h"
#include "net/api.h"
#include "net/bio.h"
#include "net/modelprune.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/periodic.h"
#include "util/sbuf.h"

struct retrain_last {
    char started[24]; /* wall clock, ISO 8601 UTC: for people */
    double seconds;
    const char *outcome; /* static: "activated", "kept", "failed" */
    char reason[512];
    int64_t version;
    double candidate_hit_rate, active_hit_rate;
    int has_active;
    int pruned; /* versions deleted after the cycle; -1: the prune failed (logged) */
};

struct retrain_sched {
    struct api_shared *sh;
    double every;
    int keep; /* retrain_keep: 0 keeps every version */
    struct retrain_tolerance tol;
    struct periodic *timer; /* the thread: a cycle an interval after the last one ended */
    pthread_mutex_t mu;     /* over what follows, the last cycle's outcome */
    long long runs;
    int has_last;
    struct retrain_last last;
};

static void wall_now(char out[24])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Applies a winning candidate: the database version is activated through the
 * bio thread, so the regions swap engines as for an admin activation. */
static int apply(struct retrain_sched *s, const struct retrain_report *rep, char *err,
                 size_t errlen)
{
    struct bio_result res;
    if (bio_run(s->sh->bio, BIO_ACTIVATE, rep->version, &res) < 0)
        return err_code_set(err, errlen, res.rc, "activating version %lld: %s",
                            (long long)rep->version, res.err);
    return 0;
}

/* Deletes the versions beyond the s->keep newest (see modelprune.h): every
 * cycle stores one, a whole model each, so an unpruned database grows
 * without bound. The count deleted, or -1 when the prune failed (logged:
 * it leaves the versions stored and changes nothing else). */
static int prune(struct retrain_sched *s)
{
    struct modelstore_pruned p;
    char err[512];
    if (!s->keep)
        return 0;
    if (modelprune_run(s->sh->db_path, s->keep, &p, err, sizeof err) < 0) {
        log_error(NULL, "retrain", "phase=prune ok=false keep=%d error=%s", s->keep, err);
        return -1;
    }
    int n = p.n_removed;
    if (n > 0)
        log_info(NULL, "retrain", "phase=prune removed=%d kept=%d oldest_removed=%lld", n, p.kept,
                 (long long)p.removed[n - 1]);
    modelstore_pruned_free(&p);
    return n;
}

/* One cycle, outside the mutex; the outcome is published under it. */
static void cycle(void *arg)
{
    struct retrain_sched *s = arg;
    struct retrain_options o = {.db_path = s->sh->db_path, .tol = s->tol, .activate = 0};
    struct retrain_report rep;
    struct retrain_last l;
    char err[512] = "";
    memset(&l, 0, sizeof l);
    wall_now(l.started);
    log_info(NULL, "retrain", "phase=start db=%s", o.db_path);
    double t0 = clock_monotonic();
    int rc = retrain_run(&o, &rep, err, sizeof err);
    if (rc == 0 && rep.activate)
        rc = apply(s, &rep, err, sizeof err);
    l.pruned = rc == 0 ? prune(s) : 0;  /* after the swap: the old active version is inactive */
    l.seconds = clock_monotonic() - t0; /* the activation (every region reloaded) included */
    l.version = rep.version;
    l.candidate_hit_rate = rep.candidate_hit_rate;
    l.active_hit_rate = rep.active_hit_rate;
    l.has_active = rep.has_active;
    if (rc < 0) {
        l.outcome = "failed";
        snprintf(l.reason, sizeof l.reason, "%s", err);
        log_error(NULL, "retrain", "outcome=failed error=%s seconds=%.3f", err, l.seconds);
    } else {
        l.outcome = rep.activate ? "activated" : "kept";
        snprintf(l.reason, sizeof l.reason, "%s", rep.reason);
        log_info(NULL, "retrain",
                 "outcome=%s version=%lld candidate_hit_rate=%.6f active_hit_rate=%.6f "
                 "holdout_from=%s holdout_users=%lld reason=%s train_seconds=%.3f seconds=%.3f",
                 l.outcome, (long long)rep.version, rep.candidate_hit_rate, rep.active_hit_rate,
                 rep.holdout_from, (long long)rep.holdout_users, rep.reason, rep.seconds,
                 l.seconds);
    }
    pthread_mutex_lock(&s->mu);
    s->last = l;
    s->has_last = 1;
    s->runs++;
    pthread_mutex_unlock(&s->mu);
}

int retrain_sched_start(struct api_shared *sh, struct retrain_sched **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!sh->conf || sh->conf->retrain_every <= 0)
        return 0;
    if (sh->conf->model_store[0]) {
        /* Such a process has no training data: its database is the cached artifact of
         * the store's version. The training host retrains and publishes instead
         * (`recsys-tui retrain --publish URL`, e.g. from a timer). */
        log_warn(NULL, "retrain", "phase=off reason=%s",
                 "retrain_every is ignored with model_store set: run "
                 "`recsys-tui retrain --publish URL` on the training host");
        return 0;
    }
    struct retrain_sched *s = calloc(1, sizeof *s);
    if (!s)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    s->sh = sh;
    s->every = sh->conf->retrain_every;
    s->keep = sh->conf->retrain_keep;
    s->tol.value = sh->conf->retrain_tolerance;
    s->tol.relative = sh->conf->retrain_tolerance_relative;
    pthread_mutex_init(&s->mu, NULL);
    /* Not at background priority (PERIODIC_LOWPRIO), unlike the store poller:
     * a cycle stores its model under the database's write lock, and a nice
     * +19 writer on a saturated machine would hold it long enough for the
     * events writer's 5 s busy timeout to turn acknowledgements into 503s. */
    int rc = periodic_start("retraining", s->every, cycle, s, 0, &s->timer, err, errlen);
    if (rc < 0) {
        pthread_mutex_destroy(&s->mu);
        free(s);
        return rc;
    }
    log_info(NULL, "retrain", "phase=scheduled every_s=%g tolerance=%g relative=%d keep=%d",
             s->every, s->tol.value, s->tol.relative, s->keep);
    *out = s;
    return 0;
}

void retrain_sched_stop(struct retrain_sched *s)
{
    if (!s)
        return;
    periodic_stop(s->timer);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void retrain_sched_json(struct retrain_sched *s, struct sbuf *b)
{
    if (!s) {
        sbuf_puts(b, "{\"enabled\":false}");
        return;
    }
    struct retrain_last l;
    double next = periodic_next_in(s->timer); /* first: runs and last are as new or newer */
    pthread_mutex_lock(&s->mu);
    int running = next < 0, has = s->has_last;
    long long runs = s->runs;
    l = s->last;
    pthread_mutex_unlock(&s->mu);
    sbuf_printf(b,
                "{\"enabled\":true,\"every_s\":%g,\"tolerance\":%g,\"tolerance_relative\":%s,"
                "\"keep\":%d,\"running\":%s,\"runs\":%lld,\"next_in_s\":",
                s->every, s->tol.value, s->tol.relative ? "true" : "false", s->keep,
                running ? "true" : "false", runs);
    if (running)
        sbuf_puts(b, "null");
    else
        sbuf_printf(b, "%.3f", next);
    sbuf_puts(b, ",\"last\":");
    if (!has) {
        sbuf_puts(b, "null}");
        return;
    }
    sbuf_printf(b,
                "{\"started\":\"%s\",\"seconds\":%.3f,\"outcome\":\"%s\",\"version\":%lld,"
                "\"candidate_hit_rate\":%.6f,\"active_hit_rate\":",
                l.started, l.seconds, l.outcome, (long long)l.version, l.candidate_hit_rate);
    if (l.has_active)
        sbuf_printf(b, "%.6f", l.active_hit_rate);
    else
        sbuf_puts(b, "null");
    sbuf_printf(b, ",\"pruned\":%d,\"reason\":", l.pruned);
    sbuf_json_str(b, l.reason);
    sbuf_puts(b, "}}");
}
