/* The experiments registry, snapshots and the serving hooks (see exp.h). */
#include "net/exp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/bio.h"
#include "net/expattr.h"
#include "net/expstore.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/periodic.h"

/* One running experiment as the loops see it. */
struct exp_snap_entry {
    struct exp_record *rec;
    int shares[EXP_VARIANTS_MAX];
    struct engine *engine[EXP_VARIANTS_MAX]; /* a reference each */
};

struct exp_snap {
    int refs; /* __atomic */
    int n;
    struct exp_snap_entry e[EXP_MAX];
};

int exp_new(const char *db_path, struct experiments **out, char *err, size_t errlen)
{
    struct experiments *x = calloc(1, sizeof *x);
    *out = NULL;
    if (!x || !(x->attr = calloc(1, sizeof *x->attr))) {
        free(x);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&x->mu, NULL);
    pthread_mutex_init(&x->save_mu, NULL);
    expattr_init(x->attr);
    snprintf(x->db_path, sizeof x->db_path, "%s", db_path);
    /* a per-process nonce keeps request ids unique across restarts and hosts */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed = expstats_hash("nonce", x->db_path) ^ (uint64_t)ts.tv_nsec ^
                    ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
    snprintf(x->nonce, sizeof x->nonce, "%08x", (unsigned)(expstats_hash("n", x->nonce) ^ seed));
    *out = x;
    return 0;
}

/* Releases an engine off the loops when bio is set. */
static void drop_engine(struct bio *bio, struct engine *e)
{
    if (bio)
        bio_release(bio, e);
    else
        engine_release(e);
}

void exp_snap_release(struct exp_snap *s, struct bio *bio)
{
    if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (int i = 0; i < s->n; i++)
        for (int v = 0; v < s->e[i].rec->n_variants; v++)
            drop_engine(bio, s->e[i].engine[v]);
    free(s);
}

/* Publishes a snapshot of the running records: engines of old entries are
 * carried over; add (with its engines, references taken over) joins it.
 * Bio thread, x->mu held. 0 or ERR_NOMEM (nothing changed; add's engines
 * are then still the caller's). */
static int publish(struct experiments *x, struct exp_record *add, struct engine **engines)
{
    struct exp_snap *s = calloc(1, sizeof *s), *old = x->snap;
    if (!s)
        return ERR_NOMEM;
    s->refs = 1;
    for (int i = 0; old && i < old->n; i++) {
        const struct exp_snap_entry *o = &old->e[i];
        if (!o->rec->running)
            continue;
        s->e[s->n] = *o;
        for (int v = 0; v < o->rec->n_variants; v++)
            engine_retain(o->engine[v]);
        s->n++;
    }
    if (add) {
        struct exp_snap_entry *e = &s->e[s->n++];
        e->rec = add;
        for (int v = 0; v < add->n_variants; v++) {
            e->shares[v] = add->v[v].share;
            e->engine[v] = engines[v];
        }
    }
    x->snap = s;
    atomic_fetch_add(&x->gen, 1);
    exp_snap_release(old, NULL); /* the bio thread (or startup): free here */
    return 0;
}

struct exp_record *exp_find(struct experiments *x, const char *name, size_t len)
{
    for (int i = 0; i < x->n; i++)
        if (strlen(x->rec[i]->name) == len && !memcmp(x->rec[i]->name, name, len))
            return x->rec[i];
    return NULL;
}

int exp_free_range(const struct experiments *x, int traffic)
{
    unsigned char used[100] = {0};
    for (int i = 0; i < x->n; i++)
        if (x->rec[i]->running)
            for (int b = x->rec[i]->traffic_from;
                 b < x->rec[i]->traffic_from + x->rec[i]->traffic && b < 100; b++)
                used[b] = 1;
    for (int from = 0; from + traffic <= 100; from++) {
        int ok = 1;
        for (int b = from; b < from + traffic && ok; b++)
            ok = !used[b];
        if (ok)
            return from;
    }
    return -1;
}

