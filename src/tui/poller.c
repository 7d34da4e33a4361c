/* libcurl multi poller (see poller.h). One job per HTTP request; a job's
 * body is capped (JOB_BODY_MAX) so a broken or hostile region cannot make the
 * dashboard grow without bound. JSON answers are parsed with cJSON into
 * struct tui_data in poller_json.c. */
#include "tui/poller.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/fleet.h"
#include "tui/jsonfetch.h"
#include "tui/poller_json.h"
#include "util/clock.h"
#include "util/error.h"

#define JOBS_MAX          64
#define JOB_BODY_MAX      (1 << 20)
#define LOOKUP_TIMEOUT_MS 10000L

enum job_kind { JOB_HEALTH, JOB_STATS, JOB_RECS, JOB_USER, JOB_RANDOM, JOB_MODELS, JOB_MODEL_POST };

struct job {
    int used, kind, region;
    unsigned gen; /* lookup generation: answers to a replaced lookup are dropped */
    struct jsonfetch http;
    double started;
};

struct poller {
    CURLM *multi;
    struct regions_conf conf;
    struct tui_data d;
    struct job jobs[JOBS_MAX];
    double interval_s, next_tick, check_timeout_s;
    unsigned lookup_gen;
    double lookup_started;
    int random_count, random_region;
    char api_key[128];
    char admin_key[128]; /* for activate and rollback when admin_keys_file is set */
};

void poller_fsm_init(struct health_fsm *f)
{
    memset(f, 0, sizeof *f);
    f->status = REGION_UNKNOWN;
}

enum region_status poller_fsm_update(struct health_fsm *f, int ok, int degraded)
{
    f->checks++;
    if (ok) {
        f->ok_checks++;
        f->fails = 0;
        f->status = degraded ? REGION_DEGRADED : REGION_UP;
    } else if (++f->fails >= POLLER_DOWN_AFTER) {
        f->status = REGION_DOWN;
    }
    return f->status;
}

const char *poller_status_word(enum region_status s)
{
    switch (s) {
    case REGION_UP:
        return "UP";
    case REGION_DEGRADED:
        return "DEGRADED";
    case REGION_DOWN:
        return "DOWN";
    default:
        return "WAIT";
    }
}

/* First non-empty, non-comment line of the API keys file, if any. */
static void read_api_key(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    if (!path[0])
        return;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *s = line + strspn(line, " \t");
        if (*s && *s != '#') {
            snprintf(out, n, "%s", s);
            break;
        }
    }
    fclose(f);
}

struct poller *poller_create(const struct regions_conf *conf, double interval_s, char *err,
                             size_t errlen)
{
    if (conf->n_regions <= 0 || conf->n_regions > REGIONS_MAX) {
        err_set(err, errlen, "the configuration names %d regions (need 1..%d)", conf->n_regions,
                REGIONS_MAX);
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        err_set(err, errlen, "libcurl failed to initialise");
        return NULL;
    }
    struct poller *p = calloc(1, sizeof *p);
    if (!p) {
        curl_global_cleanup();
        err_set(err, errlen, "out of memory allocating the poller");
        return NULL;
    }
    p->multi = curl_multi_init();
    if (!p->multi) {
        free(p);
        curl_global_cleanup();
        err_set(err, errlen, "curl_multi_init failed");
        return NULL;
    }
    p->conf = *conf;
    p->interval_s = interval_s > 0.05 ? interval_s : 0.05;
    p->check_timeout_s = fmin(fmax(2 * p->interval_s, 0.5), 5.0);
    read_api_key(conf->api_keys_file, p->api_key, sizeof p->api_key);
    read_api_key(conf->admin_keys_file, p->admin_key, sizeof p->admin_key);
    p->d.n_regions = conf->n_regions;
    p->d.interval_s = p->interval_s;
    p->d.count = 10;
    p->d.region = -1;
    for (int i = 0; i < conf->n_regions; i++) {
        const struct region_conf *rc = &conf->regions[i];
        struct region_view *r = &p->d.r[i];
        snprintf(r->name, sizeof r->name, "%s", rc->name);
        snprintf(r->location, sizeof r->location, "%s", rc->location);
        snprintf(r->url, sizeof r->url, "http://%s:%d", rc->host[0] ? rc->host : "127.0.0.1",
                 rc->port);
        poller_fsm_init(&r->fsm);
        r->p50 = r->p99 = r->rps = r->hit_ratio = r->rtt_ms = r->uptime_s = NAN;
        r->window_s = r->life_rps = r->life_p99 = NAN;
        series_init(&r->p50_hist);
        series_init(&r->p99_hist);
        series_init(&r->rps_hist);
        series_init(&r->rtt_hist);
        series_init(&r->status_hist);
    }
    return p;
}

