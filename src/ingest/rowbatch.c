/* Typed row batches sorted by key: see rowbatch.h. */
#include "ingest/rowbatch.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/mem.h"

struct rowbatch_chunk {
    struct rowbatch_chunk *next;
    size_t cap, used;
    alignas(16) char data[];
};

void rowbatch_init(struct rowbatch *b, int ncols, size_t max_bytes)
{
    memset(b, 0, sizeof *b);
    b->ncols = ncols < 1 ? 1 : ncols > ROWBATCH_MAX_COLS ? ROWBATCH_MAX_COLS : ncols;
    b->max_bytes = max_bytes;
}

static void free_chunks(struct rowbatch_chunk *c)
{
    while (c) {
        struct rowbatch_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void rowbatch_free(struct rowbatch *b)
{
    free_chunks(b->chunks);
    free_chunks(b->spare);
    free(b->rows);
    rowbatch_init(b, b->ncols, b->max_bytes);
}

void rowbatch_reset(struct rowbatch *b, int ncols)
{
    while (b->chunks) {
        struct rowbatch_chunk *c = b->chunks;
        b->chunks = c->next;
        c->used = 0;
        c->next = b->spare;
        b->spare = c;
    }
    b->nrows = 0;
    b->bytes = 0;
    b->ncols = ncols < 1 ? 1 : ncols > ROWBATCH_MAX_COLS ? ROWBATCH_MAX_COLS : ncols;
}

/* n bytes (8-aligned) from the newest chunk, or a spare or new one. */
static void *take(struct rowbatch *b, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct rowbatch_chunk *c = b->chunks;
    if (!c || c->cap - c->used < n) {
        struct rowbatch_chunk **p = &b->spare;
        while (*p && (*p)->cap < n)
            p = &(*p)->next;
        if (*p) {
            c = *p;
            *p = c->next;
        } else {
            /* Whole, aligned 2 MB blocks the kernel may back with huge pages:
             * one page fault per chunk instead of 512 (faults were a good
             * part of what a batch cost). Best effort: madvise may refuse. */
            size_t bytes = (sizeof *c + n + ROWBATCH_CHUNK - 1) / ROWBATCH_CHUNK * ROWBATCH_CHUNK;
            c = aligned_alloc(ROWBATCH_CHUNK, bytes);
            if (!c)
                return NULL;
#ifdef MADV_HUGEPAGE
            (void)madvise(c, bytes, MADV_HUGEPAGE);
#endif
            c->cap = bytes - sizeof *c;
        }
        c->used = 0;
        c->next = b->chunks;
        b->chunks = c;
    }
    void *r = c->data + c->used;
    c->used += n;
    b->bytes += n;
    return r;
}

int rowbatch_push(struct rowbatch *b, long line, const struct rowbatch_val *vals)
{
    size_t rec = ((size_t)b->ncols + 1) * sizeof *vals, text = 0;
    for (int i = 0; i < b->ncols; i++)
        if (vals[i].type == RB_TEXT)
            text += vals[i].len;
    if (b->nrows && (b->bytes + b->rows_cap * sizeof *b->rows + rec + text > b->max_bytes ||
                     b->nrows >= ROWBATCH_MAX_ROWS))
        return 1;
    if (b->nrows == b->rows_cap &&
        mem_grow((void **)&b->rows, sizeof *b->rows, b->nrows < 4096 ? 4096 : b->nrows + 1,
                 &b->rows_cap, ROWBATCH_MAX_ROWS) < 0)
        return -1;
    /* One allocation per row: the line, the values, then their text. */
    struct rowbatch_val *v = take(b, rec + text);
    if (!v)
        return -1;
    *(long *)(void *)v = line;
    v++;
    char *t = (char *)(v + b->ncols);
    for (int i = 0; i < b->ncols; i++) {
        v[i] = vals[i];
        if (vals[i].type == RB_TEXT) {
            memcpy(t, vals[i].u.s, vals[i].len);
            v[i].u.s = t;
            t += vals[i].len;
        }
    }
    b->rows[b->nrows++] = v;
    return 0;
}

struct sort_key {
    uint64_t prefix; /* first key column's leading text bytes, big-endian */
    const struct rowbatch_val *row;
};

static int type_rank(int t)
{
    return t == RB_NULL ? 0 : t == RB_TEXT ? 2 : 1;
}

static int cmp_val(const struct rowbatch_val *x, const struct rowbatch_val *y)
{
    int rx = type_rank(x->type), ry = type_rank(y->type);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (rx == 0)
        return 0;
    if (rx == 2) {
        uint32_t n = x->len < y->len ? x->len : y->len;
        int c = n ? memcmp(x->u.s, y->u.s, n) : 0;
        if (c)
            return c;
        return x->len < y->len ? -1 : x->len > y->len;
    }
    if (x->type == RB_INT && y->type == RB_INT)
        return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
    double dx = x->type == RB_INT ? (double)x->u.i : x->u.d;
    double dy = y->type == RB_INT ? (double)y->u.i : y->u.d;
    return dx < dy ? -1 : dx > dy;
}

static int cmp_keys(const void *pa, const void *pb, void *pn)
{
    const struct sort_key *a = pa, *k = pb;
    int nkeys = *(const int *)pn;
    const struct rowbatch_val *x = a->row, *y = k->row;
    /* The prefix orders two texts whenever it differs (zero padding keeps
     * "ab" before "abc"); equal prefixes fall through to the full compare. */
    if (x[0].type == RB_TEXT && y[0].type == RB_TEXT && a->prefix != k->prefix)
        return a->prefix < k->prefix ? -1 : 1;
    for (int i = 0; i < nkeys; i++) {
        int r = cmp_val(&x[i], &y[i]);
        if (r)
            return r;
    }
    long la = *(const long *)(const void *)(x - 1), lb = *(const long *)(const void *)(y - 1);
    return la < lb ? -1 : la > lb;
}

/* Stable LSD radix sort of keys by prefix (one byte per pass; passes where
 * every key has the same byte are skipped). tmp holds n keys. */
static void radix_by_prefix(struct sort_key *keys, struct sort_key *tmp, size_t n)
{
    struct sort_key *src = keys, *dst = tmp;
    for (int shift = 0; shift < 64; shift += 8) {
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++)
            count[(src[i].prefix >> shift) & 0xFF]++;
        if (count[(src[0].prefix >> shift) & 0xFF] == n)
            continue;
        size_t pos = 0;
        for (int d = 0; d < 256; d++) {
            size_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i].prefix >> shift) & 0xFF]++] = src[i];
        struct sort_key *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
}

