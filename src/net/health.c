/* The region's health and stats routes (health.h). */
#include "net/health.h"

#include <stdio.h>
#include <string.h>

#include "net/cache.h"
#include "net/events.h"
#include "net/retrain_sched.h"
#include "net/storepoll.h"
#include "net/render.h"
#include "util/clock.h"

void health_handle(struct reply *rp)
{
    struct api_region *r = rp->r;
    struct sbuf *b = &r->body;
    struct cache_stats cs;
    cache_get_stats(r->cache, &cs);
    const char *warn = r->engine ? engine_warning(r->engine) : NULL;
    struct engine_info info;
    memset(&info, 0, sizeof info);
    if (r->engine)
        engine_get_info(r->engine, &info);
    double now = clock_monotonic(), up = now - r->started;
    uint64_t lookups = cs.hits + cs.misses;
    struct metrics_window w; /* "now" figures: the last stats_window seconds */
    metrics_window(&r->m, now, &w);
    sbuf_reset(b);
    sbuf_puts(b, "{\"region\":");
    sbuf_json_str(b, r->conf->name);
    sbuf_puts(b, ",\"location\":");
    sbuf_json_str(b, r->conf->location);
    sbuf_puts(b, ",\"host\":");
    sbuf_json_str(b, r->sh->host);
    sbuf_printf(b,
                ",\"status\":\"%s\",\"uptime_s\":%.3f,"
                "\"requests\":{\"total\":%llu,\"errors\":%llu,\"per_second\":%.3f},"
                "\"latency_ms\":{\"p50\":%.4f,\"p99\":%.4f},"
                "\"window\":{\"seconds\":%g,\"covered_s\":%.3f,\"requests\":%llu,"
                "\"errors\":%llu},"
                "\"lifetime\":{\"requests\":%llu,\"errors\":%llu,\"per_second\":%.3f,"
                "\"latency_ms\":{\"p50\":%.4f,\"p99\":%.4f}},",
                (!r->engine || warn || storepoll_degraded(r->sh->store)) ? "DEGRADED" : "UP", up,
                (unsigned long long)r->m.total, (unsigned long long)r->m.errors, w.per_second,
                w.p50 * 1e3, w.p99 * 1e3, r->m.window_s, w.seconds, (unsigned long long)w.requests,
                (unsigned long long)w.errors, (unsigned long long)r->m.total,
                (unsigned long long)r->m.errors, up > 0 ? (double)r->m.total / up : 0.0,
                metrics_quantile(&r->m, 0.5) * 1e3, metrics_quantile(&r->m, 0.99) * 1e3);
    sbuf_printf(b,
                "\"cache\":{\"size\":%zu,\"capacity\":%zu,\"hits\":%llu,\"misses\":%llu,"
                "\"hit_ratio\":%.4f},",
                cs.size, cs.capacity, (unsigned long long)cs.hits, (unsigned long long)cs.misses,
                lookups ? (double)cs.hits / (double)lookups : 0.0);
    sbuf_printf(b, "\"model\":{\"status\":\"%s\",\"version\":%lld,\"algorithm\":",
                !r->engine                ? "unavailable"
                : (warn || info.fallback) ? "fallback"
                                          : "ok",
                (long long)info.version);
    sbuf_json_str(b, info.algorithm);
    sbuf_puts(b, ",\"source\":");
    if (r->engine)
        sbuf_json_str(b, info.source);
    else
        sbuf_puts(b, "null");
    sbuf_puts(b, ",\"warning\":");
    if (warn || !r->engine)
        sbuf_json_str(b, warn ? warn : r->sh->engine_err);
    else
        sbuf_puts(b, "null");
    sbuf_printf(b, "},\"database\":{\"ok\":%s,\"path\":", r->engine ? "true" : "false");
    sbuf_json_str(b, r->sh->db_path);
    sbuf_puts(b, "}");
    storepoll_health_json(r->sh->store, b); /* ,"store":{...} when model_store is set */
    sbuf_puts(b, ",\"retrain\":");
    retrain_sched_json(r->sh->retrain, b);
    struct events_stats es; /* zeros when the events route is off */
    events_get_stats(r->sh->events, &es);
    sbuf_printf(b,
                ",\"events\":{\"enabled\":%s,\"stored\":%llu,\"queued\":%zu,\"capacity\":%zu,"
                "\"refused\":%llu}",
                r->sh->events ? "true" : "false", (unsigned long long)es.stored, es.queued,
                es.capacity, (unsigned long long)es.refused);
    sbuf_puts(b, ",\"served_by\":");
    sbuf_json_str(b, r->conf->name);
    sbuf_puts(b, "}");
    rp->status = 200;
}

void health_stats(struct reply *rp)
{
    struct api_region *r = rp->r;
    if (!r->engine) {
        reply_error(rp, 503, "no model and no fallback: %s", r->sh->engine_err);
        return;
    }
    struct cache_stats cs;
    cache_get_stats(r->cache, &cs);
    struct engine_info info;
    engine_get_info(r->engine, &info);
    cJSON *j = cJSON_CreateObject(), *model = render_engine_info(&info, engine_warning(r->engine));
    if (!j || !model) {
        cJSON_Delete(j);
        cJSON_Delete(model);
        reply_error(rp, 500, "could not describe the model");
        return;
    }
    cJSON_AddItemToObject(j, "model", model);
    cJSON *c = cJSON_AddObjectToObject(j, "cache");
    uint64_t lookups = cs.hits + cs.misses;
    cJSON_AddNumberToObject(c, "size", (double)cs.size);
    cJSON_AddNumberToObject(c, "capacity", (double)cs.capacity);
    cJSON_AddNumberToObject(c, "bytes", (double)cs.bytes);
    cJSON_AddNumberToObject(c, "max_bytes", (double)cs.max_bytes);
    cJSON_AddNumberToObject(c, "hits", (double)cs.hits);
    cJSON_AddNumberToObject(c, "misses", (double)cs.misses);
    cJSON_AddNumberToObject(c, "ratio", lookups ? (double)cs.hits / (double)lookups : 0.0);
    cJSON_AddNumberToObject(c, "ttl_s", r->sh->conf->cache_ttl);
    cJSON *q = cJSON_AddObjectToObject(j, "requests");
    cJSON_AddNumberToObject(q, "total", (double)r->m.total);
    cJSON_AddNumberToObject(q, "errors", (double)r->m.errors);
    cJSON_AddNumberToObject(q, "p50_ms", metrics_quantile(&r->m, 0.5) * 1e3);
    cJSON_AddNumberToObject(q, "p99_ms", metrics_quantile(&r->m, 0.99) * 1e3);
    reply_json(rp, j);
    cJSON_Delete(j);
}