static void job_free(struct poller *p, struct job *j)
{
    jsonfetch_end(&j->http, p->multi);
    memset(j, 0, sizeof *j);
}

void poller_destroy(struct poller *p)
{
    if (!p)
        return;
    for (int i = 0; i < JOBS_MAX; i++)
        if (p->jobs[i].used)
            job_free(p, &p->jobs[i]);
    curl_multi_cleanup(p->multi);
    free(p);
    curl_global_cleanup();
}

struct tui_data *poller_data(struct poller *p)
{
    return &p->d;
}

const char *poller_admin_key(const struct poller *p)
{
    return p->admin_key[0] ? p->admin_key : p->api_key;
}

static int job_busy(const struct poller *p, int kind, int region)
{
    for (int i = 0; i < JOBS_MAX; i++)
        if (p->jobs[i].used && p->jobs[i].kind == kind &&
            (region < 0 || p->jobs[i].region == region))
            return 1;
    return 0;
}

/* Starts one request to region `region` (path starts with '/'); post_body
 * non-NULL makes it a POST with a JSON body. Returns 0, -1 when no job slot is
 * free or libcurl refuses. */
static int job_start(struct poller *p, int kind, int region, const char *path,
                     const char *post_body, long timeout_ms)
{
    struct job *j = NULL;
    for (int i = 0; i < JOBS_MAX && !j; i++)
        if (!p->jobs[i].used)
            j = &p->jobs[i];
    if (!j)
        return -1;
    char url[512];
    snprintf(url, sizeof url, "%s%s", p->d.r[region].url, path);
    j->used = 1;
    j->kind = kind;
    j->region = region;
    j->gen = p->lookup_gen;
    j->started = clock_monotonic();
    j->http.owner = j;
    /* Model changes are admin routes: an admin key, which also passes as an API key. */
    const char *key = kind == JOB_MODEL_POST && p->admin_key[0] ? p->admin_key : p->api_key;
    struct jsonfetch_opts o = {.key = key,
                               .post = post_body,
                               .timeout_ms = timeout_ms,
                               .connect_ms = timeout_ms,
                               .max = JOB_BODY_MAX};
    if (jsonfetch_start(&j->http, p->multi, url, &o) < 0) {
        job_free(p, j);
        return -1;
    }
    return 0;
}

static void set_region_error(struct region_view *r, const char *what, const char *msg)
{
    snprintf(r->last_error, sizeof r->last_error, "%s: %s", what, msg);
    r->last_error_at = time(NULL);
}

static void on_health(struct poller *p, struct job *j, int ok, const char *msg, double ms)
{
    struct region_view *r = &p->d.r[j->region];
    int degraded = 0;
    if (ok && poller_json_health(j->http.body, r) < 0) {
        ok = 0;
        msg = "unreadable health JSON";
    }
    if (ok)
        degraded = strcmp(r->server_status, "UP") != 0;
    else if (msg)
        set_region_error(r, "health", msg);
    poller_fsm_update(&r->fsm, ok, degraded);
    r->rtt_ms = ok ? ms : NAN;
    series_push(&r->p50_hist, ok ? r->p50 : NAN);
    series_push(&r->p99_hist, ok ? r->p99 : NAN);
    series_push(&r->rps_hist, ok ? r->rps : NAN);
    series_push(&r->rtt_hist, ok ? ms : NAN);
    series_push(&r->status_hist, (double)r->fsm.status);
    fleet_versions(&p->d);
}

