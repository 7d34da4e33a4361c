/* Popularity: global and contextual (customer state, category), counted over
 * a recency window before the training cutoff. The baseline every other
 * algorithm is measured against, the cold-start answer and the fallback. */
#include <stdlib.h>
#include <string.h>

#include "engine/popularity.h"

#include "engine/algo.h"
#include "util/error.h"

#define POP_GLOBAL_MAX 1000
#define POP_STATE_MAX  200

void popularity_free(struct popularity *p)
{
    free(p->score);
    free(p->count_all);
    free(p->global);
    free(p->blend_score);
    free(p->blend);
    free(p->state_ptr);
    free(p->state_list);
    free(p->state_score);
    free(p->cat_ptr);
    free(p->cat_list);
    free(p->tier);
    int32_t cut = p->cutoff_day;
    memset(p, 0, sizeof *p);
    p->cutoff_day = cut;
}

/* qsort has no context argument: rank with a key array sorted alongside. */
struct keyed {
    float k1, k2;
    int32_t item;
};
static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->k1 != y->k1)
        return x->k1 > y->k1 ? -1 : 1;
    if (x->k2 != y->k2)
        return x->k2 > y->k2 ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static int keyed_before(const struct keyed *a, const struct keyed *b)
{
    return cmp_keyed(a, b) < 0;
}

