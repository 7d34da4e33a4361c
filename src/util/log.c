/* The structured log (see log.h): a formatter, a bounded queue and one writer thread. */
#include "util/log.h"
#include "util/clock.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- the line formatter ---- */

/* A bounded line under construction; `cap` leaves room for the closing "}\n". */
struct line {
    char *p;
    size_t len, cap;
    int full; /* something did not fit: later fields are skipped */
};

static void line_putc(struct line *l, char c)
{
    if (l->len < l->cap)
        l->p[l->len++] = c;
    else
        l->full = 1;
}

static void line_puts(struct line *l, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        line_putc(l, s[i]);
}

#define LINE_SPARE 8 /* escaped text leaves this much, so a cut string still closes */

/* Appends s[0..n) JSON-escaped (no quotes). Stops (setting full) at a whole escape that
 * would eat into LINE_SPARE, so the caller can still close the string. */
static void line_esc(struct line *l, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (l->full)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[6];
        size_t k = 0;
        if (c == '"' || c == '\\') {
            e[k++] = '\\';
            e[k++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(e, "\\u00", 4);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            k = 6;
        } else {
            e[k++] = (char)c;
        }
        if (l->len + k + LINE_SPARE > l->cap) {
            l->full = 1;
            return;
        }
        memcpy(l->p + l->len, e, k);
        l->len += k;
    }
}

/* One printf conversion of a field: the spec as written, and what kind of value it takes. */
struct conv {
    char spec[32];
    char type;  /* the conversion letter */
    int length; /* 0 none, 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't', 'D' long double */
    int prec;   /* -1 when absent */
    int has_star_width;
};

/* Parses the conversion at *f (just after '%'); advances *f. 0, or -1 when unsupported. */
static int conv_parse(const char **f, struct conv *c)
{
    const char *s = *f;
    memset(c, 0, sizeof *c);
    c->prec = -1;
    size_t k = 0;
    c->spec[k++] = '%';
    while (*s && strchr("-+#0", *s) && k < 8)
        c->spec[k++] = *s++;
    if (*s == '*') {
        c->has_star_width = 1;
        c->spec[k++] = *s++;
    }
    while (*s >= '0' && *s <= '9' && k < 12)
        c->spec[k++] = *s++;
    if (*s == '.') {
        c->spec[k++] = *s++;
        if (*s == '*') {
            c->prec = -2; /* from the arguments */
            c->spec[k++] = *s++;
        } else {
            c->prec = 0;
            while (*s >= '0' && *s <= '9' && k < 20) {
                c->prec = c->prec * 10 + (*s - '0');
                c->spec[k++] = *s++;
            }
        }
    }
    const char *len_start = s;
    if (s[0] == 'h' && s[1] == 'h')
        c->length = 'H', s += 2;
    else if (s[0] == 'l' && s[1] == 'l')
        c->length = 'L', s += 2;
    else if (*s == 'h' || *s == 'l' || *s == 'z' || *s == 'j' || *s == 't')
        c->length = *s++;
    else if (*s == 'L')
        c->length = 'D', s++;
    for (; len_start < s; len_start++)
        c->spec[k++] = *len_start;
    if (!*s || !strchr("diuxXofFgGeEscp", *s))
        return -1;
    c->type = *s;
    c->spec[k++] = *s++;
    c->spec[k] = 0;
    *f = s;
    return 0;
}

/* A converted value: text to emit, and whether it is a bare JSON token (number, null). */
struct value {
    char buf[64];
    const char *str; /* for %s: the bytes, not yet escaped */
    size_t str_len;
    int is_str, is_null, is_number;
};