/* First region that answered its last check, preferring `idx` when it did. */
static int healthy_region(const struct poller *p, int idx)
{
    if (idx >= 0 && idx < p->d.n_regions && p->d.r[idx].fsm.fails == 0 && p->d.r[idx].have_health)
        return idx;
    for (int i = 0; i < p->d.n_regions; i++)
        if (p->d.r[i].fsm.fails == 0 && p->d.r[i].have_health)
            return i;
    return idx >= 0 ? idx : 0;
}

static void record_recent(struct poller *p, int region)
{
    struct tui_data *d = &p->d;
    struct rec_result *rr = &d->recs[region];
    if (d->n_recent && !strcmp(d->recent[0].user_id, d->user_id) && d->recent[0].count == d->count)
        return; /* a second region answering the same lookup */
    memmove(&d->recent[1], &d->recent[0], sizeof d->recent[0] * (RECENT_MAX - 1));
    struct recent_lookup *rl = &d->recent[0];
    snprintf(rl->user_id, sizeof rl->user_id, "%s", d->user_id);
    rl->count = d->count;
    rl->n_items = rr->n;
    rl->ms = rr->client_ms;
    rl->at = time(NULL);
    if (d->n_recent < RECENT_MAX)
        d->n_recent++;
}

/* One finished transfer: ok when it got a 200 with a body, else msg says
 * why (the server's JSON error message when there is one). */
struct answer {
    int ok, stale; /* stale: for a lookup that was replaced meanwhile */
    long status;
    double ms;
    const char *msg;
};

static void on_recs(struct poller *p, struct job *j, const struct answer *a)
{
    struct rec_result *rr = &p->d.recs[j->region];
    rr->client_ms = a->ms;
    if (a->ok && poller_json_recs(j->http.body, rr, rr->error, sizeof rr->error) == 0) {
        rr->state = LOOKUP_OK;
        record_recent(p, j->region);
    } else {
        rr->state = LOOKUP_ERROR;
        if (!a->ok)
            snprintf(rr->error, sizeof rr->error, "%s", a->msg);
    }
}

static void on_user(struct poller *p, struct job *j, const struct answer *a)
{
    struct user_history *h = &p->d.hist;
    if (a->ok && poller_json_user(j->http.body, h, h->error, sizeof h->error) == 0) {
        h->state = LOOKUP_OK;
    } else {
        h->state = LOOKUP_ERROR;
        if (!a->ok)
            snprintf(h->error, sizeof h->error, "%s",
                     a->status == 404 ? "no purchase history (unknown user)" : a->msg);
    }
}

/* GET /api/v1/users/random answered: look that user up (R key). A 404 means
 * the model knows no user with history (popularity fallback). */
static void on_random(struct poller *p, struct job *j, const struct answer *a)
{
    char uid[40];
    if (a->ok && poller_json_random_user(j->http.body, uid, sizeof uid) == 0)
        poller_lookup(p, uid, p->random_count, p->random_region);
    else
        snprintf(p->d.lookup_msg, sizeof p->d.lookup_msg, "random user: %s",
                 a->ok ? "no user_id in the answer" : a->msg);
}

static void on_models(struct poller *p, struct job *j, const struct answer *a)
{
    struct tui_data *d = &p->d;
    if (j->kind == JOB_MODELS && a->ok && poller_json_models(j->http.body, d) == 0) {
        d->models_state = LOOKUP_OK;
        return;
    }
    if (j->kind == JOB_MODELS) {
        d->models_state = LOOKUP_ERROR;
        snprintf(d->models_msg, sizeof d->models_msg, "models: %s",
                 a->ok ? "unreadable JSON" : a->msg);
        return;
    }
    int active = -1; /* JOB_MODEL_POST: activate or rollback */
    if (a->ok && poller_json_active(j->http.body, &active) == 0)
        snprintf(d->models_msg, sizeof d->models_msg, "active model is now v%d", active);
    else
        snprintf(d->models_msg, sizeof d->models_msg, "failed: %s",
                 a->ok ? "unreadable JSON" : a->msg);
    poller_models_refresh(p);
}

