/* storepoll: a region process follows an S3 model store (see storepoll.h). */
#include "net/storepoll.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "net/api.h"
#include "net/bio.h"
#include "store/modelcache.h"
#include "store/modelrepo.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/periodic.h"

#define STOREPOLL_RETRY_REFUSED 60.0 /* seconds before a refused version is fetched again */
#define SP_ERR                  1200 /* error sentences: they name URLs and paths */

struct storepoll {
    struct modelrepo *repo; /* the poller thread's (storepoll_first's before it starts) */
    struct modelcache cache;
    char url[600];
    int poll_s;
    struct api_shared *sh;
    struct periodic *timer; /* the poller thread, once started */
    /* Poller thread only: */
    int64_t serving; /* the store version the regions serve (installed), 0: none */
    int64_t refused; /* the last version refused, when (monotonic) and why */
    double refused_at;
    char refused_why[SP_ERR];
    /* Under mu: the status health reports. */
    pthread_mutex_t mu;
    const char *state;    /* "ok", "unreachable", "refused", "empty" (nothing active) */
    int64_t store_active; /* the pointer as last read, -1: never read */
    int64_t shown;        /* serving, for health */
    char last_ok[24];     /* UTC time of the last successful poll, "" never */
    char last_error[SP_ERR];
};

int storepoll_new(const struct regions_conf *conf, struct storepoll **out, char *err, size_t errlen)
{
    char base[600];
    int rc;
    struct storepoll *sp = calloc(1, sizeof *sp);
    *out = NULL;
    if (!sp)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    sp->poll_s = conf->store_poll > 0 ? conf->store_poll : 10;
    sp->state = "ok";
    sp->store_active = -1;
    pthread_mutex_init(&sp->mu, NULL);
    if (conf->store_cache[0])
        snprintf(base, sizeof base, "%s", conf->store_cache);
    else if ((rc = modelcache_default_dir(base, sizeof base, err, errlen)) < 0)
        goto fail;
    if ((rc = modelrepo_open(conf->model_store, &sp->repo, err, errlen)) < 0 ||
        (rc = modelcache_open(base, modelrepo_location(sp->repo), &sp->cache, err, errlen)) < 0)
        goto fail;
    snprintf(sp->url, sizeof sp->url, "%s", modelrepo_url(sp->repo));
    if (strlen(sp->cache.artifact) >= sizeof((struct api_shared *)0)->db_path) {
        rc = err_code_set(err, errlen, ERR_INVALID, "the cache path %s is too long",
                          sp->cache.artifact);
        goto fail;
    }
    *out = sp;
    return 0;
fail:
    storepoll_stop(sp);
    return rc;
}

const char *storepoll_url(const struct storepoll *sp)
{
    return sp->url;
}

void storepoll_label(const struct storepoll *sp, struct engine *e)
{
    struct engine_info info;
    char src[700];
    engine_get_info(e, &info);
    snprintf(src, sizeof src, "%s/v%lld", sp->url, (long long)info.version);
    engine_set_source(e, src);
}

/* Records a successful poll. */
static void status_ok(struct storepoll *sp)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    pthread_mutex_lock(&sp->mu);
    if (sp->last_error[0])
        log_info(NULL, "store", "url=%s ok=true serving=%lld message=the store is reachable again",
                 sp->url, (long long)sp->serving);
    sp->state = "ok";
    sp->last_error[0] = '\0';
    sp->shown = sp->serving;
    strftime(sp->last_ok, sizeof sp->last_ok, "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_unlock(&sp->mu);
}

/* Records a failed poll (logged when the reason changes, not every poll). */
static void status_fail(struct storepoll *sp, const char *state, const char *why)
{
    pthread_mutex_lock(&sp->mu);
    if (strcmp(sp->last_error, why) != 0)
        log_error(NULL, "store", "url=%s ok=false state=%s serving=%lld message=%s", sp->url, state,
                  (long long)sp->serving, why);
    sp->state = state;
    sp->shown = sp->serving;
    snprintf(sp->last_error, sizeof sp->last_error, "%s", why);
    pthread_mutex_unlock(&sp->mu);
}

/* The status word of a failed store call: refused when what the store holds
 * is wrong (format, checksum, missing version), unreachable otherwise. */
static const char *fail_state(int rc)
{
    return rc == ERR_INVALID || rc == ERR_CORRUPT || rc == ERR_NOT_FOUND ? "refused"
                                                                         : "unreachable";
}

/* The same for reading the pointer: a missing bucket is a store that cannot
 * be read, not a version refused. */
static const char *pointer_fail_state(int rc)
{
    return rc == ERR_INVALID || rc == ERR_CORRUPT ? "refused" : "unreachable";
}

