/* Helpers shared by every algorithm: parameters, the registry, exclusion of
 * owned items, candidate accumulation, model preparation and release. */
#include "engine/algo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/error.h"

void algo_params_default(struct algo_params *p)
{
    *p = (struct algo_params){.window_days = 30,
                              .state_window = 90,
                              .long_window = 90,
                              .neighbours = 50,
                              .threshold = 0.3,
                              .max_postings = 200,
                              .item_neighbours = 50,
                              .factors = 32,
                              .reg = 0.1,
                              .alpha = 40.0,
                              .iterations = 10,
                              .cg_steps = 3,
                              .seed = 42,
                              .price_tiers = 5,
                              .state_weight = 0.0};
}

const char *const algo_names[] = {"popularity", "usercf", "itemcf", "als",
                                  "content",    "hybrid", NULL};

const struct algo_ops *algo_find(const char *name)
{
    static const struct algo_ops *const all[] = {&algo_popularity, &algo_usercf,  &algo_itemcf,
                                                 &algo_als,        &algo_content, &algo_hybrid};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(all[i]->name, name))
            return all[i];
    return NULL;
}

void knn_free(struct knn *k)
{
    free(k->ptr);
    free(k->idx);
    free(k->sim);
    memset(k, 0, sizeof *k);
}

int model_owns(const struct model *m, int32_t user, int32_t item)
{
    if (user < 0 || user >= m->ui.n_rows)
        return 0;
    int64_t lo = m->ui.ptr[user], hi = m->ui.ptr[user + 1] - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (m->ui.idx[mid] == item)
            return 1;
        if (m->ui.idx[mid] < item)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

int rl_allowed(const struct model *m, const struct rec_query *q, const struct rec_list *out,
               int32_t item)
{
    if (item < 0 || item >= m->ctx.items.n)
        return 0;
    for (int i = 0; i < out->n; i++)
        if (out->items[i].item == item)
            return 0;
    return q->allow_repurchase || !model_owns(m, q->user, item);
}

int rl_push(const struct model *m, const struct rec_query *q, struct rec_list *out, int32_t item,
            float score, const char *source)
{
    if (out->n >= q->n || out->n >= REC_MAX_ITEMS || !rl_allowed(m, q, out, item))
        return 0;
    out->items[out->n++] = (struct scored){item, score, source};
    return 1;
}

void rl_explain(struct rec_list *out, const char *fmt, ...)
{
    size_t used = strlen(out->explain);
    if (used + 1 >= sizeof out->explain)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->explain + used, sizeof out->explain - used, fmt, ap);
    va_end(ap);
}

int cand_add(struct cand_buf *b, int32_t item, float score)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        void *p = realloc(b->c, cap * sizeof *b->c);
        if (!p)
            return -1;
        b->c = p;
        b->cap = cap;
    }
    b->c[b->n++] = (struct cand){item, score};
    return 0;
}

static int cmp_cand_item(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    return (x->item > y->item) - (x->item < y->item);
}

static int cmp_cand_score(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

void cand_finish(struct cand_buf *b)
{
    if (!b->n)
        return;
    qsort(b->c, b->n, sizeof *b->c, cmp_cand_item);
    size_t w = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (w && b->c[w - 1].item == b->c[i].item)
            b->c[w - 1].score += b->c[i].score;
        else
            b->c[w++] = b->c[i];
    }
    b->n = w;
    qsort(b->c, b->n, sizeof *b->c, cmp_cand_score);
}

void cand_free(struct cand_buf *b)
{
    free(b->c);
    memset(b, 0, sizeof *b);
}

void model_free(struct model *m)
{
    if (!m)
        return;
    dataset_free(&m->ctx);
    csr_free(&m->ui);
    csr_free(&m->iu);
    popularity_free(&m->pop);
    knn_free(&m->ucf);
    knn_free(&m->icf);
    free(m->als_u);
    free(m->als_v);
    memset(m, 0, sizeof *m);
}