/* Fetches the argument(s) of c from ap and renders them into v. */
static void conv_fetch(const struct conv *c, va_list *ap, struct value *v)
{
    memset(v, 0, sizeof *v);
    int width = c->has_star_width ? va_arg(*ap, int) : 0;
    int prec = c->prec == -2 ? va_arg(*ap, int) : c->prec;
    (void)width; /* widths only pad; JSON needs none */
    switch (c->type) {
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s) {
            v->is_null = 1;
            return;
        }
        v->is_str = 1;
        v->str = s;
        v->str_len = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
        return;
    }
    case 'c':
        v->buf[0] = (char)va_arg(*ap, int);
        v->str = v->buf;
        v->str_len = 1;
        v->is_str = 1;
        return;
    case 'p':
        snprintf(v->buf, sizeof v->buf, "%p", va_arg(*ap, void *));
        v->str = v->buf;
        v->str_len = strlen(v->buf);
        v->is_str = 1;
        return;
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 'e':
    case 'E': {
        double d = c->length == 'D' ? (double)va_arg(*ap, long double) : va_arg(*ap, double);
        if (!isfinite(d)) {
            v->is_null = 1;
            return;
        }
        if (prec >= 0)
            snprintf(v->buf, sizeof v->buf,
                     c->type == 'f' || c->type == 'F'   ? "%.*f"
                     : c->type == 'e' || c->type == 'E' ? "%.*e"
                                                        : "%.*g",
                     prec, d);
        else
            snprintf(v->buf, sizeof v->buf,
                     c->type == 'f' || c->type == 'F'   ? "%f"
                     : c->type == 'e' || c->type == 'E' ? "%e"
                                                        : "%g",
                     d);
        v->is_number = 1;
        return;
    }
    default:
        break;
    }
    /* integers: signed for d i, unsigned otherwise */
    int is_signed = c->type == 'd' || c->type == 'i';
    long long sv = 0;
    unsigned long long uv = 0;
    if (is_signed) {
        switch (c->length) {
        case 'l':
            sv = va_arg(*ap, long);
            break;
        case 'L':
            sv = va_arg(*ap, long long);
            break;
        case 'z':
            sv = va_arg(*ap, ssize_t);
            break;
        case 'j':
            sv = va_arg(*ap, intmax_t);
            break;
        case 't':
            sv = va_arg(*ap, ptrdiff_t);
            break;
        case 'h':
            sv = (short)va_arg(*ap, int);
            break;
        case 'H':
            sv = (signed char)va_arg(*ap, int);
            break;
        default:
            sv = va_arg(*ap, int);
            break;
        }
    } else {
        switch (c->length) {
        case 'l':
            uv = va_arg(*ap, unsigned long);
            break;
        case 'L':
            uv = va_arg(*ap, unsigned long long);
            break;
        case 'z':
            uv = va_arg(*ap, size_t);
            break;
        case 'j':
            uv = va_arg(*ap, uintmax_t);
            break;
        case 't':
            uv = (size_t)va_arg(*ap, ptrdiff_t);
            break;
        case 'h':
            uv = (unsigned short)va_arg(*ap, unsigned int);
            break;
        case 'H':
            uv = (unsigned char)va_arg(*ap, unsigned int);
            break;
        default:
            uv = va_arg(*ap, unsigned int);
            break;
        }
    }
    if (is_signed) {
        snprintf(v->buf, sizeof v->buf, "%lld", sv);
        v->is_number = 1;
    } else if (c->type == 'u') {
        snprintf(v->buf, sizeof v->buf, "%llu", uv);
        v->is_number = 1;
    } else { /* hex and octal are not JSON numbers: strings */
        snprintf(v->buf, sizeof v->buf,
                 c->type == 'o'   ? "%llo"
                 : c->type == 'X' ? "%llX"
                                  : "%llx",
                 uv);
        v->str = v->buf;
        v->str_len = strlen(v->buf);
        v->is_str = 1;
    }
}

/* Emits the pieces of fields from *f up to (not including) `stop` or the end, as one JSON
 * value: a lone number/null conversion bare, anything else as one string. Advances *f.
 * Returns 1 when it emitted a string. */
