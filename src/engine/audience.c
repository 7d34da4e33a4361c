/* Audience of a product (see audience.h). */
#include "engine/audience.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/content.h"
#include "util/error.h"

struct pick {
    int32_t person;
    int64_t ts;      /* latest purchase of a similar product; < 0: time kept as text */
    int32_t product; /* index into h->product_ids */
};

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Newest first; a time kept as text (ts < 0) after every parsed one
 * (history.h keeps those as -1 - k). */
static int cmp_pick(const void *a, const void *b)
{
    const struct pick *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? 1 : -1;
    return (x->person > y->person) - (x->person < y->person);
}

/* Index of model item i in h->product_ids, -1 when absent. */
static int32_t hist_product(const struct model *m, const struct history *h, int32_t i)
{
    int32_t lo = 0, hi = h->n_products - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = strcmp(h->product_ids[mid], m->ctx.items.ids[i]);
        if (!c)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static void format_ts(const struct history *h, int64_t t, char out[24])
{
    if (t < 0) {
        memcpy(out, h->odd_ts[-1 - t], 24);
        out[23] = 0;
        return;
    }
    int s = (int)(t % 86400);
    dataset_format_day((int32_t)(t / 86400), out);
    snprintf(out + 10, 14, " %02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
}

/* The similar products of item (model indexes, item itself excluded). */
static int similar_items(const struct model *m, int32_t item, int32_t *sim)
{
    struct scored more[AUDIENCE_SIMILAR];
    int n = 0;
    if (m->icf.ptr)
        for (int64_t k = m->icf.ptr[item]; k < m->icf.ptr[item + 1] && n < AUDIENCE_SIMILAR; k++)
            sim[n++] = m->icf.idx[k];
    int got = content_similar(m, item, AUDIENCE_SIMILAR, more);
    for (int k = 0; k < got && n < AUDIENCE_SIMILAR; k++) {
        int dup = more[k].item == item;
        for (int j = 0; j < n && !dup; j++)
            dup = sim[j] == more[k].item;
        if (!dup)
            sim[n++] = more[k].item;
    }
    return n;
}

int audience_collect(const struct model *m, const struct history *h, const struct idmap *people,
                     int32_t item, int count, struct product_audience *out)
{
    int32_t sim[AUDIENCE_SIMILAR], hsim[AUDIENCE_SIMILAR];
    int n_sim = similar_items(m, item, sim);
    int32_t self = hist_product(m, h, item);
    size_t cap = 0, n = 0;
    for (int s = 0; s < n_sim; s++) {
        hsim[s] = hist_product(m, h, sim[s]);
        int64_t b = m->iu.ptr[sim[s] + 1] - m->iu.ptr[sim[s]];
        cap += (size_t)(b < AUDIENCE_MAX_BUYERS ? b : AUDIENCE_MAX_BUYERS);
    }
    out->n_similar = n_sim;
    out->n = 0;
    int32_t *cand = malloc((cap + 1) * sizeof *cand);
    struct pick *picks = malloc((cap + 1) * sizeof *picks);
    if (!cand || !picks) {
        free(cand);
        free(picks);
        return ERR_NOMEM;
    }
    for (int s = 0; s < n_sim; s++) {
        int64_t a = m->iu.ptr[sim[s]], b = m->iu.ptr[sim[s] + 1];
        for (int64_t k = a; k < b && k - a < AUDIENCE_MAX_BUYERS; k++) {
            int32_t p = dataset_idmap_find(people, m->ctx.users.ids[m->iu.idx[k]]);
            if (p >= 0 && p < h->n_people)
                cand[n++] = p;
        }
    }
    if (n)
        qsort(cand, n, sizeof *cand, cmp_i32);
    size_t np = 0;
    for (size_t k = 0; k < n; k++) {
        if (k && cand[k] == cand[k - 1])
            continue;
        struct pick pk = {cand[k], INT64_MIN, -1};
        int owns = 0;
        for (int32_t r = h->ptr[cand[k]]; r < h->ptr[cand[k] + 1] && !owns; r++) {
            const struct history_row *row = &h->rows[r];
            owns = self >= 0 && row->product == self;
            for (int s = 0; s < n_sim; s++)
                if (hsim[s] >= 0 && row->product == hsim[s]) {
                    int64_t t = h->order_ts[row->order];
                    int64_t key = t < 0 ? -1 : t; /* text times sort last */
                    if (pk.product < 0 || key > (pk.ts < 0 ? -1 : pk.ts))
                        pk.ts = t, pk.product = row->product;
                }
        }
        if (!owns && pk.product >= 0)
            picks[np++] = pk;
    }
    if (np)
        qsort(picks, np, sizeof *picks, cmp_pick);
    for (size_t k = 0; k < np && out->n < count && out->n < ENGINE_MAX_AUDIENCE; k++) {
        struct audience_entry *e = &out->entries[out->n++];
        memcpy(e->user_id, people->ids[picks[k].person], REC_ID_LEN);
        format_ts(h, picks[k].ts, e->last_purchase);
        memcpy(e->via, h->product_ids[picks[k].product], REC_ID_LEN);
    }
    free(cand);
    free(picks);
    return 0;
}