int rowbatch_sort(struct rowbatch *b, int nkeys)
{
    if (nkeys < 1 || b->nrows < 2)
        return 0;
    if (nkeys > b->ncols)
        nkeys = b->ncols;
    struct sort_key *keys = malloc(2 * b->nrows * sizeof *keys);
    if (!keys)
        return -1;
    int all_text = 1;
    for (size_t r = 0; r < b->nrows; r++) {
        const struct rowbatch_val *v = b->rows[r];
        uint64_t p = 0;
        if (v[0].type == RB_TEXT) {
            const unsigned char *s = (const unsigned char *)v[0].u.s;
            for (uint32_t i = 0; i < 8; i++)
                p = p << 8 | (i < v[0].len ? s[i] : 0);
        } else {
            all_text = 0;
        }
        keys[r].prefix = p;
        keys[r].row = v;
    }
    if (all_text) {
        /* Text keys (Olist ids): radix on the 8-byte prefix, then only the
         * runs sharing a prefix need the full comparison. */
        radix_by_prefix(keys, keys + b->nrows, b->nrows);
        for (size_t i = 0, j; i < b->nrows; i = j) {
            for (j = i + 1; j < b->nrows && keys[j].prefix == keys[i].prefix; j++)
                ;
            if (j - i > 1)
                qsort_r(keys + i, j - i, sizeof *keys, cmp_keys, &nkeys);
        }
    } else {
        qsort_r(keys, b->nrows, sizeof *keys, cmp_keys, &nkeys);
    }
    for (size_t r = 0; r < b->nrows; r++)
        b->rows[r] = (struct rowbatch_val *)keys[r].row;
    free(keys);
    return 0;
}
