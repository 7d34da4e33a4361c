/* Serialisation buffers of model blobs (see blob.h): a writer in memory,
 * counting or streaming to a sink; a reader that never reads past its end. */
#include "engine/blob.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

static void bw_sink(struct blob_writer *w, const void *p, size_t n)
{
    if (!w->failed && n && w->sink(w->sink_ctx, p, n) < 0)
        w->failed = 1;
}

void bw_flush(struct blob_writer *w)
{
    if (w->sink && w->fill) {
        bw_sink(w, w->buf, w->fill);
        w->fill = 0;
    }
}

void bw_put(struct blob_writer *w, const void *p, size_t n)
{
    if (w->failed || !n)
        return;
    if (w->len + n > BLOB_MAX) {
        w->failed = 1;
        return;
    }
    if (w->count_only) {
        w->len += n;
        return;
    }
    if (w->sink) {
        w->len += n;
        if (n >= w->cap - w->fill) {
            /* large arrays go straight to the sink, small ones are gathered */
            bw_flush(w);
            if (n >= w->cap) {
                bw_sink(w, p, n);
                return;
            }
        }
        memcpy(w->buf + w->fill, p, n);
        w->fill += n;
        return;
    }
    /* the first growth makes room for 4 KiB: a blob has many small puts */
    if (w->len + n > w->cap && mem_grow((void **)&w->buf, 1, w->len + n < 4096 ? 4096 : w->len + n,
                                        &w->cap, BLOB_MAX) < 0) {
        w->failed = 1;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}
void bw_i64(struct blob_writer *w, int64_t v)
{
    bw_put(w, &v, sizeof v);
}
void bw_array(struct blob_writer *w, const void *p, size_t size, int64_t count)
{
    bw_i64(w, count);
    if (count > 0)
        bw_put(w, p, size * (size_t)count);
}
void br_get(struct blob_reader *r, void *p, size_t n)
{
    if (r->failed || n > r->len - r->off) {
        r->failed = 1;
        memset(p, 0, n);
        return;
    }
    memcpy(p, r->p + r->off, n);
    r->off += n;
}
int64_t br_i64(struct blob_reader *r)
{
    int64_t v;
    br_get(r, &v, sizeof v);
    return v;
}
void *br_array(struct blob_reader *r, size_t size, int64_t expect, int64_t max, int64_t *count)
{
    int64_t n = br_i64(r);
    if (count)
        *count = 0;
    if (r->failed || n < 0 || (expect >= 0 && n != expect) || (expect < 0 && n > max) ||
        (uint64_t)n > (r->len - r->off) / (size ? size : 1)) {
        r->failed = 1;
        return NULL;
    }
    void *p = malloc((size_t)n * size + 1);
    if (!p) {
        r->failed = 1;
        return NULL;
    }
    br_get(r, p, (size_t)n * size);
    if (count)
        *count = n;
    return p;
}
