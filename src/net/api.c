/* HTTP routes of a region (see api.h and docs/API.md). */
#include "net/api.h"
#include "net/health.h"
#include "net/inbox.h"
#include "net/modelsapi.h"
#include "net/reply.h"
#include "net/accesslog.h"
#include "net/admin.h"
#include "net/audience_http.h"
#include "net/apikeys.h"
#include "net/bio.h"
#include "net/events_http.h"
#include "net/exp.h"
#include "net/expapi.h"
#include "net/expjson.h"
#include "net/body.h"
#include "net/cache.h"
#include "net/forwarded.h"
#include "net/insights.h"
#include "net/openapi.h"
#include "net/pending.h"
#include "net/ratelimit.h"
#include "net/render.h"
#include "net/storepoll.h"
#include "net/route.h"
#include "net/retrain_sched.h"
#include "net/events.h"
#include "engine/modelstore.h"
#include "engine/overlay_rec.h"
#include "util/error.h"
#include "util/clock.h"
#include "util/log.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_MAX (8u << 20) /* largest response body we build */

static const char JSON_CT[] = REPLY_JSON_CT;

int api_region_init(struct api_region *r, struct api_shared *sh, const struct region_conf *rc,
                    char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->conf = rc;
    r->sh = sh;
    pthread_mutex_init(&r->mu, NULL);
    r->cache =
        cache_new((size_t)sh->conf->cache_size, (size_t)sh->conf->cache_bytes, sh->conf->cache_ttl);
    r->rl = ratelimit_new(sh->conf->rate_limit, sh->conf->rate_burst);
    r->res = malloc(sizeof *r->res);
    sbuf_init(&r->body, BODY_MAX);
    r->started = clock_monotonic();
    metrics_init(&r->m, sh->conf->stats_window, r->started);
    if (!r->cache || !r->rl || !r->res) {
        api_region_free(r);
        return err_set(err, errlen, "region %s: out of memory", rc->name);
    }
    return 0;
}

void api_region_free(struct api_region *r)
{
    cache_free(r->cache);
    ratelimit_free(r->rl);
    free(r->res);
    sbuf_free(&r->body);
    engine_release(r->engine);
    exp_snap_release(r->xsnap, NULL);
    inbox_free(r->inbox);
    inbox_free(r->ev_inbox);
    pthread_mutex_destroy(&r->mu);
    memset(r, 0, sizeof *r);
}

int api_region_attach(struct api_region *r, int epfd, void (*done)(void *, void *, int), void *ctx,
                      char *err, size_t errlen)
{
    r->done = done;
    r->done_ctx = ctx;
    if (bio_inbox_new(epfd, &r->inbox, err, errlen) < 0)
        return -1;
    return events_inbox_new(epfd, &r->ev_inbox, err, errlen);
}

/* Takes the current engine when it changed since this region last looked:
 * new reference, old one released, cache invalidated. Caller holds r->mu. */
static void sync_engine(struct api_region *r)
{
    uint64_t g = atomic_load(&r->sh->engine_gen);
    if (g == r->gen)
        return;
    pthread_mutex_lock(&r->sh->engine_mu);
    struct engine *e = r->sh->engine;
    if (e)
        engine_retain(e);
    g = atomic_load(&r->sh->engine_gen);
    pthread_mutex_unlock(&r->sh->engine_mu);
    bio_release(r->sh->bio, r->engine); /* freeing a model is not the loop's job either */
    r->engine = e;
    r->gen = g;
    cache_invalidate(r->cache); /* O(1): the old entries go as they are met */
    r->model_version = 0;
    if (e) {
        struct engine_info info;
        memset(&info, 0, sizeof info);
        engine_get_info(e, &info);
        r->model_version = info.version;
    }
}

/* ---- handlers: each fills rp->r->body (or static_body) and rp->status ---- */

static int is_method(const struct http_request *q, const char *m)
{
    size_t n = strlen(m);
    return q->method_len == n && !memcmp(q->method, m, n);
}

/* Whether the query string has parameter `key` (as "key=..." or "key"),
 * matched at a parameter boundary, so "discount=5" is not "count". */