int exp_add(struct experiments *x, struct exp_record *rec, struct engine **engines, char *err,
            size_t errlen)
{
    int rc = 0;
    pthread_mutex_lock(&x->mu);
    if (exp_find(x, rec->name, strlen(rec->name)))
        rc = err_code_set(err, errlen, ERR_CONFLICT, "an experiment named %s exists", rec->name);
    else if (x->n >= EXP_MAX)
        rc = err_code_set(err, errlen, ERR_CONFLICT, "%d experiments are kept already", EXP_MAX);
    else if (rec->running && publish(x, rec, engines) < 0)
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    if (rc == 0)
        x->rec[x->n++] = rec;
    pthread_mutex_unlock(&x->mu);
    if (rc < 0) {
        for (int v = 0; v < rec->n_variants && rec->running; v++)
            engine_release(engines[v]);
        free(rec);
    }
    return rc;
}

/* "YYYY-MM-DD HH:MM:SS" UTC now. */
static void now_text(char out[24])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm);
}

void exp_stop(struct experiments *x, struct exp_record *rec, const char *promoted)
{
    pthread_mutex_lock(&x->mu);
    rec->running = 0;
    now_text(rec->stopped_at);
    snprintf(rec->promoted, sizeof rec->promoted, "%s", promoted ? promoted : "");
    if (publish(x, NULL, NULL) < 0) { /* out of memory: serve nothing rather than a stale set */
        struct exp_snap *old = x->snap;
        x->snap = NULL;
        atomic_fetch_add(&x->gen, 1);
        exp_snap_release(old, NULL);
    }
    pthread_mutex_unlock(&x->mu);
}

/* Opens the engines of a running record loaded from the table. */
static int open_variants(struct exp_record *rec, struct engine *base, struct engine **eng,
                         char *err, size_t errlen)
{
    struct engine_info bi;
    engine_get_info(base, &bi);
    for (int v = 0; v < rec->n_variants; v++) {
        eng[v] = NULL;
        for (int k = 0; k < v && !eng[v]; k++)
            if (rec->v[k].version == rec->v[v].version) {
                eng[v] = eng[k];
                engine_retain(eng[v]);
            }
        if (!eng[v] && !bi.fallback && bi.version == rec->v[v].version) {
            eng[v] = base;
            engine_retain(base);
        }
        int rc = eng[v] ? 0 : engine_open_variant(base, rec->v[v].version, &eng[v], err, errlen);
        if (rc < 0) {
            while (v-- > 0)
                engine_release(eng[v]);
            return rc;
        }
    }
    return 0;
}

/* The sum of rec's counters: each only grows, so the sum moves when any
 * does (the users sketch moves only with impressions). */
static uint64_t counts_total(const struct exp_record *rec)
{
    uint64_t t = 0;
    for (int v = 0; v < rec->n_variants; v++) {
        const struct exp_counts *c = &rec->v[v].c;
        t += atomic_load_explicit(&c->impressions, memory_order_relaxed) +
             atomic_load_explicit(&c->clicks, memory_order_relaxed) +
             atomic_load_explicit(&c->purchases, memory_order_relaxed) +
             atomic_load_explicit(&c->lists_clicked, memory_order_relaxed) +
             atomic_load_explicit(&c->lists_bought, memory_order_relaxed);
    }
    return t;
}

/* expstore_load's callback: one record read from the table. */
static int loaded(void *arg, struct exp_record *rec, struct engine *base)
{
    struct experiments *x = arg;
    struct engine *eng[EXP_VARIANTS_MAX];
    char err[512];
    if (rec->running && !base) { /* kept running in the table: served after a restart */
        log_error(NULL, "experiment", "name=%s ok=false message=not served: no engine at start",
                  rec->name);
        rec->running = 0;
        rec->held = 1;
    } else if (rec->running && open_variants(rec, base, eng, err, sizeof err) < 0) {
        log_error(NULL, "experiment", "name=%s ok=false message=cannot serve it, stopped: %s",
                  rec->name, err);
        rec->running = 0;
        now_text(rec->stopped_at);
        expstore_update(x->db_path, rec, err, sizeof err);
    }
    rec->saved_total = counts_total(rec); /* as read: nothing to save yet */
    return exp_add(x, rec, eng, err, sizeof err);
}

int exp_load(struct experiments *x, struct engine *base, char *err, size_t errlen)
{
    return expstore_load(x->db_path, loaded, x, base, err, errlen);
}

