/* cJSON parsers for the dashboard (see poller_json.h). */
#include "tui/poller_json.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static long lnum(const cJSON *o, const char *k)
{
    double x = num(o, k);
    return isfinite(x) ? (long)x : 0;
}

/* Copies a string field (or a number printed) into out; "" when absent. */
static void str(const cJSON *o, const char *k, char *out, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsString(v) && v->valuestring)
        snprintf(out, n, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, n, "%g", v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(out, n, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    else if (n)
        out[0] = '\0';
}

static const cJSON *obj(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsObject(v) ? v : NULL;
}

/* "k=v k=v" from a flat object, numbers with 4 significant digits. */
static void flatten(const cJSON *o, char *out, size_t n)
{
    size_t used = 0;
    if (n)
        out[0] = '\0';
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        char v[64];
        if (cJSON_IsNumber(it))
            snprintf(v, sizeof v, "%.4g", it->valuedouble);
        else if (cJSON_IsString(it))
            snprintf(v, sizeof v, "%s", it->valuestring);
        else if (cJSON_IsBool(it))
            snprintf(v, sizeof v, "%s", cJSON_IsTrue(it) ? "true" : "false");
        else
            continue;
        if (!strcmp(it->string, "users"))
            continue; /* a count of evaluated users, not a metric */
        int w = snprintf(out + used, n - used, "%s%s=%s", used ? " " : "", it->string, v);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
}

/* Evaluation metrics: the trainer nests them as {model: {k, all: {...}},
 * baseline: {...}}; show the model's overall figures and the baseline's
 * ndcg for comparison. A flat object is shown as it is. */
static void metrics_summary(const cJSON *metrics, char *out, size_t n)
{
    const cJSON *model = obj(metrics, "model");
    const cJSON *all = obj(model, "all");
    if (!all) {
        flatten(metrics, out, n);
        return;
    }
    char flat[200];
    flatten(all, flat, sizeof flat);
    double k = num(model, "k"), base = num(obj(obj(metrics, "baseline"), "all"), "ndcg");
    int w = snprintf(out, n, "@%g %s", isfinite(k) ? k : 10, flat);
    if (isfinite(base) && w > 0 && (size_t)w < n)
        snprintf(out + w, n - (size_t)w, " (popularity ndcg=%.4g)", base);
}

/* Health "events" and "retrain" (servers without them: both off). */
static void online_health(const cJSON *root, struct region_view *r)
{
    const cJSON *e = obj(root, "events"), *t = obj(root, "retrain"), *l = obj(t, "last");
    long stored = lnum(e, "stored");
    double at = r->uptime_s, dt = at - r->events_at;
    r->events_rate = r->have_health && r->events_on && dt > 0 && stored >= r->events_stored
                         ? (double)(stored - r->events_stored) / dt
                         : NAN;
    r->events_on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "enabled"));
    r->events_stored = stored;
    r->events_at = at;
    r->events_queued = lnum(e, "queued");
    r->events_capacity = lnum(e, "capacity");
    r->retrain_on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "enabled"));
    r->retrain_running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "running"));
    r->retrain_every_s = num(t, "every_s");
    r->retrain_next_s = num(t, "next_in_s");
    r->retrain_last[0] = 0;
    if (l) {
        char when[32], outcome[16], why[160];
        str(l, "started", when, sizeof when);
        str(l, "outcome", outcome, sizeof outcome);
        str(l, "reason", why, sizeof why);
        int n = snprintf(r->retrain_last, sizeof r->retrain_last, "%s %s v%ld: ", when, outcome,
                         lnum(l, "version"));
        if (n > 0 && (size_t)n < sizeof r->retrain_last) /* the reason, cut to what fits */
            snprintf(r->retrain_last + n, sizeof r->retrain_last - (size_t)n, "%.*s",
                     (int)(sizeof r->retrain_last - (size_t)n - 1), why);
    }
}

int poller_json_health(const char *body, struct region_view *r)
{
    cJSON *root = cJSON_Parse(body);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return -1;
    }
    str(root, "status", r->server_status, sizeof r->server_status);
    if (!r->server_status[0])
        snprintf(r->server_status, sizeof r->server_status, "UP");
    str(root, "location", r->location, sizeof r->location);
    str(root, "host", r->host, sizeof r->host);
    r->uptime_s = num(root, "uptime_s");
    const cJSON *q = obj(root, "requests"), *l = obj(root, "latency_ms"), *c = obj(root, "cache"),
                *m = obj(root, "model"), *db = obj(root, "database");
    r->req_total = lnum(q, "total");
    r->req_errors = lnum(q, "errors");
    r->rps = num(q, "per_second");
    r->p50 = num(l, "p50");
    r->p99 = num(l, "p99");
    /* a server without "window" reports lifetime figures above: say so, not "last N s" */
    const cJSON *win = obj(root, "window"), *life = obj(root, "lifetime");
    r->window_s = num(win, "seconds");
    r->life_rps = life ? num(life, "per_second") : r->rps;
    r->life_p99 = life ? num(obj(life, "latency_ms"), "p99") : r->p99;
    r->cache_size = lnum(c, "size");
    r->cache_hits = lnum(c, "hits");
    r->cache_misses = lnum(c, "misses");
    r->hit_ratio = num(c, "hit_ratio");
    r->model_version = (int)lnum(m, "version");
    str(m, "algorithm", r->algorithm, sizeof r->algorithm);
    str(m, "status", r->model_status, sizeof r->model_status);
    str(m, "warning", r->model_warning, sizeof r->model_warning);
    /* A region fed by a model store serves a clean model while DEGRADED by its
     * store (a download failed, an artifact refused): the reason is there. */
    if (!r->model_warning[0])
        str(obj(root, "store"), "last_error", r->model_warning, sizeof r->model_warning);
    str(m, "source", r->model_source, sizeof r->model_source); /* null: no model loaded */
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(db, "ok");
    r->db_ok = ok ? cJSON_IsTrue(ok) : 1;
    str(db, "path", r->db_path, sizeof r->db_path);
    online_health(root, r);
    r->have_health = 1;
    cJSON_Delete(root);
    return 0;
}