static int query_has(const struct http_request *q, const char *key)
{
    size_t kl = strlen(key);
    const char *p = q->query, *end = q->query ? q->query + q->query_len : NULL;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        if ((size_t)(pe - p) >= kl && !memcmp(p, key, kl) && (p + kl == pe || p[kl] == '='))
            return 1;
        p = amp ? amp + 1 : end;
    }
    return 0;
}

/* count, allow_repurchase and context from ?count= or the JSON body; 0 or
 * -1 (error set: a context field at fault is a 422 naming it). */
static int rec_params(struct reply *rp, int *count, int *repurchase, struct rec_context *cx)
{
    const struct http_request *q = rp->req;
    char v[16];
    *count = 10;
    *repurchase = REC_REPURCHASE_MODEL; /* absent: the model's policy (learned score) */
    cx->set = 0;
    if (http_query_get(q, "count", v, sizeof v) == 0) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > REC_MAX_ITEMS) {
            reply_error(rp, 400, "count must be an integer 1..%d", REC_MAX_ITEMS);
            return -1;
        }
        *count = (int)n;
    } else if (query_has(q, "count")) { /* present but too long to be valid */
        reply_error(rp, 400, "count must be an integer 1..%d", REC_MAX_ITEMS);
        return -1;
    }
    if (!is_method(q, "POST") || q->body_len == 0) { /* ?state=&category=&exclude=a,b */
        char st[8], cat[72], ex[REC_MAX_EXCLUDE * REC_ID_LEN + 1], err[256];
        int hs = !http_query_get(q, "state", st, sizeof st),
            hc = !http_query_get(q, "category", cat, sizeof cat),
            he = !http_query_get(q, "exclude", ex, sizeof ex);
        if (!hs && query_has(q, "state")) /* too long to copy: checked as too long */
            hs = snprintf(st, sizeof st, "%s", "XXX");
        if (!hc && query_has(q, "category"))
            hc = snprintf(cat, sizeof cat, "%064d", 0);
        if (!he && query_has(q, "exclude")) {
            reply_error(rp, 422, "context.exclude must list at most %d product ids",
                        REC_MAX_EXCLUDE);
            return -1;
        }
        if (body_query_context(hs ? st : NULL, hc ? cat : NULL, he ? ex : NULL, cx, err,
                               sizeof err) < 0) {
            reply_error(rp, 422, "%s", err);
            return -1;
        }
        return 0;
    }
    struct body_rec br = {*count, *repurchase};
    char err[256];
    int rc = body_parse_rec(q->body, q->body_len, REC_MAX_ITEMS, &br, err, sizeof err);
    if (rc < 0) {
        reply_error(rp, render_status(rc), "%s", err);
        return -1;
    }
    *count = br.count;
    *repurchase = br.allow_repurchase;
    if (body_parse_context(q->body, q->body_len, cx, err, sizeof err) < 0) {
        reply_error(rp, 422, "%s", err);
        return -1;
    }
    return 0;
}

