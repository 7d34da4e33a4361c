/* Typed row batches sorted by key: see rowbatch.h. */
#include "engine/rowbatch.h"

#include <stdlib.h>
#include <string.h>

void rowbatch_init(struct rowbatch *b, int ncols, size_t max_bytes)
{
    memset(b, 0, sizeof *b);
    b->ncols = ncols < 1 ? 1 : ncols > ROWBATCH_MAX_COLS ? ROWBATCH_MAX_COLS : ncols;
    b->max_bytes = max_bytes;
}

void rowbatch_free(struct rowbatch *b)
{
    free(b->vals);
    free(b->lines);
    free(b->text);
    free(b->order);
    rowbatch_init(b, b->ncols, b->max_bytes);
}

void rowbatch_clear(struct rowbatch *b)
{
    b->nrows = 0;
    b->text_used = 0;
    free(b->order);
    b->order = NULL;
}

/* Bytes the batch holds now, counting a sort's index array too. */
static size_t held(const struct rowbatch *b)
{
    return b->nrows * (b->ncols * sizeof *b->vals + sizeof *b->lines + 16) + b->text_used;
}

static int grow_rows(struct rowbatch *b)
{
    size_t cap = b->rows_cap ? b->rows_cap * 2 : 1024;
    if (cap > ROWBATCH_MAX_ROWS)
        cap = ROWBATCH_MAX_ROWS;
    struct rowbatch_val *nv = realloc(b->vals, cap * (size_t)b->ncols * sizeof *nv);
    if (!nv)
        return -1;
    b->vals = nv;
    long *nl = realloc(b->lines, cap * sizeof *nl);
    if (!nl)
        return -1;
    b->lines = nl;
    b->rows_cap = cap;
    return 0;
}

int rowbatch_push(struct rowbatch *b, long line, const struct rowbatch_val *vals)
{
    size_t text = 0;
    for (int i = 0; i < b->ncols; i++)
        if (vals[i].type == RB_TEXT)
            text += vals[i].len;
    if (b->nrows && (held(b) + text + b->ncols * sizeof *vals > b->max_bytes ||
                     b->nrows >= ROWBATCH_MAX_ROWS))
        return 1;
    if (b->nrows == b->rows_cap && grow_rows(b) < 0)
        return -1;
    if (b->text_used + text > b->text_cap) {
        size_t cap = b->text_cap ? b->text_cap : 64 * 1024;
        while (cap < b->text_used + text)
            cap *= 2;
        char *nt = realloc(b->text, cap);
        if (!nt)
            return -1;
        b->text = nt;
        b->text_cap = cap;
    }
    struct rowbatch_val *dst = b->vals + b->nrows * (size_t)b->ncols;
    for (int i = 0; i < b->ncols; i++) {
        dst[i] = vals[i];
        if (vals[i].type == RB_TEXT) {
            memcpy(b->text + b->text_used, vals[i].u.s, vals[i].len);
            dst[i].u.off = b->text_used;
            b->text_used += vals[i].len;
        }
    }
    b->lines[b->nrows++] = line;
    return 0;
}

struct sort_ctx {
    const struct rowbatch *b;
    int nkeys;
};

struct sort_key {
    uint64_t prefix; /* first key column's leading text bytes, big-endian */
    uint32_t row;
};

static int type_rank(int t)
{
    return t == RB_NULL ? 0 : t == RB_TEXT ? 2 : 1;
}

static int cmp_val(const struct rowbatch *b, const struct rowbatch_val *x,
                   const struct rowbatch_val *y)
{
    int rx = type_rank(x->type), ry = type_rank(y->type);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    if (rx == 0)
        return 0;
    if (rx == 2) {
        uint32_t n = x->len < y->len ? x->len : y->len;
        int c = n ? memcmp(b->text + x->u.off, b->text + y->u.off, n) : 0;
        if (c)
            return c;
        return x->len < y->len ? -1 : x->len > y->len;
    }
    double dx = x->type == RB_INT ? (double)x->u.i : x->u.d;
    double dy = y->type == RB_INT ? (double)y->u.i : y->u.d;
    if (x->type == RB_INT && y->type == RB_INT)
        return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
    return dx < dy ? -1 : dx > dy;
}

static int cmp_keys(const void *pa, const void *pb, void *pc)
{
    const struct sort_key *a = pa, *k = pb;
    const struct sort_ctx *c = pc;
    const struct rowbatch *b = c->b;
    const struct rowbatch_val *x = b->vals + (size_t)a->row * b->ncols;
    const struct rowbatch_val *y = b->vals + (size_t)k->row * b->ncols;
    /* The prefix orders two texts whenever it differs (zero padding keeps
     * "ab" before "abc"); equal prefixes fall through to the full compare. */
    if (x[0].type == RB_TEXT && y[0].type == RB_TEXT && a->prefix != k->prefix)
        return a->prefix < k->prefix ? -1 : 1;
    for (int i = 0; i < c->nkeys; i++) {
        int r = cmp_val(b, &x[i], &y[i]);
        if (r)
            return r;
    }
    long la = b->lines[a->row], lb = b->lines[k->row];
    return la < lb ? -1 : la > lb ? 1 : (a->row > k->row) - (a->row < k->row);
}

int rowbatch_sort(struct rowbatch *b, int nkeys)
{
    free(b->order);
    b->order = NULL;
    if (nkeys < 1 || b->nrows < 2)
        return 0;
    if (nkeys > b->ncols)
        nkeys = b->ncols;
    struct sort_key *keys = malloc(b->nrows * sizeof *keys);
    if (!keys)
        return -1;
    for (size_t r = 0; r < b->nrows; r++) {
        const struct rowbatch_val *v = b->vals + r * (size_t)b->ncols;
        uint64_t p = 0;
        if (v[0].type == RB_TEXT) {
            const unsigned char *s = (const unsigned char *)b->text + v[0].u.off;
            for (uint32_t i = 0; i < 8; i++)
                p = p << 8 | (i < v[0].len ? s[i] : 0);
        }
        keys[r].prefix = p;
        keys[r].row = (uint32_t)r;
    }
    struct sort_ctx c = {b, nkeys};
    qsort_r(keys, b->nrows, sizeof *keys, cmp_keys, &c);
    /* Reuse the key array's memory for the permutation. */
    uint32_t *order = (uint32_t *)(void *)keys;
    for (size_t r = 0; r < b->nrows; r++)
        order[r] = keys[r].row;
    uint32_t *shrunk = realloc(order, b->nrows * sizeof *order);
    b->order = shrunk ? shrunk : order;
    return 0;
}

const struct rowbatch_val *rowbatch_row(const struct rowbatch *b, size_t k, long *line)
{
    size_t r = b->order ? b->order[k] : k;
    if (line)
        *line = b->lines[r];
    return b->vals + r * (size_t)b->ncols;
}