int exp_save(struct experiments *x, struct exp_record *rec, char *err, size_t errlen)
{
    pthread_mutex_lock(&x->save_mu);
    uint64_t total = counts_total(rec); /* before the write reads them: never ahead of it */
    int rc = expstore_update(x->db_path, rec, err, errlen);
    if (rc == 0)
        rec->saved_total = total;
    pthread_mutex_unlock(&x->save_mu);
    return rc;
}

/* The autosave thread's call: the records whose counters moved since their
 * last save, in one transaction. A failure is logged once until a save
 * succeeds again (a locked database every 10 s would flood the log). */
static void autosave(void *arg)
{
    struct experiments *x = arg;
    struct exp_record *rec[EXP_MAX];
    uint64_t total[EXP_MAX];
    char err[512];
    int n = 0;
    pthread_mutex_lock(&x->save_mu);
    pthread_mutex_lock(&x->mu); /* the list only: records live until exp_close */
    for (int i = 0; i < x->n; i++)
        rec[n++] = x->rec[i];
    pthread_mutex_unlock(&x->mu);
    int k = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = counts_total(rec[i]);
        if (t != rec[i]->saved_total) {
            total[k] = t;
            rec[k++] = rec[i];
        }
    }
    if (!k) {
        pthread_mutex_unlock(&x->save_mu);
        return;
    }
    if (expstore_save_counters(x->db_path, (const struct exp_record *const *)rec, k, err,
                               sizeof err) < 0) {
        if (!x->autosave_failing)
            log_error(NULL, "experiment", "what=autosave ok=false experiments=%d message=%s", k,
                      err);
        x->autosave_failing = 1;
    } else {
        for (int i = 0; i < k; i++)
            rec[i]->saved_total = total[i];
        if (x->autosave_failing)
            log_info(NULL, "experiment", "what=autosave ok=true experiments=%d", k);
        x->autosave_failing = 0;
    }
    pthread_mutex_unlock(&x->save_mu);
}

int exp_autosave_start(struct experiments *x, double every_s, char *err, size_t errlen)
{
    return periodic_start("experiments autosave", every_s, autosave, x, 0, &x->autosave, err,
                          errlen);
}

void exp_close(struct experiments *x)
{
    if (!x)
        return;
    char err[512];
    periodic_stop(x->autosave);      /* a save in progress ends first; the last one is below */
    exp_snap_release(x->snap, NULL); /* it reads the records */
    for (int i = 0; i < x->n; i++) {
        if (expstore_update(x->db_path, x->rec[i], err, sizeof err) < 0)
            log_error(NULL, "experiment", "name=%s ok=false message=counters not saved: %s",
                      x->rec[i]->name, err);
        free(x->rec[i]);
    }
    expattr_free(x->attr);
    free(x->attr);
    pthread_mutex_destroy(&x->save_mu);
    pthread_mutex_destroy(&x->mu);
    free(x);
}

void exp_sync(struct experiments *x, struct bio *bio, struct exp_snap **snap, uint64_t *gen)
{
    if (!x)
        return;
    uint64_t g = atomic_load(&x->gen);
    if (g == *gen)
        return;
    pthread_mutex_lock(&x->mu);
    struct exp_snap *s = x->snap;
    if (s)
        __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    g = atomic_load(&x->gen);
    pthread_mutex_unlock(&x->mu);
    exp_snap_release(*snap, bio);
    *snap = s;
    *gen = g;
}

int exp_pick(const struct exp_snap *s, const char *user, struct exp_pick *out)
{
    if (!s || s->n == 0)
        return 0;
    char low[REC_ID_LEN];
    size_t i = 0;
    for (; user[i] && i < sizeof low - 1; i++)
        low[i] = (char)tolower((unsigned char)user[i]);
    low[i] = '\0';
    int tb = expstats_bucket("traffic", low);
    for (int k = 0; k < s->n; k++) {
        const struct exp_snap_entry *e = &s->e[k];
        if (tb < e->rec->traffic_from || tb >= e->rec->traffic_from + e->rec->traffic)
            continue;
        int v = expstats_pick(expstats_bucket(e->rec->name, low), e->shares, e->rec->n_variants);
        if (v < 0)
            return 0;
        out->rec = e->rec;
        out->variant = v;
        out->engine = e->engine[v];
        out->version = e->rec->v[v].version;
        return 1;
    }
    return 0;
}