static void h_recommend(struct reply *rp, const char *id, size_t id_len)
{
    struct api_region *r = rp->r;
    struct sbuf *b = &r->body;
    int count, rep;
    char uid[REC_ID_LEN], key[CACHE_KEY_MAX];
    if (!reply_is_hex_id(id, id_len)) {
        reply_error(rp, 400, "user_id must be 32 hexadecimal characters");
        return;
    }
    struct rec_context cx; /* a request with one is never cached */
    if (rec_params(rp, &count, &rep, &cx) < 0)
        return;
    memcpy(uid, id, 32);
    uid[32] = '\0';
    render_rec_key(key, uid, count, rep);
    struct exp_pick pick; /* an experiment's variant serves the user: its engine, its entries */
    exp_sync(r->sh->exps, r->sh->bio, &r->xsnap, &r->xgen);
    int in_exp = exp_pick(r->xsnap, uid, &pick);
    struct engine *eng = in_exp ? pick.engine : r->engine;
    if (in_exp)
        exp_cache_suffix(key, &pick);
    size_t vlen, start = 0;
    const char *hit = cx.set ? NULL : cache_get(r->cache, key, rp->t0, &vlen);
    sbuf_reset(b);
    sbuf_puts(b, "{\"region\":");
    sbuf_json_str(b, rp->entry->conf->name);
    sbuf_puts(b, ",\"served_by\":");
    sbuf_json_str(b, r->conf->name);
    if (hit) {
        rp->cache = "HIT";
        sbuf_puts(b, ",\"cache\":\"HIT\",");
        start = b->len;
        sbuf_append(b, hit, vlen);
    } else {
        rp->cache = "MISS";
        if (!eng) {
            reply_error(rp, 503, "no model and no fallback: %s", r->sh->engine_err);
            return;
        }
        struct rec_request q = {.user = uid,
                                .count = count,
                                .allow_repurchase = rep,
                                .overlay = r->sh->overlay,
                                .context = cx.set ? &cx : NULL};
        char err[512] = "";
        if (cx.set && engine_context_check(eng, &cx, err, sizeof err) < 0) {
            reply_error(rp, 422, "%s", err);
            return;
        }
        int rc = engine_recommend(eng, &q, r->res, err, sizeof err);
        if (rc < 0) {
            reply_error(rp, render_status(rc), "recommendation failed: %s", err);
            return;
        }
        sbuf_puts(b, ",\"cache\":\"MISS\",");
        start = b->len;
        render_recs(b, r->res, in_exp ? pick.version : r->model_version);
        if (!b->overflow && !cx.set)
            cache_put(r->cache, key, b->p + start, b->len - start, rp->t0);
    }
    exp_served(r->sh->exps, in_exp ? &pick : NULL, r->conf->name, uid, b->p + start,
               b->len - start, rp->t0, b);
    render_latency_end(b, (clock_monotonic() - rp->t0) * 1e3);
    rp->status = 200;
}

static void h_entity(struct reply *rp, const char *id, size_t id_len, int user)
{
    struct api_region *r = rp->r;
    char sid[REC_ID_LEN], err[512] = "";
    if (!reply_is_hex_id(id, id_len)) {
        reply_error(rp, 400, "%s must be 32 hexadecimal characters", user ? "user_id" : "product_id");
        return;
    }
    if (!r->engine) {
        reply_error(rp, 503, "no model and no fallback: %s", r->sh->engine_err);
        return;
    }
    memcpy(sid, id, 32);
    sid[32] = '\0';
    struct user_profile prof;
    struct product_detail prod;
    int rc = user ? overlay_user_profile(r->sh->overlay, r->engine, sid, &prof, err, sizeof err)
                  : engine_product_detail(r->engine, sid, &prod, err, sizeof err);
    if (rc < 0) {
        if (rc == ERR_NOT_FOUND)
            reply_error(rp, 404, "unknown %s %s", user ? "user" : "product", sid);
        else
            reply_error(rp, render_status(rc), "%s", err[0] ? err : "lookup failed");
        return;
    }
    sbuf_reset(&r->body);
    if (user) {
        render_user(&r->body, &prof);
        engine_user_profile_free(&prof);
    } else {
        render_product(&r->body, &prod);
    }
    render_close(&r->body, rp->entry->conf->name, r->conf->name);
    rp->status = 200;
}

/* GET /api/v1/users/random?with_history=1[&seed=N]: {"user_id": ...} of a
 * user with purchase history, for demos (the dashboard's "random user").
 * Without seed, a per-region counter mixed with the clock picks one. */
static void h_random_user(struct reply *rp)
{
    struct api_region *r = rp->r;
    char v[24];
    uint64_t seed;
    if (http_query_get(rp->req, "with_history", v, sizeof v) == 0 && strcmp(v, "1") &&
        strcmp(v, "true")) {
        reply_error(rp, 400, "with_history must be 1 (only users with purchase history are offered)");
        return;
    }
    if (http_query_get(rp->req, "seed", v, sizeof v) == 0) {
        char *end;
        unsigned long long x = strtoull(v, &end, 10);
        if (!*v || *end || v[0] == '-') {
            reply_error(rp, 400, "seed must be a non-negative integer");
            return;
        }
        seed = (uint64_t)x;
    } else {
        seed = (uint64_t)(rp->t0 * 1e9) ^ (r->m.total * 0x9e3779b97f4a7c15ull);
    }
    if (!r->engine) {
        reply_error(rp, 503, "no model and no fallback: %s", r->sh->engine_err);
        return;
    }
    char uid[REC_ID_LEN];
    if (engine_random_user(r->engine, seed, uid) < 0) {
        reply_error(rp, 404, "no user with purchase history in the active model");
        return;
    }
    cJSON *j = cJSON_CreateObject();
    if (!j) {
        reply_error(rp, 500, "out of memory rendering JSON");
        return;
    }
    cJSON_AddStringToObject(j, "user_id", uid);
    reply_json(rp, j);
    cJSON_Delete(j);
}