static int emit_value(struct line *l, const char **f, char stop, va_list *ap)
{
    const char *s = *f;
    /* a lone conversion? */
    if (s[0] == '%' && s[1] != '%') {
        const char *t = s + 1;
        struct conv c;
        if (conv_parse(&t, &c) == 0 && (*t == stop || *t == 0 || *t == ' ')) {
            struct value v;
            conv_fetch(&c, ap, &v);
            *f = t;
            if (v.is_null) {
                line_puts(l, "null", 4);
                return 0;
            }
            if (v.is_number) {
                line_puts(l, v.buf, strlen(v.buf));
                return 0;
            }
            line_putc(l, '"');
            line_esc(l, v.str, v.str_len);
            line_putc(l, '"');
            return 1;
        }
    }
    line_putc(l, '"');
    while (*s && *s != stop && *s != ' ') {
        if (*s == '%' && s[1] == '%') {
            line_putc(l, '%');
            s += 2;
        } else if (*s == '%') {
            const char *t = s + 1;
            struct conv c;
            if (conv_parse(&t, &c) < 0) { /* unsupported: shown as written, nothing fetched */
                line_esc(l, s, 1);
                s++;
                continue;
            }
            struct value v;
            conv_fetch(&c, ap, &v);
            if (v.is_null)
                line_esc(l, "null", 4);
            else if (v.is_number)
                line_esc(l, v.buf, strlen(v.buf));
            else
                line_esc(l, v.str, v.str_len);
            s = t;
        } else {
            line_esc(l, s, 1);
            s++;
        }
    }
    line_putc(l, '"');
    *f = s;
    return 1;
}

static const char *const level_names[] = {"info", "warn", "error"};

static size_t log_vformat(char *buf, size_t buflen, enum log_level level, const char *region,
                          const char *event, const char *fields, va_list *ap)
{
    if (buflen > LOG_LINE_MAX)
        buflen = LOG_LINE_MAX;
    if (buflen < 128) {
        if (buflen)
            buf[0] = 0;
        return 0;
    }
    struct line l = {buf, 0, buflen - 3, 0}; /* "}\n" and a NUL always fit */
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts); /* a timestamp people read: the wall clock */
    gmtime_r(&ts.tv_sec, &tm);
    char t[48];
    size_t tn = strftime(t, sizeof t, "{\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
    tn += (size_t)snprintf(t + tn, sizeof t - tn, ".%03ldZ\",\"level\":\"", ts.tv_nsec / 1000000);
    line_puts(&l, t, tn);
    int li = level >= LOG_LEVEL_INFO && level <= LOG_LEVEL_ERROR ? (int)level : 0;
    line_puts(&l, level_names[li], strlen(level_names[li]));
    line_puts(&l, "\",\"region\":", 11);
    if (region) {
        line_putc(&l, '"');
        line_esc(&l, region, strnlen(region, 64));
        line_putc(&l, '"');
    } else {
        line_puts(&l, "null", 4);
    }
    line_puts(&l, ",\"event\":\"", 10);
    line_esc(&l, event ? event : "", event ? strnlen(event, 64) : 0);
    line_putc(&l, '"');
    if (l.full) { /* an absurd region or event name: no line rather than a broken one */
        buf[0] = 0;
        return 0;
    }
    const char *f = fields;
    while (f && *f && !l.full) {
        while (*f == ' ')
            f++;
        if (!*f)
            break;
        size_t mark = l.len;
        line_putc(&l, ',');
        emit_value(&l, &f, '=', ap); /* the key, always a string */
        int key_cut = l.full, value_str = 1;
        if (*f == '=') {
            f++;
            line_putc(&l, ':');
            value_str = emit_value(&l, &f, ' ', ap);
        } else {
            line_puts(&l, ":true", 5); /* a bare word is a flag */
            value_str = 0;
        }
        /* a string value cut short still closes (line_esc keeps spare room); a cut key or
         * number would not be what the caller meant: drop the whole field */
        if (l.full && (key_cut || !value_str))
            l.len = mark;
    }
    buf[l.len++] = '}';
    buf[l.len++] = '\n';
    buf[l.len] = 0;
    return l.len;
}

size_t log_format(char *buf, size_t buflen, enum log_level level, const char *region,
                  const char *event, const char *fields, ...)
{
    va_list ap;
    va_start(ap, fields);
    size_t n = log_vformat(buf, buflen, level, region, event, fields, &ap);
    va_end(ap);
    return n;
}

/* ---- the queue and the writer thread ---- */

/* What one writer thread owns. When a sink is stuck past LOG_CLOSE_WAIT the thread is
 * abandoned: it keeps this struct (and frees it) and never touches the queue again. */
