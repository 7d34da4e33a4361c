/* The serving commands' log lines (see servelog.h). */
#include "cli/servelog.h"

#include <stdio.h>

int servelog_open(const struct regions_conf *c, const char *db, char *err, size_t errlen)
{
    int rc = log_open(c->log, err, errlen);
    if (rc < 0)
        return rc;
    log_info(NULL, "config",
             "database=%s cache_ttl=%d cache_size=%d rate_limit=%g rate_burst=%g "
             "api_keys_file=%s log=%s router_port=%d router_host=%s read_timeout=%d "
             "idle_timeout=%d max_connections=%d stats_window=%d regions=%d",
             db ? db : c->database, c->cache_ttl, c->cache_size, c->rate_limit, c->rate_burst,
             c->api_keys_file, c->log, c->router_port, c->router_host, c->read_timeout,
             c->idle_timeout, c->max_connections, c->stats_window, c->n_regions);
    for (int i = 0; i < c->n_regions; i++) {
        const struct region_conf *r = &c->regions[i];
        log_info(r->name, "config", "host=%s port=%d location=%s latitude=%g longitude=%g", r->host,
                 r->port, r->location, r->latitude, r->longitude);
    }
    return 0;
}

void servelog_note(enum log_level level, const char *prog, const char *event, const char *text)
{
    log_event(level, NULL, event, "message=%s", text);
    if (!log_on_stderr()) {
        fprintf(stderr, "%s: %s\n", prog, text);
        fflush(stderr);
    }
}

void servelog_listening(const char *region, const char *host, int port)
{
    log_info(region, "start", "role=region host=%s port=%d", host, port);
}

void servelog_close(void)
{
    log_close();
}
