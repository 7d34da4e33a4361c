/* Content-based: products like the ones a user bought, by category and price
 * tier (quantile of price within the category), popular ones first. Reaches
 * products nobody bought yet, which collaborative filtering never can. */
#include <stdlib.h>
#include <string.h>

#include "engine/content.h"

#include "engine/popularity.h"
#include "engine/reclist.h"

#define CONTENT_SCAN_MAX 500 /* products scanned per category: bounds latency */
#define CONTENT_SEEDS    5   /* most recent owned products used as seeds */

static float content_score(const struct model *m, int32_t seed, int32_t item)
{
    int d = (int)m->pop.tier[seed] - (int)m->pop.tier[item];
    if (d < 0)
        d = -d;
    return (1.0f + m->pop.count_all[item]) / (1.0f + (float)d);
}

/* Scores the items of seed's category into b. */
static int add_category(const struct model *m, int32_t seed, struct cand_buf *b)
{
    int32_t c = m->ctx.item_cat[seed];
    int64_t a = m->pop.cat_ptr[c], e = m->pop.cat_ptr[c + 1];
    if (e - a > CONTENT_SCAN_MAX)
        e = a + CONTENT_SCAN_MAX;
    for (int64_t k = a; k < e; k++) {
        int32_t it = m->pop.cat_list[k];
        if (it != seed && cand_add(b, it, content_score(m, seed, it)) < 0)
            return -1;
    }
    return 0;
}

int content_similar(const struct model *m, int32_t item, int n, struct scored *out)
{
    struct cand_buf b = {0};
    int got = 0;
    if (item < 0 || item >= m->ctx.items.n || add_category(m, item, &b) < 0)
        goto out;
    cand_rank(&b);
    for (size_t i = 0; i < b.n && got < n; i++) {
        const struct cand *c = cand_at(&b, i);
        out[got++] = (struct scored){c->item, c->score, "content"};
    }
out:
    cand_free(&b);
    return got;
}

/* Content candidates for q->user into b, from up to CONTENT_SEEDS of the
 * user's products (highest index of purchase count first). */
int content_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                   struct rec_list *explain)
{
    b->n = 0;
    int32_t u = q->user;
    if (u < 0 || u >= m->ui.n_rows)
        return 0;
    int seeds = 0;
    for (int64_t p = m->ui.ptr[u]; p < m->ui.ptr[u + 1] && seeds < CONTENT_SEEDS; p++, seeds++)
        if (add_category(m, m->ui.idx[p], b) < 0)
            return -1;
    if (q->explain && explain && seeds) {
        reclist_explain(explain, "content: same category and price tier as");
        for (int64_t p = m->ui.ptr[u]; p < m->ui.ptr[u + 1] && p < m->ui.ptr[u] + 3; p++)
            reclist_explain(explain, " %s", m->ctx.cats[m->ctx.item_cat[m->ui.idx[p]]]);
        reclist_explain(explain, "; ");
    }
    cand_rank(b);
    return 0;
}

static int content_fit(struct model *m, char *err, size_t errlen)
{
    (void)m, (void)err, (void)errlen;
    return 0; /* categories, tiers and category rankings are popularity tables */
}

static void content_recommend(const struct model *m, const struct rec_query *q,
                              struct rec_list *out)
{
    struct cand_buf b = {0};
    if (content_scores(m, q, &b, out) == 0)
        for (size_t i = 0; i < b.n && out->n < q->n; i++) {
            const struct cand *c = cand_at(&b, i);
            reclist_push(m, q, out, c->item, c->score, "content");
        }
    cand_free(&b);
    popularity_fill(m, q, out, 0);
}

static void content_save(const struct model *m, struct blob_writer *w)
{
    (void)m, (void)w;
}
static int content_load(struct model *m, struct blob_reader *r, char *err, size_t errlen)
{
    (void)m, (void)r, (void)err, (void)errlen;
    return 0;
}

const struct algo_ops algo_content = {"content", content_fit, content_recommend, content_save,
                                      content_load};