static void keyed_sift(struct keyed *h, size_t n, size_t i)
{
    for (;;) { /* the last in rank order at the root */
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && keyed_before(&h[w], &h[l]))
            w = l;
        if (r < n && keyed_before(&h[w], &h[r]))
            w = r;
        if (w == i)
            return;
        struct keyed t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

/* The first k of t[0..n) in cmp_keyed order into t[0..k), sorted, through a
 * bounded heap: the rankings keep 200 or 1000 entries of tens of thousands,
 * and sorting them all was most of the popularity fit. Returns the count. */
static size_t keyed_top(struct keyed *t, size_t n, size_t k)
{
    size_t m = n < k ? n : k;
    if (m == 0)
        return 0;
    for (size_t i = m / 2; i-- > 0;)
        keyed_sift(t, m, i);
    for (size_t i = m; i < n; i++)
        if (keyed_before(&t[i], &t[0])) {
            t[0] = t[i];
            keyed_sift(t, m, 0);
        }
    for (size_t end = m - 1; end > 0; end--) {
        struct keyed x = t[0];
        t[0] = t[end];
        t[end] = x;
        keyed_sift(t, end, 0);
    }
    return m;
}

static int fit_states(struct model *m, const struct dataset *full, struct keyed *tmp)
{
    struct popularity *p = &m->pop;
    int ns = m->ctx.n_states;
    int32_t from = p->cutoff_day - m->params.state_window;
    int64_t n = 0;
    for (int64_t k = 0; k < full->n_events && full->events[k].day < p->cutoff_day; k++)
        if (full->user_state[full->events[k].user] >= 0)
            n++;
    int32_t *r = malloc((size_t)(n ? n : 1) * sizeof *r), *c = malloc((size_t)(n ? n : 1) * 4);
    int32_t *rw = malloc((size_t)(n ? n : 1) * sizeof *rw), *cw = malloc((size_t)(n ? n : 1) * 4);
    struct csr all = {0}, win = {0};
    int rc = -1;
    if (!r || !c || !rw || !cw)
        goto out;
    int64_t a = 0, w = 0;
    for (int64_t k = 0; k < full->n_events && full->events[k].day < p->cutoff_day; k++) {
        const struct event *e = &full->events[k];
        int s = full->user_state[e->user];
        if (s < 0)
            continue;
        r[a] = s, c[a++] = e->item;
        if (e->day >= from)
            rw[w] = s, cw[w++] = e->item;
    }
    if (csr_from_pairs(ns, m->ctx.items.n, a, r, c, &all, NULL, 0) < 0 ||
        csr_from_pairs(ns, m->ctx.items.n, w, rw, cw, &win, NULL, 0) < 0)
        goto out;
    p->state_ptr = calloc((size_t)ns + 1, sizeof *p->state_ptr);
    p->state_list = malloc((size_t)ns * POP_STATE_MAX * sizeof *p->state_list + 4);
    p->state_score = malloc((size_t)ns * POP_STATE_MAX * sizeof *p->state_score + 4);
    if (!p->state_ptr || !p->state_list || !p->state_score)
        goto out;
    int64_t o = 0;
    for (int s = 0; s < ns; s++) {
        int64_t nk = 0, j = win.ptr[s];
        for (int64_t k = all.ptr[s]; k < all.ptr[s + 1]; k++) {
            float wc = 0;
            while (j < win.ptr[s + 1] && win.idx[j] < all.idx[k])
                j++;
            if (j < win.ptr[s + 1] && win.idx[j] == all.idx[k])
                wc = win.val[j];
            tmp[nk++] = (struct keyed){wc, all.val[k], all.idx[k]};
        }
        nk = (int64_t)keyed_top(tmp, (size_t)nk, POP_STATE_MAX);
        for (int64_t k = 0; k < nk; k++) {
            p->state_list[o] = tmp[k].item;
            p->state_score[o++] = tmp[k].k1 + tmp[k].k2 / 1000.0f;
        }
        p->state_ptr[s + 1] = o;
    }
    rc = 0;
out:
    free(r), free(c), free(rw), free(cw);
    csr_free(&all);
    csr_free(&win);
    return rc;
}

int popularity_fit_tables(struct model *m, const struct dataset *full, char *err, size_t errlen)
{
    struct popularity *p = &m->pop;
    int32_t ni = m->ctx.items.n, nc = m->ctx.n_cats;
    int32_t from = p->cutoff_day - m->params.window_days;
    int32_t from_long = p->cutoff_day - m->params.long_window;
    float *win = calloc((size_t)ni + 1, sizeof *win);
    float *wlong = calloc((size_t)ni + 1, sizeof *wlong);
    p->blend_score = calloc((size_t)ni + 1, sizeof *p->blend_score);
    p->blend = malloc(POP_GLOBAL_MAX * sizeof *p->blend);
    struct keyed *tmp = malloc(((size_t)ni + 1) * sizeof *tmp);
    p->score = calloc((size_t)ni + 1, sizeof *p->score);
    p->count_all = calloc((size_t)ni + 1, sizeof *p->count_all);
    p->global = malloc(POP_GLOBAL_MAX * sizeof *p->global);
    p->cat_ptr = calloc((size_t)nc + 1, sizeof *p->cat_ptr);
    p->cat_list = malloc(((size_t)ni + 1) * sizeof *p->cat_list);
    p->tier = calloc((size_t)ni + 1, 1);
    if (!win || !wlong || !p->blend_score || !p->blend || !tmp || !p->score || !p->count_all ||
        !p->global || !p->cat_ptr || !p->cat_list || !p->tier)
        goto oom;
    float maxall = 0;
    for (int64_t k = 0; k < full->n_events && full->events[k].day < p->cutoff_day; k++) {
        const struct event *e = &full->events[k];
        p->count_all[e->item] += 1;
        if (e->day >= from)
            win[e->item] += 1;
        if (e->day >= from_long)
            wlong[e->item] += 1;
    }
    for (int32_t i = 0; i < ni; i++)
        if (p->count_all[i] > maxall)
            maxall = p->count_all[i];
    int32_t n = 0;
    for (int32_t i = 0; i < ni; i++) {
        p->score[i] = win[i] + p->count_all[i] / (maxall + 1);
        if (p->count_all[i] > 0)
            tmp[n++] = (struct keyed){win[i], p->count_all[i], i};
    }
    p->n_global = (int32_t)keyed_top(tmp, (size_t)n, POP_GLOBAL_MAX);
    for (int32_t k = 0; k < p->n_global; k++)
        p->global[k] = tmp[k].item;
    /* Smoothed recency: the short window plus the longer one at equal
     * density. Chosen on validation cutoffs before 2018 (see README). */
    double lw =
        m->params.long_window > 0 ? (double)m->params.window_days / m->params.long_window : 0;
    n = 0;
    for (int32_t i = 0; i < ni; i++) {
        p->blend_score[i] = (float)(win[i] + lw * wlong[i]);
        if (p->count_all[i] > 0)
            tmp[n++] = (struct keyed){p->blend_score[i], p->count_all[i], i};
    }
    p->n_blend = (int32_t)keyed_top(tmp, (size_t)n, POP_GLOBAL_MAX);
    for (int32_t k = 0; k < p->n_blend; k++)
        p->blend[k] = tmp[k].item;

    /* per category: every item, by all-time purchases; then price tiers */
    for (int32_t i = 0; i < ni; i++)
        p->cat_ptr[m->ctx.item_cat[i] + 1]++;
    for (int32_t c = 0; c < nc; c++)
        p->cat_ptr[c + 1] += p->cat_ptr[c];
    int tiers = m->params.price_tiers < 1 ? 1 : m->params.price_tiers;
    /* items bucketed by category once (cat_list as scratch), not one scan of
     * the catalogue per category */
    int64_t *cur = malloc(((size_t)nc + 1) * sizeof *cur);
    if (!cur)
        goto oom;
    memcpy(cur, p->cat_ptr, ((size_t)nc + 1) * sizeof *cur);
    for (int32_t i = 0; i < ni; i++)
        p->cat_list[cur[m->ctx.item_cat[i]]++] = i;
    free(cur);
    for (int32_t c = 0; c < nc; c++) {
        int32_t k = 0, known = 0;
        for (int64_t q = p->cat_ptr[c]; q < p->cat_ptr[c + 1]; q++) {
            int32_t i = p->cat_list[q];
            tmp[k++] = (struct keyed){m->ctx.item_price[i], 0, i};
        }
        /* price tiers: rank by price within the category, unknown price in the middle */
        qsort(tmp, (size_t)k, sizeof *tmp, cmp_keyed);
        for (int32_t j = 0; j < k; j++)
            if (tmp[j].k1 >= 0)
                known++;
        for (int32_t j = 0; j < k; j++)
            p->tier[tmp[j].item] =
                (uint8_t)(tmp[j].k1 >= 0 ? (tiers - 1) - (int)((int64_t)j * tiers / known)
                                         : tiers / 2);
        for (int32_t j = 0; j < k; j++)
            tmp[j] = (struct keyed){p->count_all[tmp[j].item], win[tmp[j].item], tmp[j].item};
        qsort(tmp, (size_t)k, sizeof *tmp, cmp_keyed);
        for (int32_t j = 0; j < k; j++)
            p->cat_list[p->cat_ptr[c] + j] = tmp[j].item;
    }
    if (fit_states(m, full, tmp) < 0)
        goto oom;
    free(wlong);
    free(win);
    free(tmp);
    return 0;
oom:
    free(wlong);
    free(win);
    free(tmp);
    popularity_free(p);
    return err_code_set(err, errlen, ERR_NOMEM, "out of memory computing popularity");
}

void popularity_fill(const struct model *m, const struct rec_query *q, struct rec_list *out,
                     int use_state)
{
    const struct popularity *p = &m->pop;
    if (use_state && q->state >= 0 && q->state < m->ctx.n_states && p->state_ptr)
        for (int64_t k = p->state_ptr[q->state]; k < p->state_ptr[q->state + 1] && out->n < q->n;
             k++)
            reclist_push(m, q, out, p->state_list[k], p->state_score[k], "popularity:state");
    for (int32_t k = 0; k < p->n_global && out->n < q->n; k++)
        reclist_push(m, q, out, p->global[k], p->score[p->global[k]], "popularity:global");
    /* a tiny catalogue or a user who owns the whole top list */
    for (int32_t i = 0; i < m->ctx.items.n && out->n < q->n; i++)
        reclist_push(m, q, out, i, p->score[i], "popularity:global");
}

static int pop_fit(struct model *m, char *err, size_t errlen)
{
    (void)m, (void)err, (void)errlen;
    return 0; /* the tables are fitted for every model */
}

static void pop_recommend(const struct model *m, const struct rec_query *q, struct rec_list *out)
{
    if (q->explain)
        reclist_explain(out, "most purchased in the %d days before %s; ", m->params.window_days,
                        "the training cutoff");
    popularity_fill(m, q, out, 0);
}

void popularity_save(const struct popularity *p, int n_items, int n_states, int n_cats,
                     struct blob_writer *w)
{
    bw_i64(w, p->cutoff_day);
    bw_array(w, p->score, sizeof *p->score, n_items);
    bw_array(w, p->count_all, sizeof *p->count_all, n_items);
    bw_array(w, p->global, sizeof *p->global, p->n_global);
    bw_array(w, p->blend_score, sizeof *p->blend_score, n_items);
    bw_array(w, p->blend, sizeof *p->blend, p->n_blend);
    bw_array(w, p->state_ptr, sizeof *p->state_ptr, (int64_t)n_states + 1);
    bw_array(w, p->state_list, sizeof *p->state_list, p->state_ptr[n_states]);
    bw_array(w, p->state_score, sizeof *p->state_score, p->state_ptr[n_states]);
    bw_array(w, p->cat_ptr, sizeof *p->cat_ptr, (int64_t)n_cats + 1);
    bw_array(w, p->cat_list, sizeof *p->cat_list, n_items);
    bw_array(w, p->tier, 1, n_items);
}

/* Checks every index so a corrupted blob with a valid length cannot make
 * recommend() read out of bounds. */
static int check_index(const int32_t *a, int64_t n, int32_t limit)
{
    for (int64_t k = 0; k < n; k++)
        if (a[k] < 0 || a[k] >= limit)
            return -1;
    return 0;
}
static int check_ptr(const int64_t *ptr, int64_t rows, int64_t nnz)
{
    if (ptr[0] != 0 || ptr[rows] != nnz)
        return -1;
    for (int64_t k = 0; k < rows; k++)
        if (ptr[k + 1] < ptr[k])
            return -1;
    return 0;
}

int popularity_load(struct popularity *p, int n_items, int n_states, int n_cats,
                    struct blob_reader *r)
{
    int64_t n;
    p->cutoff_day = (int32_t)br_i64(r);
    p->score = br_array(r, 4, n_items, 0, NULL);
    p->count_all = br_array(r, 4, n_items, 0, NULL);
    p->global = br_array(r, 4, -1, n_items, &n);
    p->n_global = (int32_t)n;
    int64_t nb;
    p->blend_score = br_array(r, 4, n_items, 0, NULL);
    p->blend = br_array(r, 4, -1, n_items, &nb);
    p->n_blend = (int32_t)nb;
    p->state_ptr = br_array(r, 8, (int64_t)n_states + 1, 0, NULL);
    int64_t ns = p->state_ptr ? p->state_ptr[n_states] : 0;
    p->state_list = br_array(r, 4, ns, 0, NULL);
    p->state_score = br_array(r, 4, ns, 0, NULL);
    p->cat_ptr = br_array(r, 8, (int64_t)n_cats + 1, 0, NULL);
    p->cat_list = br_array(r, 4, n_items, 0, NULL);
    p->tier = br_array(r, 1, n_items, 0, NULL);
    if (r->failed || !p->score || !p->count_all || !p->state_ptr || !p->cat_ptr || !p->cat_list ||
        !p->tier || (n && !p->global) || (ns && (!p->state_list || !p->state_score)) ||
        !p->blend_score || (nb && !p->blend) || check_index(p->global, p->n_global, n_items) < 0 ||
        check_index(p->blend, p->n_blend, n_items) < 0 ||
        check_ptr(p->state_ptr, n_states, ns) < 0 || check_index(p->state_list, ns, n_items) < 0 ||
        check_ptr(p->cat_ptr, n_cats, n_items) < 0 ||
        check_index(p->cat_list, n_items, n_items) < 0)
        return ERR_CORRUPT;
    return 0;
}

static void pop_save(const struct model *m, struct blob_writer *w)
{
    (void)m, (void)w;
}
static int pop_load(struct model *m, struct blob_reader *r, char *err, size_t errlen)
{
    (void)m, (void)r, (void)err, (void)errlen;
    return 0;
}

const struct algo_ops algo_popularity = {"popularity", pop_fit, pop_recommend, pop_save, pop_load};