struct writer {
    pthread_t th;
    int fd, owned, is_file;
    char *w; /* the batch being written */
    size_t wlen, wlines;
    atomic_int abandon; /* close gave up waiting: stop writing */
    int stop, done, orphan;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake; /* to the writer: lines queued or stop */
    pthread_cond_t done; /* to log_close: the writer finished */
    int refs;
    char spec[512];
    char *q; /* LOG_QUEUE_BYTES */
    size_t qlen, qlines;
    struct writer *wr;
    uint64_t written, dropped;
} st = {.mu = PTHREAD_MUTEX_INITIALIZER,
        .wake = PTHREAD_COND_INITIALIZER,
        .done = PTHREAD_COND_INITIALIZER};

static atomic_int log_is_open, log_is_stderr;

static size_t count_lines(const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] == '\n';
    return k;
}

/* Writes w->w[0..wlen) without ever blocking for long: waits for POLLOUT in 100 ms steps,
 * then writes at most PIPE_BUF bytes to anything but a regular file (a pipe, a terminal or a
 * local socket that polled writable takes that many without blocking; the fd's own flags
 * are left alone, since stderr is shared). Returns the bytes written; less on an error or
 * when abandoned. If a write blocks anyway, log_close gives up on the thread. */
static size_t writer_drain(struct writer *w)
{
    size_t off = 0;
    while (off < w->wlen && !atomic_load(&w->abandon)) {
        struct pollfd p = {.fd = w->fd, .events = POLLOUT};
        int r = poll(&p, 1, 100);
        if (r < 0 && errno != EINTR)
            break;
        if (r <= 0)
            continue;
        if (p.revents & (POLLERR | POLLNVAL))
            break;
        size_t n = w->wlen - off;
        if (!w->is_file && n > PIPE_BUF)
            n = PIPE_BUF;
        ssize_t k = write(w->fd, w->w + off, n);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            break;
        }
        off += (size_t)k;
    }
    return off;
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    pthread_mutex_lock(&st.mu);
    for (;;) {
        while (st.qlen == 0 && !w->stop && !atomic_load(&w->abandon))
            pthread_cond_wait(&st.wake, &st.mu);
        if (atomic_load(&w->abandon) || (st.qlen == 0 && w->stop))
            break;
        char *t = w->w; /* swap the queue with the (empty) batch buffer */
        w->w = st.q;
        st.q = t;
        w->wlen = st.qlen;
        w->wlines = st.qlines;
        st.qlen = st.qlines = 0;
        pthread_mutex_unlock(&st.mu);
        size_t off = writer_drain(w);
        size_t lost = off < w->wlen ? count_lines(w->w + off, w->wlen - off) : 0;
        pthread_mutex_lock(&st.mu);
        if (w->orphan) /* close already counted our batch and freed the queue */
            break;
        st.written += w->wlines - lost;
        st.dropped += lost;
        w->wlen = w->wlines = 0;
    }
    w->done = 1;
    int orphan = w->orphan;
    pthread_cond_broadcast(&st.done);
    pthread_mutex_unlock(&st.mu);
    if (orphan) {
        if (w->owned)
            close(w->fd);
        free(w->w);
        free(w);
    }
    return NULL;
}

/* Waits on st.done (st.mu held) until the writer is done or `until` (monotonic) passes. */
static void wait_done(struct writer *w, double until)
{
    while (!w->done) {
        double left = until - clock_monotonic();
        if (left <= 0)
            return;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts); /* pthread_cond_timedwait's clock */
        double ns = (double)ts.tv_nsec + left * 1e9;
        ts.tv_sec += (time_t)(ns / 1e9);
        ts.tv_nsec = (long)fmod(ns, 1e9);
        pthread_cond_timedwait(&st.done, &st.mu, &ts);
    }
}