/* The experiments routes (expapi.h): answered here, or parked for a job. */
static void h_experiments(struct reply *rp, const struct route_match *m)
{
    char err[600];
    int st = expapi_handle(rp->r->sh->exps, rp->req, m->arg, m->arg_len, rp->entry->conf->name,
                           rp->r->conf->name, &rp->r->body, &rp->xjob, err, sizeof err);
    if (st == 0)
        rp->job = BIO_CALL;
    else if (st >= 400)
        reply_error(rp, st, "%s", err);
    else
        rp->status = st;
}

static void h_metrics(struct reply *rp)
{
    struct api_region *r = rp->r;
    struct cache_stats cs;
    cache_get_stats(r->cache, &cs);
    struct metrics_extra x = {
        .cache_hits = cs.hits,
        .cache_misses = cs.misses,
        .cache_size = (double)cs.size,
        .cache_bytes = (double)cs.bytes,
        .model_version = r->model_version,
        .uptime_s = clock_monotonic() - r->started,
        .degraded = !r->engine || engine_warning(r->engine) != NULL,
    };
    struct log_stats ls;
    log_get_stats(&ls);
    x.log_written = ls.written;
    x.log_dropped = ls.dropped;
    sbuf_reset(&r->body);
    metrics_prometheus(&r->m, r->conf->name, &x, &r->body);
    expjson_prometheus(r->sh->exps, &r->body);
    events_prometheus(r->sh->events, r->conf->name, &r->body);
    rp->status = 200;
    rp->ctype = "text/plain; version=0.0.4";
}

/* The region that serves a request carrying Region-Hint (h, n bytes): see
 * route_hint_pick. NULL for a name regions.conf does not know. */
static struct api_region *hint_target(struct api_region *self, const char *h, size_t n)
{
    struct api_shared *sh = self->sh;
    struct route_region cand[REGIONS_MAX];
    char name[ROUTE_HINT_MAX];
    int me = -1;
    if (route_hint_parse(h, n, name) < 0)
        return NULL;
    if (!strcmp(name, self->conf->name)) /* the common case: the router names the receiver */
        return self;
    for (int i = 0; i < sh->n_regions && i < REGIONS_MAX; i++) {
        cand[i] = (struct route_region){sh->regions[i]->conf, atomic_load(&sh->regions[i]->up)};
        if (sh->regions[i] == self)
            me = i;
    }
    if (me < 0) /* not registered: it can only serve itself */
        return !strcmp(name, self->conf->name) ? self : NULL;
    int k = route_hint_pick(sh->conf, name, cand, sh->n_regions, me);
    return k < 0 ? NULL : sh->regions[k];
}