/* Remembers that version v was refused, so it is not downloaded again at
 * every poll (a corrupted artifact of gigabytes); it is after a while, in
 * case its objects were mended. */
static void refuse(struct storepoll *sp, int64_t v, const char *why)
{
    sp->refused = v;
    sp->refused_at = clock_monotonic();
    snprintf(sp->refused_why, sizeof sp->refused_why, "%s", why);
}

/* Opens the artifact at path as version v of the store; ERR_CORRUPT when
 * it does not serve v cleanly. */
static int open_version(struct storepoll *sp, const char *path, int64_t v, struct engine **out,
                        char *err, size_t errlen)
{
    struct engine *e = NULL;
    struct engine_info info;
    char why[SP_ERR];
    *out = NULL;
    if (engine_open(path, &e, why, sizeof why) < 0)
        return err_code_set(err, errlen, ERR_CORRUPT, "%s/v%lld does not open: %s", sp->url,
                            (long long)v, why);
    engine_get_info(e, &info);
    if (engine_warning(e) || info.version != v) {
        err_code_set(err, errlen, ERR_CORRUPT, "%s/v%lld does not serve version %lld: %s", sp->url,
                     (long long)v, (long long)v,
                     engine_warning(e) ? engine_warning(e) : "another version inside");
        engine_release(e);
        return ERR_CORRUPT;
    }
    storepoll_label(sp, e);
    *out = e;
    return 0;
}

/* Downloads version v into the cache's temporary file, verified, opened and
 * named: *out and *m (its manifest) for keep(). On failure nothing is left. */
static int fetch(struct storepoll *sp, int64_t v, struct engine **out, struct manifest *m,
                 char *err, size_t errlen)
{
    double t0 = clock_monotonic();
    int rc = modelrepo_read_manifest(sp->repo, v, m, err, errlen);
    if (rc == ERR_NOT_FOUND)
        err_code_set(err, errlen, rc, "%s/active.json names version %lld, which has no manifest",
                     sp->url, (long long)v);
    if (rc < 0)
        return rc;
    if ((rc = modelrepo_download(sp->repo, m, MANIFEST_ARTIFACT, sp->cache.tmp, err, errlen)) ==
            0 &&
        (rc = open_version(sp, sp->cache.tmp, v, out, err, errlen)) == 0) {
        log_info(NULL, "store", "url=%s version=%lld downloaded=true ms=%.1f", sp->url,
                 (long long)v, (clock_monotonic() - t0) * 1e3);
        return 0;
    }
    unlink(sp->cache.tmp);
    manifest_free(m);
    return rc;
}

/* Moves a fetched version into the cache, once it serves (the fsyncs are
 * not on the way to the swap). A failure is logged: served, not cached. */
static void keep(struct storepoll *sp, struct manifest *m)
{
    char cerr[SP_ERR];
    if (modelcache_commit(&sp->cache, m, cerr, sizeof cerr) < 0)
        log_error(NULL, "store", "url=%s message=%s", sp->url, cerr);
    unlink(sp->cache.tmp);
    manifest_free(m);
}

/* One poll: the pointer, then the new version if there is one. */
static void poll_once(void *arg)
{
    struct storepoll *sp = arg;
    struct manifest m;
    struct pointer p;
    struct engine *e = NULL;
    char err[SP_ERR];
    int rc = modelrepo_read_pointer(sp->repo, &p, err, sizeof err);
    if (rc < 0) {
        status_fail(sp, pointer_fail_state(rc), err);
        return;
    }
    pthread_mutex_lock(&sp->mu);
    sp->store_active = p.active;
    pthread_mutex_unlock(&sp->mu);
    if (p.active == 0) {
        snprintf(err, sizeof err, "%s/%s: no version is active in the store", sp->url,
                 POINTER_NAME);
        status_fail(sp, "empty", err);
        return;
    }
    if (p.active == sp->serving) {
        status_ok(sp);
        return;
    }
    if (p.active == sp->refused && clock_monotonic() - sp->refused_at < STOREPOLL_RETRY_REFUSED) {
        status_fail(sp, "refused", sp->refused_why); /* not fetched again so soon */
        return;
    }
    if ((rc = fetch(sp, p.active, &e, &m, err, sizeof err)) < 0) {
        if (!strcmp(fail_state(rc), "refused"))
            refuse(sp, p.active, err);
        status_fail(sp, fail_state(rc), err);
        return;
    }
    rc = bio_install(sp->sh->bio, e);
    keep(sp, &m);
    if (rc < 0) {
        engine_release(e);
        snprintf(err, sizeof err, "cannot swap in %s/v%lld: the background job queue is busy",
                 sp->url, (long long)p.active);
        status_fail(sp, "unreachable", err);
        return;
    }
    log_info(NULL, "store", "url=%s version=%lld installed=true", sp->url, (long long)p.active);
    sp->serving = p.active;
    sp->refused = 0;
    status_ok(sp);
}