int log_open(const char *spec, char *err, size_t errlen)
{
    if (!spec || !strcmp(spec, "off"))
        return 0;
    int rc = 0;
    pthread_mutex_lock(&st.mu);
    if (st.refs) {
        if (strcmp(st.spec, spec))
            rc = err_code_set(err, errlen, ERR_CONFLICT, "log already open to %s, not %s", st.spec,
                              spec);
        else
            st.refs++;
        goto out;
    }
    struct writer *w = calloc(1, sizeof *w);
    char *q = malloc(LOG_QUEUE_BYTES), *wb = malloc(LOG_QUEUE_BYTES);
    if (!w || !q || !wb) {
        free(w), free(q), free(wb);
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory opening the log");
        goto out;
    }
    if (!strcmp(spec, "stderr")) {
        w->fd = 2;
    } else {
        w->fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (w->fd < 0) {
            rc = err_set(err, errlen, "%s: cannot open the log: %s", spec, strerror(errno));
            free(w), free(q), free(wb);
            goto out;
        }
        w->owned = 1;
    }
    struct stat sb;
    if (fstat(w->fd, &sb) == 0)
        w->is_file = S_ISREG(sb.st_mode);
    w->w = wb;
    st.q = q;
    st.qlen = st.qlines = 0;
    st.wr = w;
    if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
        rc = err_set(err, errlen, "cannot start the logger thread");
        if (w->owned)
            close(w->fd);
        free(w), free(q), free(wb);
        st.q = NULL;
        st.wr = NULL;
        goto out;
    }
    snprintf(st.spec, sizeof st.spec, "%s", spec);
    st.refs = 1;
    atomic_store(&log_is_stderr, w->fd == 2);
    atomic_store(&log_is_open, 1);
out:
    pthread_mutex_unlock(&st.mu);
    return rc;
}

void log_close(void)
{
    pthread_mutex_lock(&st.mu);
    if (!st.refs || --st.refs) {
        pthread_mutex_unlock(&st.mu);
        return;
    }
    atomic_store(&log_is_open, 0);
    atomic_store(&log_is_stderr, 0);
    struct writer *w = st.wr;
    w->stop = 1;
    pthread_cond_broadcast(&st.wake);
    wait_done(w, clock_monotonic() + LOG_CLOSE_WAIT);
    if (!w->done) { /* the sink is stuck: stop writing, wait one poll step more */
        atomic_store(&w->abandon, 1);
        pthread_cond_broadcast(&st.wake);
        wait_done(w, clock_monotonic() + 0.5);
    }
    st.dropped += st.qlines; /* never written */
    if (w->done) {
        pthread_mutex_unlock(&st.mu);
        pthread_join(w->th, NULL);
        pthread_mutex_lock(&st.mu);
        if (w->owned)
            close(w->fd);
        free(w->w);
        free(w);
    } else { /* blocked in a write we cannot interrupt: the thread frees its own state */
        st.dropped += w->wlines;
        w->orphan = 1;
        pthread_detach(w->th);
    }
    free(st.q);
    st.q = NULL;
    st.qlen = st.qlines = 0;
    st.wr = NULL;
    st.spec[0] = 0;
    pthread_mutex_unlock(&st.mu);
}

int log_active(void)
{
    return atomic_load(&log_is_open);
}

int log_on_stderr(void)
{
    return atomic_load(&log_is_stderr);
}

void log_get_stats(struct log_stats *out)
{
    pthread_mutex_lock(&st.mu);
    out->written = st.written;
    out->dropped = st.dropped;
    out->queued = st.qlen + (st.wr ? st.wr->wlen : 0);
    pthread_mutex_unlock(&st.mu);
}

void log_event(enum log_level level, const char *region, const char *event, const char *fields, ...)
{
    if (!atomic_load(&log_is_open))
        return;
    char buf[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fields);
    size_t n = log_vformat(buf, sizeof buf, level, region, event, fields, &ap);
    va_end(ap);
    pthread_mutex_lock(&st.mu); /* held for a memcpy only: the writer never writes under it */
    if (!st.refs) {
        pthread_mutex_unlock(&st.mu);
        return;
    }
    if (st.qlen + n > LOG_QUEUE_BYTES) {
        st.dropped++;
    } else {
        memcpy(st.q + st.qlen, buf, n);
        if (st.qlen == 0)
            pthread_cond_signal(&st.wake);
        st.qlen += n;
        st.qlines++;
    }
    pthread_mutex_unlock(&st.mu);
}
