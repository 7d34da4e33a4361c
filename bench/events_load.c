/* Load generator for bench/events: CONNS connections (one thread each) post
 * batches of BATCH purchase events for SECONDS, one request in flight per
 * connection, and time each acknowledgement. Two protocols:
 *   http   POST /api/v1/events {"events":[...]} to recsys-tui (202 expected)
 *   redis  MULTI, BATCH x XADD events * user_id U product_id P type purchase
 *          ts T, EXEC, pipelined in one write (one reply per command)
 * Prints one line: "events=N events_per_s=X p50_ms=A p99_ms=B errors=E".
 * Usage: events_load http|redis PORT CONNS BATCH SECONDS PRODUCT_ID
 * Standard C and POSIX only; built by bench/events with cc -O2 -pthread. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int redis, port, batch;
static double seconds;
static const char *product;

struct worker {
    pthread_t th;
    int id;
    long events, errors;
    double *lat;
    size_t n_lat, cap_lat;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            perror("write");
            exit(1);
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Length of one complete RESP reply at p (n bytes), 0 when incomplete. */
static size_t resp_one(const char *p, size_t n)
{
    const char *eol = memmem(p, n, "\r\n", 2);
    if (!eol)
        return 0;
    size_t head = (size_t)(eol - p) + 2;
    if (p[0] == '+' || p[0] == '-' || p[0] == ':')
        return head;
    long len = atol(p + 1);
    if (p[0] == '$')
        return len < 0 ? head : (n >= head + (size_t)len + 2 ? head + (size_t)len + 2 : 0);
    if (p[0] == '*') {
        size_t off = head;
        for (long i = 0; i < len; i++) {
            size_t k = resp_one(p + off, n - off);
            if (!k)
                return 0;
            off += k;
        }
        return off;
    }
    return head; /* unknown: count the line */
}

/* Reads until `want` complete replies (redis) or one HTTP response; returns
 * 1 when all succeeded. buf/len keep bytes across calls. */
static int read_reply(int fd, char *buf, size_t cap, size_t *len, int want)
{
    int ok = 1;
    for (;;) {
        if (redis) {
            size_t off = 0;
            int got = 0;
            while (got < want) {
                size_t k = resp_one(buf + off, *len - off);
                if (!k)
                    break;
                if (buf[off] == '-')
                    ok = 0;
                off += k;
                got++;
            }
            if (got == want) {
                memmove(buf, buf + off, *len - off);
                *len -= off;
                return ok;
            }
        } else {
            char *end = memmem(buf, *len, "\r\n\r\n", 4);
            if (end) {
                char *cl = strcasestr(buf, "Content-Length:");
                size_t body = cl && cl < end ? (size_t)atol(cl + 15) : 0;
                size_t total = (size_t)(end - buf) + 4 + body;
                if (*len >= total) {
                    ok = !strncmp(buf, "HTTP/1.1 202", 12);
                    memmove(buf, buf + total, *len - total);
                    *len -= total;
                    return ok;
                }
            }
        }
        if (*len == cap) {
            fprintf(stderr, "reply too large\n");
            exit(1);
        }
        ssize_t r = read(fd, buf + *len, cap - *len);
        if (r <= 0) {
            perror("read");
            exit(1);
        }
        *len += (size_t)r;
    }
}

