/* Same-seller candidate source (see sources_seller.h). */
#include "engine/sources_seller.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Pairs are sorted as one 64-bit key, the first member in the high word:
 * (a, b) ascending. A (count, id) pair is keyed (CNT_TOP - count, id), so
 * ascending keys are counts descending, ties by id ascending. */
#define KEY(a, b) ((uint64_t)(uint32_t)(a) << 32 | (uint32_t)(b))
#define HI(k)     ((int32_t)((k) >> 32))
#define LO(k)     ((int32_t)(uint32_t)(k))
#define CNT_TOP   INT32_MAX

static int cmp_key(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Index of the first event with day >= day (events sorted by day). */
static int64_t first_on(const struct dataset *ds, int32_t day)
{
    int64_t lo = 0, hi = ds->n_events;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (ds->events[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int known(const struct dataset *ds, const struct event *e)
{
    return e->seller >= 0 && e->seller < ds->sellers.n && e->item >= 0 && e->item < ds->items.n;
}

/* Buckets: for each key k in [0, nk) (the item, or with by_seller the
 * seller), the events in [lo, hi) with that key as (seller, 0) or (item,
 * user) keys; counting sort. *ptr (nk + 2 entries) then holds key k's range
 * at (*ptr)[k] .. (*ptr)[k + 1]. */
static int bucket(const struct dataset *ds, int64_t lo, int64_t hi, int by_seller, int32_t nk,
                  int64_t **ptr, uint64_t **val)
{
    *ptr = calloc((size_t)nk + 2, sizeof **ptr);
    if (!*ptr)
        return -1;
    for (int64_t k = lo; k < hi; k++)
        if (known(ds, &ds->events[k]))
            (*ptr)[(by_seller ? ds->events[k].seller : ds->events[k].item) + 2]++;
    for (int32_t i = 0; i < nk; i++)
        (*ptr)[i + 2] += (*ptr)[i + 1];
    *val = malloc(((size_t)(*ptr)[nk + 1] + 1) * sizeof **val);
    if (!*val)
        return -1;
    for (int64_t k = lo; k < hi; k++) {
        const struct event *e = &ds->events[k];
        if (known(ds, e))
            (*val)[(*ptr)[(by_seller ? e->seller : e->item) + 1]++] =
                by_seller ? KEY(e->item, e->user) : KEY(e->seller, 0);
    }
    return 0;
}

/* Sorts b[0..n) and replaces it with one (CNT_TOP - count, id) key per id
 * (the high word), best first: count is the id's rows, or with distinct the
 * distinct low words among them (buyers). Returns the number of ids. */
static int64_t rank_ids(uint64_t *b, int64_t n, int distinct)
{
    int64_t m = 0;
    qsort(b, (size_t)n, sizeof *b, cmp_key);
    for (int64_t k = 0; k < n;) {
        int32_t id = HI(b[k]), count = 0;
        int64_t j = k;
        for (; j < n && HI(b[j]) == id; j++)
            count += !distinct || j == k || b[j] != b[j - 1];
        b[m++] = KEY(CNT_TOP - count, id); /* m <= k: rows not read again */
        k = j;
    }
    qsort(b, (size_t)m, sizeof *b, cmp_key);
    return m;
}

/* One list per key of bucket(): its best `keep` ids, scored by count over
 * the key's rows (share) or over the first id's count (top). Fills *ptr_out
 * (nk + 1), *id_out and *score_out. -1 out of memory. */
static int fit_lists(const struct dataset *ds, int64_t lo, int64_t hi, int by_seller, int32_t nk,
                     int keep, int64_t **ptr_out, int32_t **id_out, float **score_out)
{
    int64_t *ptr = NULL;
    uint64_t *v = NULL;
    int rc = -1;
    if (bucket(ds, lo, hi, by_seller, nk, &ptr, &v) < 0)
        goto out;
    int64_t cap = (int64_t)nk * keep < ptr[nk] ? (int64_t)nk * keep : ptr[nk];
    *ptr_out = calloc((size_t)nk + 1, sizeof **ptr_out);
    *id_out = malloc(((size_t)cap + 1) * sizeof **id_out);
    *score_out = malloc(((size_t)cap + 1) * sizeof **score_out);
    if (!*ptr_out || !*id_out || !*score_out)
        goto out;
    int64_t w = 0;
    for (int32_t key = 0; key < nk; key++) {
        uint64_t *b = v + ptr[key];
        int64_t n = ptr[key + 1] - ptr[key], m = rank_ids(b, n, by_seller);
        float base = m ? (float)(by_seller ? CNT_TOP - HI(b[0]) : n) : 1;
        for (int64_t k = 0; k < m && k < keep; k++) {
            (*id_out)[w] = LO(b[k]);
            (*score_out)[w++] = (float)(CNT_TOP - HI(b[k])) / base;
        }
        (*ptr_out)[key + 1] = w;
    }
    rc = 0;
out:
    free(ptr);
    free(v);
    return rc;
}

int sources_seller_fit(struct sources_seller *s, const struct dataset *ds, int32_t cutoff_day,
                       char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (ds->sellers.n <= 0 || ds->items.n <= 0)
        return 0;
    s->n_items = ds->items.n;
    s->n_sellers = ds->sellers.n;
    int64_t end = first_on(ds, cutoff_day), from = first_on(ds, cutoff_day - SELLER_WINDOW);
    /* a product's sellers by its purchases (shares); a seller's products by buyers */
    if (fit_lists(ds, 0, end, 0, s->n_items, SELLER_MAX_PER_ITEM, &s->item_ptr, &s->item_sel,
                  &s->item_share) < 0 ||
        fit_lists(ds, from, end, 1, s->n_sellers, SELLER_TOP_K, &s->top_ptr, &s->top_item,
                  &s->top_score) < 0) {
        sources_seller_free(s);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory fitting the seller source");
    }
    return 0;
}

int sources_seller_candidates(const struct sources_seller *s, const int32_t *owned, int64_t n,
                              struct cand_buf *b)
{
    struct cand_buf sel = {0};
    int rc = -1;
    if (!s->item_ptr)
        return 0;
    for (int64_t k = 0; k < n; k++) {
        int32_t i = owned[k];
        if (i < 0 || i >= s->n_items)
            continue;
        for (int64_t j = s->item_ptr[i]; j < s->item_ptr[i + 1]; j++)
            if (cand_add(&sel, s->item_sel[j], s->item_share[j]) < 0)
                goto out;
    }
    cand_finish(&sel); /* one weight per seller */
    for (size_t k = 0; k < sel.n; k++) {
        int32_t x = sel.c[k].item;
        for (int64_t j = s->top_ptr[x]; j < s->top_ptr[x + 1]; j++)
            if (cand_add(b, s->top_item[j], sel.c[k].score * s->top_score[j]) < 0)
                goto out;
    }
    rc = 0;
out:
    cand_free(&sel);
    return rc;
}

void sources_seller_save(const struct sources_seller *s, struct blob_writer *w)
{
    int64_t zero = 0;
    int fitted = s->item_ptr != NULL;
    int64_t ni = fitted ? s->item_ptr[s->n_items] : 0, nt = fitted ? s->top_ptr[s->n_sellers] : 0;
    bw_array(w, fitted ? (const void *)s->item_ptr : &zero, 8,
             fitted ? (int64_t)s->n_items + 1 : 0);
    bw_array(w, fitted ? (const void *)s->item_sel : &zero, 4, ni);
    bw_array(w, fitted ? (const void *)s->item_share : &zero, 4, ni);
    bw_array(w, fitted ? (const void *)s->top_ptr : &zero, 8,
             fitted ? (int64_t)s->n_sellers + 1 : 0);
    bw_array(w, fitted ? (const void *)s->top_item : &zero, 4, nt);
    bw_array(w, fitted ? (const void *)s->top_score : &zero, 4, nt);
}

/* 1 when ptr[0..n] is a CSR row pointer over nnz entries, rows of at most max. */
static int valid_ptr(const int64_t *ptr, int64_t n, int64_t nnz, int64_t max)
{
    if (ptr[0] != 0 || ptr[n] != nnz)
        return 0;
    for (int64_t i = 0; i < n; i++)
        if (ptr[i + 1] < ptr[i] || ptr[i + 1] - ptr[i] > max)
            return 0;
    return 1;
}

int sources_seller_load(struct sources_seller *s, int32_t n_items, struct blob_reader *r)
{
    int64_t np = 0, ns = 0, nh = 0, nt = 0, ni = 0, nsc = 0;
    memset(s, 0, sizeof *s);
    int64_t max_pairs = (int64_t)n_items * SELLER_MAX_PER_ITEM;
    s->item_ptr = br_array(r, 8, -1, (int64_t)n_items + 1, &np);
    s->item_sel = br_array(r, 4, -1, max_pairs, &ns);
    s->item_share = br_array(r, 4, -1, max_pairs, &nh);
    s->top_ptr = br_array(r, 8, -1, DS_MAX_ROWS + 1, &nt);
    int64_t n_sellers = nt > 0 ? nt - 1 : 0;
    s->top_item = br_array(r, 4, -1, n_sellers * SELLER_TOP_K, &ni);
    s->top_score = br_array(r, 4, -1, n_sellers * SELLER_TOP_K, &nsc);
    int ok = !r->failed && ns == nh && ni == nsc &&
             (np == 0 ? ns == 0 && nt == 0 && ni == 0 : np == (int64_t)n_items + 1 && nt > 0);
    ok = ok && (!np || (valid_ptr(s->item_ptr, n_items, ns, SELLER_MAX_PER_ITEM) &&
                        valid_ptr(s->top_ptr, n_sellers, ni, SELLER_TOP_K)));
    for (int64_t k = 0; ok && k < ns; k++)
        ok = s->item_sel[k] >= 0 && s->item_sel[k] < n_sellers && s->item_share[k] > 0 &&
             s->item_share[k] <= 1;
    for (int64_t k = 0; ok && k < ni; k++)
        ok = s->top_item[k] >= 0 && s->top_item[k] < n_items && s->top_score[k] > 0 &&
             s->top_score[k] <= 1;
    if (!ok || !np) {
        sources_seller_free(s);
        return ok ? 0 : -1;
    }
    s->n_items = n_items;
    s->n_sellers = (int32_t)n_sellers;
    return 0;
}

void sources_seller_free(struct sources_seller *s)
{
    free(s->item_ptr);
    free(s->item_sel);
    free(s->item_share);
    free(s->top_ptr);
    free(s->top_item);
    free(s->top_score);
    memset(s, 0, sizeof *s);
}