static void dispatch(struct reply *rp, const struct route_match *m)
{
    switch (m->route) {
    case ROUTE_HEALTH:
        health_handle(rp);
        break;
    case ROUTE_RECOMMEND:
        h_recommend(rp, m->arg, m->arg_len);
        break;
    case ROUTE_STATS:
        health_stats(rp);
        break;
    case ROUTE_USER:
        if (m->arg)
            h_entity(rp, m->arg, m->arg_len, 1);
        else
            h_random_user(rp);
        break;
    case ROUTE_PRODUCT:
        h_entity(rp, m->arg, m->arg_len, 0);
        break;
    case ROUTE_AUDIENCE:
        audience_http_handle(rp, m->arg, m->arg_len);
        break;
    case ROUTE_MODELS:
    case ROUTE_MODEL_ACTIVATE:
    case ROUTE_MODEL_ROLLBACK:
        modelsapi_handle(rp, m->route, m->arg, m->arg_len);
        break;
    case ROUTE_EXPERIMENTS:
        h_experiments(rp, m);
        break;
    case ROUTE_METRICS:
        h_metrics(rp);
        break;
    case ROUTE_INSIGHTS: /* a snapshot built on the bio thread (insights.h) */
        rp->status = insights_serve(rp->r->sh, &rp->r->body, &rp->retry_after);
        break;
    case ROUTE_OPENAPI:
        rp->static_body = openapi_json(&rp->static_len);
        rp->status = 200;
        break;
    case ROUTE_EVENTS: /* checked now; park_events answers once they are durable */
        if (!rp->r->engine || !rp->r->sh->events)
            reply_error(rp, 503, "feedback events are not available (%s)",
                      rp->r->engine ? "events_queue = 0" : "no model");
        else
            rp->status = events_http_prepare(rp->r->engine, rp->r->conf->name, rp->req->body,
                                             rp->req->body_len, (int64_t)time(NULL),
                                             &rp->r->body, &rp->events);
        break;
    case ROUTE_DOCS:
        rp->static_body = openapi_docs_html(&rp->static_len);
        rp->ctype = "text/html; charset=utf-8";
        rp->status = 200;
        break;
    default:
        reply_error(rp, 500, "unrouted request");
        break;
    }
}

/* Handles the request under rp->r's lock (held by the caller). */
/* The key checks (admin_gate). A failed key also takes a token of the
 * client's rate limit, so guessing keys is throttled (429 once spent). 0 to
 * go on, -1 when the error is set. */
static int check_keys(struct reply *rp, const struct route_match *m)
{
    struct api_shared *sh = rp->r->sh;
    size_t kl = 0;
    const char *k = http_header_get(rp->req, "X-API-Key", &kl), *why;
    int st = admin_gate(sh->keys, sh->admin_keys, m->protected_route, m->admin, k, kl, rp->client,
                        rp->how, &why);
    int wait = st == 401 ? ratelimit_take(rp->r->rl, rp->client, rp->t0) : 0;
    if (wait > 0) {
        rp->retry_after = wait;
        reply_error(rp, 429, "rate limit exceeded: retry in %d s", wait);
    } else if (st) {
        reply_error(rp, st, "%s", why);
    }
    return st ? -1 : 0;
}

static void handle_locked(struct reply *rp, int parse_status)
{
    const struct http_request *q = rp->req;
    struct route_match m;
    sync_engine(rp->r);
    if (parse_status < 0) {
        reply_error(rp, -parse_status, "%s", http_reject_reason(parse_status));
        return;
    }
    route_match(q->path, q->path_len, &m);
    rp->route = m.route < 0 ? ROUTE_OTHER : m.route;
    if (m.route < 0) {
        reply_error(rp, 404, "no route for %.*s %.*s", (int)q->method_len, q->method,
                  (int)(q->path_len > 200 ? 200 : q->path_len), q->path);
        return;
    }
    if (!route_method_allowed(m.allow, q->method, q->method_len)) {
        rp->allow = m.allow;
        reply_error(rp, 405, "method %.*s not allowed here (allowed: %s)",
                  (int)(q->method_len > 16 ? 16 : q->method_len), q->method, m.allow);
        return;
    }
    rp->admin = m.admin;
    rp->arg = m.arg;
    rp->arg_len = m.arg_len;
    if (check_keys(rp, &m) < 0)
        return;
    if (m.limited) {
        int wait = ratelimit_take(rp->r->rl, rp->client, rp->t0);
        if (wait > 0) {
            rp->retry_after = wait;
            reply_error(rp, 429, "rate limit exceeded: retry in %d s", wait);
            return;
        }
    }
    dispatch(rp, &m);
    if (rp->r->body.overflow && !rp->static_body)
        reply_error(rp, 500, "response too large");
}