/* One request of batch events by made-up users of worker w (sequence seq). */
static size_t build(char *out, size_t cap, int w, long seq)
{
    size_t o = 0;
    long ts = (long)time(NULL);
    if (redis) {
        o += (size_t)snprintf(out + o, cap - o, "*1\r\n$5\r\nMULTI\r\n");
        for (int i = 0; i < batch; i++) {
            char u[33];
            snprintf(u, sizeof u, "%08x%08x%016x", (unsigned)w & 0xffffffffu,
                     (unsigned)(seq & 0xffffffff), (unsigned)i);
            char tsb[24];
            int tl = snprintf(tsb, sizeof tsb, "%ld", ts);
            o +=
                (size_t)snprintf(out + o, cap - o,
                                 "*11\r\n$4\r\nXADD\r\n$6\r\nevents\r\n$1\r\n*\r\n$7\r\nuser_id\r\n"
                                 "$32\r\n%s\r\n$10\r\nproduct_id\r\n$32\r\n%s\r\n$4\r\ntype\r\n"
                                 "$8\r\npurchase\r\n$2\r\nts\r\n$%d\r\n%s\r\n",
                                 u, product, tl, tsb);
        }
        o += (size_t)snprintf(out + o, cap - o, "*1\r\n$4\r\nEXEC\r\n");
        return o;
    }
    char body[1 << 18];
    size_t b = 0;
    b += (size_t)snprintf(body + b, sizeof body - b, "{\"events\":[");
    for (int i = 0; i < batch; i++)
        b += (size_t)snprintf(body + b, sizeof body - b,
                              "%s{\"user_id\":\"%08x%08x%016x\",\"product_id\":\"%s\","
                              "\"type\":\"purchase\",\"ts\":%ld}",
                              i ? "," : "", (unsigned)w, (unsigned)(seq & 0xffffffff), (unsigned)i,
                              product, ts);
    b += (size_t)snprintf(body + b, sizeof body - b, "]}");
    o = (size_t)snprintf(out, cap,
                         "POST /api/v1/events HTTP/1.1\r\nHost: bench\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                         b);
    memcpy(out + o, body, b);
    return o + b;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    size_t cap = 1 << 19;
    char *req = malloc(cap), *buf = malloc(cap);
    size_t blen = 0;
    int fd = dial();
    double end = now_s() + seconds;
    for (long seq = 0; now_s() < end; seq++) {
        size_t n = build(req, cap, w->id, seq);
        double t0 = now_s();
        send_all(fd, req, n);
        int ok = read_reply(fd, buf, cap, &blen, batch + 2);
        double dt = now_s() - t0;
        if (w->n_lat == w->cap_lat) {
            w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 4096;
            w->lat = realloc(w->lat, w->cap_lat * sizeof *w->lat);
        }
        w->lat[w->n_lat++] = dt;
        if (ok)
            w->events += batch;
        else
            w->errors++;
    }
    close(fd);
    free(req);
    free(buf);
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: events_load http|redis PORT CONNS BATCH SECONDS PRODUCT_ID\n");
        return 2;
    }
    redis = !strcmp(argv[1], "redis");
    port = atoi(argv[2]);
    int conns = atoi(argv[3]);
    batch = atoi(argv[4]);
    seconds = atof(argv[5]);
    product = argv[6];
    struct worker *ws = calloc((size_t)conns, sizeof *ws);
    double t0 = now_s();
    for (int i = 0; i < conns; i++) {
        ws[i].id = i + 1;
        pthread_create(&ws[i].th, NULL, run, &ws[i]);
    }
    long events = 0, errors = 0;
    size_t n = 0;
    for (int i = 0; i < conns; i++) {
        pthread_join(ws[i].th, NULL);
        events += ws[i].events;
        errors += ws[i].errors;
        n += ws[i].n_lat;
    }
    double el = now_s() - t0;
    double *all = malloc((n ? n : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < conns; i++) {
        memcpy(all + k, ws[i].lat, ws[i].n_lat * sizeof *all);
        k += ws[i].n_lat;
        free(ws[i].lat);
    }
    qsort(all, n, sizeof *all, cmp_d);
    double p50 = n ? all[n / 2] : 0, p99 = n ? all[(size_t)((double)n * 0.99)] : 0;
    printf("events=%ld events_per_s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%ld\n", events,
           (double)events / el, p50 * 1e3, p99 * 1e3, errors);
    free(all);
    free(ws);
    return errors ? 1 : 0;
}