/* Dispatches one finished transfer to its handler. */
static void job_done(struct poller *p, struct job *j, CURLcode rc)
{
    struct region_view *r = &p->d.r[j->region];
    char msg[120] = "";
    struct answer a = {.ms = (clock_monotonic() - j->started) * 1000, .msg = msg};
    a.status = jsonfetch_status(&j->http);
    if (rc != CURLE_OK)
        snprintf(msg, sizeof msg, "%s",
                 j->http.too_big ? "answer larger than 1 MiB" : curl_easy_strerror(rc));
    else if (!j->http.body)
        snprintf(msg, sizeof msg, "HTTP %ld with an empty body", a.status);
    else if (a.status != 200)
        poller_json_error_message(j->http.body, a.status, msg, sizeof msg);
    a.ok = msg[0] == '\0';
    a.stale = j->gen != p->lookup_gen;
    switch (j->kind) {
    case JOB_HEALTH:
        on_health(p, j, a.ok, a.ok ? NULL : msg, a.ms);
        break;
    case JOB_STATS:
        if (a.ok && poller_json_stats(j->http.body, &r->stats) == 0)
            r->have_stats = 1;
        else if (!a.ok && r->fsm.fails == 0)
            set_region_error(r, "stats", msg);
        break;
    case JOB_RECS:
    case JOB_USER:
    case JOB_RANDOM:
        if (a.stale) /* answers to a replaced lookup (or a random pick the user
                        overrode by typing an id) are dropped */
            break;
        if (j->kind == JOB_RECS)
            on_recs(p, j, &a);
        else if (j->kind == JOB_USER)
            on_user(p, j, &a);
        else
            on_random(p, j, &a);
        break;
    case JOB_MODELS:
    case JOB_MODEL_POST:
        on_models(p, j, &a);
        break;
    }
}

static void start_due_checks(struct poller *p, double now)
{
    if (now < p->next_tick)
        return;
    /* Keep a steady cadence; after a long stall start again from now. */
    p->next_tick += p->interval_s;
    if (p->next_tick < now)
        p->next_tick = now + p->interval_s;
    long tmo = (long)(p->check_timeout_s * 1000);
    for (int i = 0; i < p->d.n_regions; i++) {
        /* A check still in flight (hung region) counts once, when it times out. */
        if (!job_busy(p, JOB_HEALTH, i))
            job_start(p, JOB_HEALTH, i, "/api/v1/health/", NULL, tmo);
        if (!job_busy(p, JOB_STATS, i))
            job_start(p, JOB_STATS, i, "/api/v1/recommendations/stats", NULL, tmo);
    }
}

int poller_step(struct poller *p, int extra_fd, int timeout_ms, int *fd_ready, char *err,
                size_t errlen)
{
    int changed = 0, running = 0, numfds = 0;
    double now = clock_monotonic();
    *fd_ready = 0;
    start_due_checks(p, now);
    if (curl_multi_perform(p->multi, &running) != CURLM_OK)
        return err_set(err, errlen, "curl_multi_perform failed");
    double until_tick = (p->next_tick - clock_monotonic()) * 1000;
    if (until_tick < timeout_ms)
        timeout_ms = until_tick < 0 ? 0 : (int)until_tick;
    struct curl_waitfd wfd = {.fd = extra_fd, .events = CURL_WAIT_POLLIN, .revents = 0};
    if (curl_multi_poll(p->multi, extra_fd >= 0 ? &wfd : NULL, extra_fd >= 0 ? 1 : 0, timeout_ms,
                        &numfds) != CURLM_OK)
        return err_set(err, errlen, "curl_multi_poll failed");
    *fd_ready = extra_fd >= 0 && (wfd.revents & CURL_WAIT_POLLIN);
    if (curl_multi_perform(p->multi, &running) != CURLM_OK)
        return err_set(err, errlen, "curl_multi_perform failed");
    struct jsonfetch *h;
    CURLcode rc;
    while ((h = jsonfetch_done(p->multi, &rc))) {
        struct job *j = h->owner;
        job_done(p, j, rc);
        job_free(p, j);
        changed = 1;
    }
    return changed;
}