void exp_cache_suffix(char *key, const struct exp_pick *p)
{
    size_t n = strlen(key);
    snprintf(key + n, 24, ":x%lld.%d", (long long)p->rec->id, p->variant);
}

/* The request id "<region tag>-<nonce>-<serial in hex>" into out (at most
 * 8 + 1 + 8 + 1 + 16 characters and a NUL), without printf: it is on every
 * recommendation. The tag is up to 8 of [A-Za-z0-9] from the region name. */
static void request_id(char out[FEEDBACK_REQUEST_ID_LEN], const char *region, const char *nonce,
                       uint64_t serial)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out, rev[16];
    int k = 0, n = 0;
    for (const char *p = region; *p && k < 8; p++)
        if (isalnum((unsigned char)*p))
            *o++ = *p, k++;
    *o++ = '-';
    for (const char *p = nonce; *p && p - nonce < 8; p++)
        *o++ = *p;
    *o++ = '-';
    do
        rev[n++] = hex[serial & 15];
    while ((serial >>= 4) && n < 16);
    while (n)
        *o++ = rev[--n];
    *o = '\0';
}

void exp_served(struct experiments *x, const struct exp_pick *pick, const char *region,
                const char *user, const char *list, size_t len, double now, struct sbuf *b)
{
    char id[FEEDBACK_REQUEST_ID_LEN];
    uint64_t serial = x ? atomic_fetch_add(&x->serial, 1) + 1 : 0;
    struct exp_variant *v = x && pick && pick->rec ? &pick->rec->v[pick->variant] : NULL;
    if (v) { /* before b grows: list may point into it */
        atomic_fetch_add_explicit(&v->c.impressions, 1, memory_order_relaxed);
        expstats_hll_add(v->c.users, expattr_id_hash(user));
        expattr_record(x->attr, user, serial, &v->c, list, len, now);
    }
    request_id(id, region, x ? x->nonce : "0", serial);
    sbuf_puts(b, ",\"request_id\":\"");
    sbuf_puts(b, id);
    sbuf_puts(b, "\"");
    if (!v)
        return;
    sbuf_puts(b, ",\"experiment\":");
    sbuf_json_str(b, pick->rec->name);
    sbuf_puts(b, ",\"variant\":");
    sbuf_json_str(b, v->name);
}

/* The serial of one of this process's request ids ("<tag>-<nonce>-<hex>"),
 * 0 for anything else. */
static uint64_t serial_of(const struct experiments *x, const char *rid)
{
    const char *a = strchr(rid, '-'), *b = a ? strchr(a + 1, '-') : NULL;
    if (!b || b - a - 1 != 8 || memcmp(a + 1, x->nonce, 8))
        return 0;
    char *end;
    unsigned long long v = strtoull(b + 1, &end, 16);
    return *end || end == b + 1 ? 0 : (uint64_t)v;
}

void exp_on_events(void *ctx, const struct feedback_event *ev, size_t n)
{
    struct experiments *x = ctx;
    double now = clock_monotonic();
    for (size_t i = 0; i < n; i++) {
        if (ev[i].type != FEEDBACK_CLICK && ev[i].type != FEEDBACK_PURCHASE)
            continue;
        expattr_event(x->attr, ev[i].user_id, ev[i].product_id, serial_of(x, ev[i].request_id),
                      ev[i].type == FEEDBACK_CLICK ? EXPATTR_CLICK : EXPATTR_PURCHASE, now);
    }
}

/* x / n, 0 when n is 0. */
static double rate(uint64_t x, uint64_t n)
{
    return n ? (double)(x > n ? n : x) / (double)n : 0;
}

int exp_leader(const struct exp_record *rec)
{
    int best = 0;
    double bc = -1, bt = -1;
    for (int v = 0; v < rec->n_variants; v++) {
        const struct exp_counts *c = &rec->v[v].c;
        uint64_t n = atomic_load(&c->impressions);
        double conv = rate(atomic_load(&c->lists_bought), n);
        double ctr = rate(atomic_load(&c->lists_clicked), n);
        if (conv > bc || (conv == bc && ctr > bt)) {
            best = v;
            bc = conv;
            bt = ctr;
        }
    }
    return best;
}
