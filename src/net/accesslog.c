/* JSON-lines access log (see accesslog.h). */
#include "net/accesslog.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct accesslog {
    int fd, owned;
};

int accesslog_open(const char *spec, struct accesslog **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!strcmp(spec, "off"))
        return 0;
    struct accesslog *l = calloc(1, sizeof *l);
    if (!l)
        return err_set(err, errlen, "out of memory opening the access log");
    if (!strcmp(spec, "stderr")) {
        l->fd = 2;
    } else {
        l->fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (l->fd < 0) {
            free(l);
            return err_set(err, errlen, "%s: cannot open access log: %s", spec, strerror(errno));
        }
        l->owned = 1;
    }
    *out = l;
    return 0;
}

void accesslog_close(struct accesslog *l)
{
    if (!l)
        return;
    if (l->owned)
        close(l->fd);
    free(l);
}

/* Appends s[0..n) JSON-escaped (no quotes) at *o, never past end. */
static char *esc(char *o, char *end, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o + 7 < end; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o += snprintf(o, (size_t)(end - o), "\\u%04x", c);
        } else {
            *o++ = (char)c;
        }
    }
    return o;
}

void accesslog_write(struct accesslog *l, const char *region, const char *method, size_t method_len,
                     const char *path, size_t path_len, int status, double latency_ms,
                     const char *cache)
{
    if (!l)
        return;
    char line[1024], *o = line, *end = line + sizeof line - 160;
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    o += strftime(o, 32, "{\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
    o += snprintf(o, 64, ".%03ldZ\",\"region\":\"", ts.tv_nsec / 1000000);
    o = esc(o, end, region, strlen(region));
    o += snprintf(o, 16, "\",\"method\":\"");
    o = esc(o, end, method, method_len > 16 ? 16 : method_len);
    o += snprintf(o, 16, "\",\"path\":\"");
    o = esc(o, end, path, path_len > 512 ? 512 : path_len);
    o += snprintf(o, 150, "\",\"status\":%d,\"latency_ms\":%.3f,\"cache\":%s%s%s}\n", status,
                  latency_ms, cache ? "\"" : "", cache ? cache : "null", cache ? "\"" : "");
    ssize_t w = write(l->fd, line, (size_t)(o - line));
    (void)w; /* a lost log line must never fail a request */
}