/* Lowercase hex/alnum only: ids are 32 hex characters; anything else would
 * need URL escaping, so it is refused here rather than sent. */
static int id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 40)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' || s[i] == '-'))
            return 0;
    return 1;
}

int poller_lookup(struct poller *p, const char *user_id_in, int count, int idx)
{
    struct tui_data *d = &p->d;
    /* Callers redoing the current lookup (count, region keys) pass d->user_id
     * itself: copy it first, as it is overwritten below (snprintf onto its
     * own source would be undefined and in practice empties it). */
    char user_id[sizeof d->user_id];
    snprintf(user_id, sizeof user_id, "%s", user_id_in);
    if (strlen(user_id_in) >= sizeof user_id || !id_ok(user_id)) {
        snprintf(d->lookup_msg, sizeof d->lookup_msg, "a user id is 32 hex characters");
        return -1;
    }
    if (count < 1)
        count = 1;
    if (count > RECS_MAX)
        count = RECS_MAX;
    p->lookup_gen++;
    snprintf(d->user_id, sizeof d->user_id, "%s", user_id);
    d->count = count;
    d->region = idx;
    d->lookup_msg[0] = '\0';
    memset(d->recs, 0, sizeof d->recs);
    memset(&d->hist, 0, sizeof d->hist);
    char path[160], body[64];
    snprintf(path, sizeof path, "/api/v1/recommendations/user/%s", user_id);
    snprintf(body, sizeof body, "{\"count\": %d}", count);
    for (int i = 0; i < d->n_regions; i++) {
        if (idx >= 0 && i != idx)
            continue;
        d->recs[i].state = LOOKUP_PENDING;
        if (job_start(p, JOB_RECS, i, path, body, LOOKUP_TIMEOUT_MS) < 0) {
            d->recs[i].state = LOOKUP_ERROR;
            snprintf(d->recs[i].error, sizeof d->recs[i].error, "too many requests in flight");
        }
    }
    snprintf(path, sizeof path, "/api/v1/users/%s", user_id);
    d->hist.state = LOOKUP_PENDING;
    if (job_start(p, JOB_USER, healthy_region(p, idx), path, NULL, LOOKUP_TIMEOUT_MS) < 0)
        d->hist.state = LOOKUP_ERROR;
    return 0;
}

int poller_random_user(struct poller *p, int count, int idx)
{
    p->random_count = count;
    p->random_region = idx;
    snprintf(p->d.lookup_msg, sizeof p->d.lookup_msg, "picking a random user with history...");
    return job_start(p, JOB_RANDOM, healthy_region(p, idx), "/api/v1/users/random?with_history=1",
                     NULL, LOOKUP_TIMEOUT_MS);
}

int poller_models_refresh(struct poller *p)
{
    if (job_busy(p, JOB_MODELS, -1))
        return 0;
    if (p->d.models_state == LOOKUP_NONE)
        p->d.models_state = LOOKUP_PENDING;
    int rc =
        job_start(p, JOB_MODELS, healthy_region(p, -1), "/api/v1/models", NULL, LOOKUP_TIMEOUT_MS);
    return rc;
}

int poller_model_activate(struct poller *p, int version)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/models/%d/activate", version);
    snprintf(p->d.models_msg, sizeof p->d.models_msg, "activating v%d...", version);
    return job_start(p, JOB_MODEL_POST, healthy_region(p, -1), path, "{}", LOOKUP_TIMEOUT_MS);
}

int poller_model_rollback(struct poller *p)
{
    snprintf(p->d.models_msg, sizeof p->d.models_msg, "rolling back...");
    return job_start(p, JOB_MODEL_POST, healthy_region(p, -1), "/api/v1/models/rollback", "{}",
                     LOOKUP_TIMEOUT_MS);
}