void storepoll_first(struct storepoll *sp, struct api_shared *sh)
{
    struct manifest cm, m;
    struct pointer p;
    struct engine *e = NULL;
    char err[SP_ERR], cerr[SP_ERR];
    int64_t cached = 0;
    sp->sh = sh;
    snprintf(sh->db_path, sizeof sh->db_path, "%.*s", (int)sizeof sh->db_path - 1,
             sp->cache.artifact); /* storepoll_new checked the length */
    if (modelcache_load(&sp->cache, &cm, cerr, sizeof cerr) == 0) {
        cached = cm.version;
        manifest_free(&cm);
    }
    int rc = modelrepo_read_pointer(sp->repo, &p, err, sizeof err);
    const char *state = rc < 0 ? pointer_fail_state(rc) : "ok";
    if (rc == 0)
        sp->store_active = p.active; /* no thread reads it yet */
    if (rc == 0 && p.active == 0) {
        state = "empty";
        rc = ERR_NOT_FOUND;
        snprintf(err, sizeof err, "%s/%s: no version is active in the store", sp->url,
                 POINTER_NAME);
    }
    if (rc == 0) {
        if (p.active == cached)
            rc = open_version(sp, sp->cache.artifact, cached, &e, err, sizeof err);
        else if ((rc = fetch(sp, p.active, &e, &m, err, sizeof err)) == 0)
            keep(sp, &m);
        state = rc < 0 ? fail_state(rc) : "ok";
        if (rc == 0) {
            sp->serving = p.active;
            status_ok(sp);
        } else if (!strcmp(state, "refused")) {
            refuse(sp, p.active, err);
        }
    }
    if (rc < 0) {
        status_fail(sp, state, err);
        if (cached > 0 &&
            open_version(sp, sp->cache.artifact, cached, &e, cerr, sizeof cerr) == 0) {
            sp->serving = cached;
            log_warn(NULL, "store",
                     "url=%s version=%lld cached=true message=serving the cached"
                     " version",
                     sp->url, (long long)cached);
        } else {
            snprintf(sh->engine_err, sizeof sh->engine_err,
                     "no model: %.300s; nothing cached in %.150s", err, sp->cache.dir);
        }
    }
    pthread_mutex_lock(&sp->mu);
    sp->shown = sp->serving;
    pthread_mutex_unlock(&sp->mu);
    sh->engine = e;
    atomic_store(&sh->engine_gen, 1);
}

int storepoll_start(struct storepoll *sp, struct api_shared *sh, char *err, size_t errlen)
{
    sp->sh = sh;
    return periodic_start("model store poller", sp->poll_s, poll_once, sp, PERIODIC_LOWPRIO,
                          &sp->timer, err, errlen);
}

void storepoll_stop(struct storepoll *sp)
{
    if (!sp)
        return;
    periodic_stop(sp->timer);
    modelrepo_close(sp->repo);
    pthread_mutex_destroy(&sp->mu);
    free(sp);
}

int storepoll_degraded(struct storepoll *sp)
{
    if (!sp)
        return 0;
    pthread_mutex_lock(&sp->mu);
    int bad = strcmp(sp->state, "ok") != 0;
    pthread_mutex_unlock(&sp->mu);
    return bad;
}

void storepoll_health_json(struct storepoll *sp, struct sbuf *b)
{
    if (!sp)
        return;
    pthread_mutex_lock(&sp->mu);
    sbuf_puts(b, ",\"store\":{\"url\":");
    sbuf_json_str(b, sp->url);
    sbuf_printf(b, ",\"status\":\"%s\",\"active\":", sp->state);
    if (sp->store_active >= 0)
        sbuf_printf(b, "%lld", (long long)sp->store_active);
    else
        sbuf_puts(b, "null");
    sbuf_printf(b, ",\"serving\":%lld,\"last_ok\":", (long long)sp->shown);
    if (sp->last_ok[0])
        sbuf_json_str(b, sp->last_ok);
    else
        sbuf_puts(b, "null");
    sbuf_puts(b, ",\"last_error\":");
    if (sp->last_error[0])
        sbuf_json_str(b, sp->last_error);
    else
        sbuf_puts(b, "null");
    sbuf_puts(b, ",\"cache\":");
    sbuf_json_str(b, sp->cache.artifact);
    sbuf_puts(b, "}");
    pthread_mutex_unlock(&sp->mu);
}
