/* Serialisation buffers of model blobs. A writer has three modes: in memory
 * (the default, zero-initialised; grows up to BLOB_MAX bytes), counting
 * (count_only: only len advances, to size a blob before writing it) and
 * streaming (sink set: buf is a fixed chunk of cap bytes handed to sink
 * whenever it fills, and by bw_flush; a sink returning -1 fails the writer).
 * len always counts every byte put. A reader never reads past its end. Both
 * record failure in `failed` instead of returning it from every call, so a
 * save or load checks once at the end. */
#ifndef RECSYS_ENGINE_BLOB_H
#define RECSYS_ENGINE_BLOB_H

#include <stddef.h>
#include <stdint.h>

#define BLOB_MAX ((size_t)16 << 30) /* 16 GiB: refuse anything larger */

struct blob_writer {
    uint8_t *buf;
    size_t len, cap;
    int failed;
    int count_only;
    int (*sink)(void *ctx, const uint8_t *p, size_t n);
    void *sink_ctx;
    size_t fill; /* streaming: bytes waiting in buf */
};

struct blob_reader {
    const uint8_t *p;
    size_t len, off;
    int failed;
};

void bw_put(struct blob_writer *w, const void *p, size_t n);
void bw_i64(struct blob_writer *w, int64_t v);
void bw_flush(struct blob_writer *w); /* streaming: hands the rest of buf to the sink */
/* count then count * size bytes */
void bw_array(struct blob_writer *w, const void *p, size_t size, int64_t count);
int64_t br_i64(struct blob_reader *r);
void br_get(struct blob_reader *r, void *p, size_t n);
/* Reads an array written by bw_array; fails unless its count equals expect
 * (or any count up to max when expect < 0). Returns malloc'd memory or NULL. */
void *br_array(struct blob_reader *r, size_t size, int64_t expect, int64_t max, int64_t *count);

#endif