static void write_head(struct sbuf *out, const struct reply *rp, size_t len, int keep)
{
    render_head(out, rp->status, http_status_text(rp->status), rp->ctype, len, rp->r->conf->name);
    if (rp->allow)
        sbuf_printf(out, "Allow: %s\r\n", rp->allow);
    if (rp->retry_after)
        sbuf_printf(out, "Retry-After: %d\r\n", rp->retry_after);
    sbuf_puts(out, keep ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
}

/* Writes the response rp describes to out (the request is rp->req, the
 * peer addr) and records it: metrics, admin and access logs. Caller holds
 * rp->r->mu. Returns 1 when the connection may stay open. */
static int reply_send(struct reply *rp, int parse_status, const unsigned char addr[16],
                      struct sbuf *out)
{
    const struct http_request *req = rp->req;
    int keep = parse_status >= 0 && req->keep_alive;
    const char *body = rp->static_body ? rp->static_body : rp->r->body.p;
    size_t blen = rp->static_body ? rp->static_len : rp->r->body.len;
    write_head(out, rp, blen, keep);
    if (parse_status < 0 || !is_method(req, "HEAD")) /* HEAD: the length, not the bytes */
        sbuf_append(out, body ? body : "", blen);
    double secs = clock_monotonic() - rp->t0;
    metrics_record(&rp->r->m, rp->route, rp->status, secs, rp->t0 + secs);
    if (rp->admin) {
        size_t kl = 0;
        const char *k = http_header_get(req, "X-API-Key", &kl);
        admin_log(rp->r->conf->name, metrics_route_name(rp->route), rp->arg, rp->arg_len,
                  rp->status, rp->client, addr, rp->how, k, kl);
    }
    if (parse_status >= 0)
        accesslog_write(rp->r->sh->log, rp->r->conf->name, req->method, req->method_len, req->path,
                        req->path_len, rp->status, secs * 1e3, rp->cache, rp->client);
    else
        accesslog_write(rp->r->sh->log, rp->r->conf->name, "-", 1, "-", 1, rp->status, secs * 1e3,
                        NULL, rp->client);
    return keep;
}

/* A model job ended (bio.c -> this loop's inbox): answers the parked
 * request as api_handle would have, then lets its connection go on. */
static void models_job_done(void *arg, const struct bio_result *res)
{
    struct pending *p = arg;
    struct http_request req;
    struct reply rp;
    struct route_match m;
    memcpy(&rp, p->state, sizeof rp);
    if (p->conn && pending_request(p, &req) < 0) /* checked when parked: never */
        rp.entry->done(rp.entry->done_ctx, p->conn, 0);
    else if (p->conn) {
        rp.req = &req; /* the parked copy: the connection's buffer has moved on */
        route_match(req.path, req.path_len, &m);
        rp.arg = m.arg;
        rp.arg_len = m.arg_len;
        pthread_mutex_lock(&rp.r->mu);
        sync_engine(rp.r);
        modelsapi_result(&rp, res);
        int keep = reply_send(&rp, 0, p->addr, p->out);
        pthread_mutex_unlock(&rp.r->mu);
        rp.entry->done(rp.entry->done_ctx, p->conn, keep);
    }
    expapi_job_free(rp.xjob);
    pending_free(p);
}

/* bio_call_fn of an experiments job: the pending's copy of the reply names it. */
static void exp_job_run(struct api_shared *sh, void *arg, struct bio_result *res)
{
    const struct pending *p = arg;
    struct reply rp;
    memcpy(&rp, p->state, sizeof rp);
    expapi_run(sh, rp.xjob, res);
}

/* Parks the request while its model job runs on the bio thread, so the
 * loop goes on serving: 0 and *deferred set, or -1 with the error in rp
 * (answered now: no background thread, queue full, out of memory). */
static int park(struct reply *rp, const unsigned char addr[16], struct sbuf *out, void *conn,
                struct evloop_deferred **deferred)
{
    struct api_shared *sh = rp->r->sh;
    struct pending *p = NULL;
    int rc = ERR_BUSY;
    if (deferred && rp->entry->inbox && rp->entry->done && sh->bio &&
        (rc = pending_new(rp->req, conn, out, addr, rp, sizeof *rp, &p)) == 0 &&
        (rc = rp->job == BIO_CALL
                  ? bio_call(sh->bio, exp_job_run, rp->r->conf->name, rp->entry->inbox,
                             models_job_done, p)
                  : bio_submit(sh->bio, (enum bio_op)rp->job, rp->job_version, rp->r->conf->name,
                               rp->entry->inbox, models_job_done, p)) < 0)
        pending_free(p);
    if (rc == 0) {
        *deferred = &p->def;
        return 0;
    }
    expapi_job_free(rp->xjob);
    rp->xjob = NULL;
    reply_error(rp, rc == ERR_BUSY ? 503 : 500, "cannot queue the models request: %s",
              rc == ERR_BUSY ? "too many are waiting, retry later" : "out of memory");
    if (rc == ERR_BUSY)
        rp->retry_after = 1;
    return -1;
}

/* The events writer made a parked batch durable (or failed): answers it as
 * api_handle would have, then lets its connection go on. */
static void events_done(void *arg, int status, int retry_after, const char *body, size_t len)
{
    struct pending *p = arg;
    struct http_request req;
    struct reply rp;
    memcpy(&rp, p->state, sizeof rp);
    if (p->conn && pending_request(p, &req) == 0) {
        rp.req = &req;
        pthread_mutex_lock(&rp.r->mu);
        rp.status = status;
        rp.retry_after = retry_after;
        sbuf_reset(&rp.r->body);
        sbuf_append(&rp.r->body, body, len);
        int keep = reply_send(&rp, 0, p->addr, p->out);
        pthread_mutex_unlock(&rp.r->mu);
        rp.entry->done(rp.entry->done_ctx, p->conn, keep);
    } else if (p->conn) {
        rp.entry->done(rp.entry->done_ctx, p->conn, 0);
    }
    pending_free(p);
}

/* Queues rp->events for the writer with the request parked: 0 and
 * *deferred, or -1 with a 503 (queue full) set in rp. */
static int park_events(struct reply *rp, const unsigned char addr[16], struct sbuf *out,
                       void *conn, struct evloop_deferred **deferred)
{
    struct pending *p = NULL;
    struct events_batch *b = rp->events;
    rp->events = NULL;
    if (deferred && rp->entry->ev_inbox && rp->entry->done &&
        pending_new(rp->req, conn, out, addr, rp, sizeof *rp, &p) == 0) {
        if (events_submit(rp->r->sh->events, b, rp->entry->ev_inbox, events_done, p) == 0) {
            *deferred = &p->def;
            return 0;
        }
        pending_free(p);
    } else {
        events_batch_free(b);
    }
    rp->retry_after = 1;
    reply_error(rp, 503, "the events queue is full: retry later");
    return -1;
}

int api_handle(struct api_region *self, const struct http_request *req, int parse_status,
               const unsigned char addr[16], struct sbuf *out, void *conn,
               struct evloop_deferred **deferred)
{
    struct reply rp = {.entry = self,
                       .r = self,
                       .req = req,
                       .route = ROUTE_OTHER,
                       .status = 500,
                       .ctype = JSON_CT,
                       .t0 = clock_monotonic()};
    int unknown = 0;
    memcpy(rp.client, addr, 16);
    if (parse_status >= 0) {
        rp.how = forwarded_client(self->sh->conf, addr, req, rp.client);
        size_t hl = 0;
        const char *h = http_header_get(req, "Region-Hint", &hl);
        if (h) {
            struct api_region *t = hint_target(self, h, hl);
            if (t)
                rp.r = t;
            else
                unknown = 1;
        }
    }
    pthread_mutex_lock(&rp.r->mu);
    if (unknown) {
        sync_engine(rp.r);
        reply_error(&rp, 400, "Region-Hint names no region in regions.conf");
    } else {
        handle_locked(&rp, parse_status);
    }
    if (rp.events && park_events(&rp, addr, out, conn, deferred) == 0) {
        pthread_mutex_unlock(&rp.r->mu);
        return 1; /* events_done answers */
    }
    if (rp.job && park(&rp, addr, out, conn, deferred) == 0) {
        pthread_mutex_unlock(&rp.r->mu);
        return 1; /* models_job_done answers */
    }
    int keep = reply_send(&rp, parse_status, addr, out);
    pthread_mutex_unlock(&rp.r->mu);
    return keep;
}

const char *api_overload_response(size_t *len)
{
    static const char resp[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: 72\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        "{\"error\":{\"status\":503,\"message\":\"too many connections to this region\"}}";
    *len = sizeof resp - 1;
    return resp;
}
