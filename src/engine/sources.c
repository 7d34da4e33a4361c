/* Extra candidate sources (see sources.h). */
#include "engine/sources.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

struct pair {
    int32_t a, b;
};

static int cmp_pair(const void *x, const void *y)
{
    const struct pair *p = x, *q = y;
    if (p->a != q->a)
        return (p->a > q->a) - (p->a < q->a);
    return (p->b > q->b) - (p->b < q->b);
}

static int cmp_cand_desc(const void *x, const void *y)
{
    const struct cand *p = x, *q = y;
    if (p->score != q->score)
        return p->score < q->score ? 1 : -1;
    return (p->item > q->item) - (p->item < q->item);
}

int sources_fit(struct sources *s, const struct dataset *ds, int32_t cutoff_day, char *err,
                size_t errlen)
{
    struct pair *pairs = NULL;
    size_t n = 0, cap = 0;
    int32_t basket[SOURCES_BASKET_MAX];
    struct cand top[1024];
    memset(s, 0, sizeof *s);
    int64_t end = 0;
    while (end < ds->n_events && ds->events[end].day < cutoff_day)
        end++;
    /* events are sorted by day, user, item: a basket is a run of one (day, user) */
    for (int64_t k = 0; k < end;) {
        int64_t j = k;
        int nb = 0, big = 0;
        for (; j < end && ds->events[j].day == ds->events[k].day &&
               ds->events[j].user == ds->events[k].user;
             j++) {
            int32_t it = ds->events[j].item;
            if (nb && basket[nb - 1] == it)
                continue;
            if (nb == SOURCES_BASKET_MAX)
                big = 1;
            else
                basket[nb++] = it;
        }
        k = j;
        for (int x = 0; !big && x < nb; x++)
            for (int y = 0; y < nb; y++) {
                if (x == y)
                    continue;
                if (mem_grow((void **)&pairs, sizeof *pairs, n + 1, &cap, (size_t)1 << 31) < 0)
                    goto nomem;
                pairs[n++] = (struct pair){basket[x], basket[y]};
            }
    }
    if (n)
        qsort(pairs, n, sizeof *pairs, cmp_pair);
    s->n_items = ds->items.n;
    s->co_ptr = calloc((size_t)s->n_items + 1, sizeof *s->co_ptr);
    size_t kept_cap = n < (size_t)s->n_items * SOURCES_CO_K ? n : (size_t)s->n_items * SOURCES_CO_K;
    s->co_idx = malloc((kept_cap + 1) * sizeof *s->co_idx);
    s->co_score = malloc((kept_cap + 1) * sizeof *s->co_score);
    if (!s->co_ptr || !s->co_idx || !s->co_score)
        goto nomem;
    int64_t w = 0;
    for (size_t k = 0; k < n;) {
        int32_t a = pairs[k].a;
        int nt = 0;
        while (k < n && pairs[k].a == a) {
            size_t j = k;
            while (j < n && pairs[j].a == a && pairs[j].b == pairs[k].b)
                j++;
            if (nt < (int)(sizeof top / sizeof *top))
                top[nt++] = (struct cand){pairs[k].b, (float)(j - k)};
            k = j;
        }
        qsort(top, (size_t)nt, sizeof *top, cmp_cand_desc);
        for (int t = 0; t < nt && t < SOURCES_CO_K; t++) {
            s->co_idx[w] = top[t].item;
            s->co_score[w++] = top[t].score / top[0].score;
        }
        s->co_ptr[a + 1] = w;
    }
    for (int32_t i = 0; i < s->n_items; i++) /* items without pairs: empty rows */
        if (s->co_ptr[i + 1] < s->co_ptr[i])
            s->co_ptr[i + 1] = s->co_ptr[i];
    free(pairs);
    if (sources_seller_fit(&s->seller, ds, cutoff_day, err, errlen) < 0) {
        sources_free(s);
        return ERR_NOMEM;
    }
    return 0;
nomem:
    free(pairs);
    sources_free(s);
    return err_code_set(err, errlen, ERR_NOMEM, "out of memory fitting co-purchases");
}

int sources_copurchase(const struct sources *s, const int32_t *owned, int64_t n, struct cand_buf *b)
{
    for (int64_t k = 0; s->co_ptr && k < n; k++) {
        int32_t i = owned[k];
        if (i < 0 || i >= s->n_items)
            continue;
        for (int64_t j = s->co_ptr[i]; j < s->co_ptr[i + 1]; j++)
            if (cand_add(b, s->co_idx[j], s->co_score[j]) < 0)
                return -1;
    }
    return 0;
}

void sources_save(const struct sources *s, struct blob_writer *w)
{
    int64_t zero = 0;
    int64_t nnz = s->co_ptr ? s->co_ptr[s->n_items] : 0;
    bw_array(w, s->co_ptr ? (const void *)s->co_ptr : &zero, 8,
             s->co_ptr ? (int64_t)s->n_items + 1 : 0);
    bw_array(w, s->co_ptr ? (const void *)s->co_idx : &zero, 4, nnz);
    bw_array(w, s->co_ptr ? (const void *)s->co_score : &zero, 4, nnz);
}

int sources_load(struct sources *s, int32_t n_items, struct blob_reader *r)
{
    int64_t np = 0, ni = 0, ns = 0;
    memset(s, 0, sizeof *s);
    s->co_ptr = br_array(r, 8, -1, (int64_t)n_items + 1, &np);
    s->co_idx = br_array(r, 4, -1, (int64_t)n_items * SOURCES_CO_K, &ni);
    s->co_score = br_array(r, 4, -1, (int64_t)n_items * SOURCES_CO_K, &ns);
    int ok = !r->failed && ni == ns && (np == 0 ? ni == 0 : np == (int64_t)n_items + 1);
    for (int64_t i = 0; ok && np && i < n_items; i++)
        ok = s->co_ptr[0] == 0 && s->co_ptr[i + 1] >= s->co_ptr[i] &&
             s->co_ptr[i + 1] - s->co_ptr[i] <= SOURCES_CO_K;
    ok = ok && (!np || s->co_ptr[n_items] == ni);
    for (int64_t k = 0; ok && k < ni; k++)
        ok = s->co_idx[k] >= 0 && s->co_idx[k] < n_items && s->co_score[k] >= 0 &&
             s->co_score[k] <= 1;
    if (!ok || !np) {
        sources_free(s);
        return ok ? 0 : -1;
    }
    s->n_items = n_items;
    return 0;
}

void sources_free(struct sources *s)
{
    free(s->co_ptr);
    free(s->co_idx);
    free(s->co_score);
    sources_seller_free(&s->seller);
    memset(s, 0, sizeof *s);
}