int poller_json_stats(const char *body, struct model_stats *s)
{
    cJSON *root = cJSON_Parse(body);
    const cJSON *m = obj(root, "model");
    if (!m) {
        cJSON_Delete(root);
        return -1;
    }
    str(m, "algorithm", s->algorithm, sizeof s->algorithm);
    str(m, "fallback", s->fallback, sizeof s->fallback);
    str(m, "cutoff", s->cutoff, sizeof s->cutoff);
    str(m, "created_at", s->created_at, sizeof s->created_at);
    s->version = (int)lnum(m, "version");
    s->users = lnum(m, "users");
    s->products = lnum(m, "products");
    s->interactions = lnum(m, "interactions");
    s->sparsity = num(m, "sparsity");
    s->train_seconds = num(m, "train_seconds");
    metrics_summary(obj(m, "metrics"), s->metrics, sizeof s->metrics);
    flatten(obj(m, "params"), s->params, sizeof s->params);
    cJSON_Delete(root);
    return 0;
}

int poller_json_recs(const char *body, struct rec_result *rr, char *err, size_t errlen)
{
    cJSON *root = cJSON_Parse(body);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "recommendations");
    if (!cJSON_IsArray(arr)) {
        snprintf(err, errlen, "answer has no recommendations array");
        cJSON_Delete(root);
        return -1;
    }
    rr->known = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "known"));
    rr->server_ms = num(root, "latency_ms");
    rr->model_version = (int)lnum(root, "model_version");
    str(root, "cache", rr->cache, sizeof rr->cache);
    str(root, "served_by", rr->served_by, sizeof rr->served_by);
    rr->n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (rr->n >= RECS_MAX)
            break;
        struct rec_item *ri = &rr->items[rr->n++];
        ri->rank = (int)lnum(it, "rank");
        if (!ri->rank)
            ri->rank = rr->n;
        str(it, "product_id", ri->product_id, sizeof ri->product_id);
        str(it, "category", ri->category, sizeof ri->category);
        str(it, "source", ri->source, sizeof ri->source);
        ri->price = num(it, "price");
        ri->avg_rating = num(it, "avg_rating");
        ri->n_ratings = (int)lnum(it, "n_ratings");
        ri->score = num(it, "score");
    }
    cJSON_Delete(root);
    return 0;
}

int poller_json_user(const char *body, struct user_history *h, char *err, size_t errlen)
{
    cJSON *root = cJSON_Parse(body);
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "user answer is not a JSON object");
        cJSON_Delete(root);
        return -1;
    }
    str(root, "user_id", h->user_id, sizeof h->user_id);
    str(root, "state", h->state_code, sizeof h->state_code);
    str(root, "city", h->city, sizeof h->city);
    str(root, "first_purchase", h->first, sizeof h->first);
    str(root, "last_purchase", h->last, sizeof h->last);
    h->orders = (int)lnum(root, "orders");
    h->products = (int)lnum(root, "products");
    h->recency_days = num(root, "recency_days");
    h->frequency = num(root, "frequency");
    h->monetary = num(root, "monetary");
    h->n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "purchases"))
    {
        if (h->n >= HISTORY_MAX)
            break;
        struct purchase *p = &h->p[h->n++];
        str(it, "order_id", p->order_id, sizeof p->order_id);
        str(it, "product_id", p->product_id, sizeof p->product_id);
        str(it, "category", p->category, sizeof p->category);
        str(it, "timestamp", p->timestamp, sizeof p->timestamp);
        p->price = num(it, "price");
    }
    cJSON_Delete(root);
    return 0;
}

int poller_json_random_user(const char *body, char *uid, size_t n)
{
    cJSON *root = cJSON_Parse(body);
    str(root, "user_id", uid, n);
    if (!uid[0])
        str(root, "customer_unique_id", uid, n);
    cJSON_Delete(root);
    return uid[0] ? 0 : -1;
}

int poller_json_models(const char *body, struct tui_data *d)
{
    cJSON *root = cJSON_Parse(body);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "models");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return -1;
    }
    d->models_active = (int)lnum(root, "active");
    d->n_models = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (d->n_models >= MODELS_MAX)
            break;
        struct model_entry *m = &d->models[d->n_models++];
        m->version = (int)lnum(it, "version");
        m->active = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "active")) ||
                    m->version == d->models_active;
        m->size = lnum(it, "size");
        str(it, "algorithm", m->algorithm, sizeof m->algorithm);
        str(it, "cutoff", m->cutoff, sizeof m->cutoff);
        str(it, "created_at", m->created_at, sizeof m->created_at);
        metrics_summary(obj(it, "metrics"), m->metrics, sizeof m->metrics);
    }
    cJSON_Delete(root);
    return 0;
}

int poller_json_active(const char *body, int *active)
{
    cJSON *root = cJSON_Parse(body);
    double a = num(root, "active");
    cJSON_Delete(root);
    if (!isfinite(a))
        return -1;
    *active = (int)a;
    return 0;
}

void poller_json_error_message(const char *body, long status, char *out, size_t n)
{
    cJSON *root = cJSON_Parse(body);
    char msg[TUI_ERR] = "";
    str(obj(root, "error"), "message", msg, sizeof msg);
    cJSON_Delete(root);
    if (msg[0])
        snprintf(out, n, "HTTP %ld: %s", status, msg);
    else
        snprintf(out, n, "HTTP %ld", status);
}
