/* The access log (see accesslog.h): a formatter over util/log. */
#include "net/accesslog.h"
#include "net/forwarded.h"
#include "util/error.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

struct accesslog {
    int open; /* holds one reference on the process-wide log */
};

int accesslog_open(const char *spec, struct accesslog **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!spec || !strcmp(spec, "off"))
        return 0;
    struct accesslog *l = calloc(1, sizeof *l);
    if (!l)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory opening the access log");
    int rc = log_open(spec, err, errlen);
    if (rc < 0) {
        free(l);
        return rc;
    }
    l->open = 1;
    *out = l;
    return 0;
}

void accesslog_close(struct accesslog *l)
{
    if (!l)
        return;
    if (l->open)
        log_close();
    free(l);
}

void accesslog_write(struct accesslog *l, const char *region, const char *method, size_t method_len,
                     const char *path, size_t path_len, int status, double latency_ms,
                     const char *cache, const unsigned char client[16])
{
    if (!l)
        return;
    char ip[FORWARDED_ADDR_TEXT];
    forwarded_addr_text(client, ip);
    /* a lost log line must never fail or slow a request: log_event only queues */
    log_event(status >= 500 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO, region, "access",
              "method=%.*s path=%.*s status=%d latency_ms=%.3f cache=%s client=%s",
              (int)(method_len > 16 ? 16 : method_len), method,
              (int)(path_len > 512 ? 512 : path_len), path, status, latency_ms, cache, ip);
}
