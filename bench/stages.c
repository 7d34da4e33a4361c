/* Per-stage cost of one uncached recommendation request inside a region,
 * for bench/stages: the stages the region thread runs between reading a
 * request and queuing its answer, each timed over many repetitions in a
 * tight loop (best of 7 batches, so another process on the machine inflates
 * it less), in nanoseconds per request. Socket I/O and the event loop are
 * what bench/serve measures beyond these.
 * usage: stages DB USER_ID [COUNT] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "net/http.h"
#include "net/render.h"
#include "util/sbuf.h"

#define REPS 20000

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile long sink;

/* Best of 7 batches of REPS calls of fn(ctx), in ns per call. */
static double best(void (*fn)(void *), void *ctx)
{
    double b = 1e30;
    for (int k = 0; k < 7; k++) {
        double t0 = now_ns();
        for (int i = 0; i < REPS; i++)
            fn(ctx);
        double dt = (now_ns() - t0) / REPS;
        if (dt < b)
            b = dt;
    }
    return b;
}

struct ctx {
    struct engine *e;
    struct rec_request req;
    struct rec_result *res;
    struct sbuf body, out;
    const char *raw;
    size_t raw_len;
    struct http_limits lim;
};

static void st_parse(void *p)
{
    struct ctx *c = p;
    struct http_request r;
    sink += http_parse_request(c->raw, c->raw_len, &c->lim, &r);
}

static void st_engine(void *p)
{
    struct ctx *c = p;
    char err[256];
    sink += engine_recommend(c->e, &c->req, c->res, err, sizeof err);
}

static void st_render(void *p)
{
    struct ctx *c = p;
    sbuf_reset(&c->body);
    sbuf_puts(&c->body, "{\"region\":\"bench\",\"served_by\":\"bench\",\"cache\":\"MISS\",");
    render_recs(&c->body, c->res, 1);
    render_latency_end(&c->body, 0.0123);
    sink += (long)c->body.len;
}

static void st_head(void *p)
{
    struct ctx *c = p;
    char key[64];
    sbuf_reset(&c->out);
    render_head(&c->out, 200, "OK", "application/json", c->body.len, "bench");
    sbuf_puts(&c->out, "Connection: keep-alive\r\n\r\n");
    sbuf_append(&c->out, c->body.p, c->body.len);
    render_rec_key(key, c->req.user, c->req.count, 0);
    sink += (long)c->out.len + key[3];
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: stages DB USER_ID [COUNT]\n");
        return 2;
    }
    struct ctx c;
    char err[512], raw[512];
    memset(&c, 0, sizeof c);
    engine_set_item_renderer(render_item_fixed); /* as server_start does */
    if (engine_open(argv[1], &c.e, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    c.req.user = argv[2];
    c.req.count = argc > 3 ? atoi(argv[3]) : 10;
    c.res = malloc(sizeof *c.res);
    sbuf_init(&c.body, 1 << 20);
    sbuf_init(&c.out, 1 << 20);
    http_limits_default(&c.lim);
    c.raw_len = (size_t)snprintf(raw, sizeof raw,
                                 "GET /api/v1/recommendations/user/%s?count=%d HTTP/1.1\r\n"
                                 "Host: 127.0.0.1:8080\r\n\r\n",
                                 argv[2], c.req.count);
    c.raw = raw;
    if (engine_recommend(c.e, &c.req, c.res, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double p = best(st_parse, &c), e = best(st_engine, &c), r = best(st_render, &c),
           h = best(st_head, &c);
    printf("%-44s %8s\n", "stage (one uncached request, count=N)", "ns");
    printf("%-44s %8.0f\n", "parse the request (http_parse_request)", p);
    printf("%-44s %8.0f\n", "engine_recommend", e);
    printf("%-44s %8.0f\n", "render the body (render_recs, latency)", r);
    printf("%-44s %8.0f\n", "head, copy to the output, cache key", h);
    printf("%-44s %8.0f\n", "total inside the region (no socket I/O)", p + e + r + h);
    printf("(%d items, %zu-byte body)\n", c.res->n_items, c.body.len);
    engine_release(c.e);
    return 0;
}
