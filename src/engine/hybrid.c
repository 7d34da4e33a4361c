/* Hybrid, the default: collaborative filtering (user-user and item-item,
 * each normalised to [0,1] and summed) when the user has history, then
 * content (same category and price tier) to fill, then contextual popularity
 * (the customer's state, then global). With repurchase allowed, the items
 * the user owns get the learned repurchase boost (repurchase.h) added to
 * their score, source "repurchase"; the co-purchases of owned items
 * (sources.h) come next, source "copurchase", and the top products of the
 * sellers the user bought from at seller_weight (sources_seller.h), source
 * "seller". Every item keeps its source. */
#include <stdlib.h>
#include <string.h>

#include "engine/hybrid.h"

#include "engine/itemcf.h"
#include "engine/knn.h"
#include "engine/popularity.h"
#include "engine/reclist.h"
#include "engine/usercf.h"
#include "util/error.h"

static int hybrid_fit(struct model *m, char *err, size_t errlen)
{
    if (algo_usercf.fit(m, err, errlen) < 0 || algo_itemcf.fit(m, err, errlen) < 0)
        return -1;
    return 0;
}

/* Divides every score by the best (b ranked); b is a set afterwards: its
 * order is no longer ranked (the hybrid reads it as one). */
static void normalise(struct cand_buf *b)
{
    float top = b->n ? cand_at(b, 0)->score : 0;
    for (size_t i = 0; i < b->n && top > 0; i++)
        b->c[i].score /= top;
}

/* Contextual popularity: smoothed global popularity (normalised to the top item)
 * plus state_weight x the share of the item in the customer's state list
 * (normalised likewise). With weight 0 this is the global ranking. */
static void contextual_fill(const struct model *m, const struct rec_query *q, struct rec_list *out)
{
    const struct popularity *p = &m->pop;
    double w = m->params.state_weight;
    if (q->state < 0 || w <= 0 || !p->n_global)
        return;
    struct cand_buf b = {0};
    if (!p->n_blend)
        return;
    float gtop = p->blend_score[p->blend[0]] > 0 ? p->blend_score[p->blend[0]] : 1;
    int64_t s0 = p->state_ptr[q->state], s1 = p->state_ptr[q->state + 1];
    float stop = s1 > s0 ? p->state_score[s0] : 1;
    for (int32_t k = 0; k < p->n_blend && k < 200; k++)
        if (cand_add(&b, p->blend[k], p->blend_score[p->blend[k]] / gtop) < 0)
            goto out;
    for (int64_t k = s0; k < s1; k++)
        if (cand_add(&b, p->state_list[k], (float)(w * p->state_score[k] / stop)) < 0)
            goto out;
    cand_rank(&b);
    for (size_t i = 0; i < b.n && out->n < q->n; i++) {
        const struct cand *c = cand_at(&b, i);
        reclist_push(m, q, out, c->item, c->score, "popularity:state");
    }
out:
    cand_free(&b);
}

/* 1 when b holds item. */
static int in_buf(const struct cand_buf *b, int32_t item)
{
    for (size_t j = 0; j < b->n; j++)
        if (b->c[j].item == item)
            return 1;
    return 0;
}

/* item's score in b (merged by cand_rank), 0 when absent. */
static float buf_score(const struct cand_buf *b, int32_t item)
{
    for (size_t j = 0; j < b->n; j++)
        if (b->c[j].item == item)
            return b->c[j].score;
    return 0;
}

static void hybrid_recommend(const struct model *m, const struct rec_query *q, struct rec_list *out)
{
    struct cand_buf ub = {0}, ib = {0}, cb = {0}, sb = {0}, all = {0};
    if (q->user >= 0 && usercf_scores(m, q, &ub, out) == 0 && itemcf_scores(m, q, &ib, out) == 0) {
        normalise(&ub);
        normalise(&ib);
        /* merge: the item's source is the larger contribution */
        for (size_t i = 0; i < ub.n; i++)
            cand_add(&all, ub.c[i].item, ub.c[i].score);
        for (size_t i = 0; i < ib.n; i++)
            cand_add(&all, ib.c[i].item, (float)m->params.itemcf_weight * ib.c[i].score);
        /* co-purchases of the owned items, normalised like the others, weighed less: by
         * default (0.001) a tie-break level after the collaborative candidates and owned
         * items; `tune` chooses the weight on validation cutoffs */
        int64_t o0 = m->ui.ptr[q->user], o1 = m->ui.ptr[q->user + 1];
        if (sources_copurchase(&m->src, m->ui.idx + o0, o1 - o0, &cb) == 0) {
            cand_rank(&cb);
            normalise(&cb);
            for (size_t i = 0; i < cb.n; i++)
                cand_add(&all, cb.c[i].item, (float)m->params.copurchase_weight * cb.c[i].score);
        }
        /* top products of the sellers of the owned items, normalised, at seller_weight */
        float sw = (float)m->params.seller_weight;
        if (sw > 0 &&
            sources_seller_candidates(&m->src.seller, m->ui.idx + o0, o1 - o0, &sb) == 0) {
            cand_rank(&sb);
            normalise(&sb);
            for (size_t i = 0; i < sb.n; i++)
                cand_add(&all, sb.c[i].item, sw * sb.c[i].score);
        }
        /* global popularity as a weighed candidate (popularity_weight 0: it only fills) */
        float pw = (float)m->params.popularity_weight;
        float ptop = m->pop.n_blend ? m->pop.blend_score[m->pop.blend[0]] : 0;
        for (int32_t k = 0; pw > 0 && ptop > 0 && k < m->pop.n_blend && k < 2 * q->n; k++)
            cand_add(&all, m->pop.blend[k], pw * m->pop.blend_score[m->pop.blend[k]] / ptop);
        /* a model whose policy forbids owned items still boosts them at 1 when asked */
        float rw = m->params.repurchase_weight > 0 ? (float)m->params.repurchase_weight : 1;
        /* owned items: the learned repurchase boost on top of their score */
        for (int64_t k = m->ui.ptr[q->user]; q->allow_repurchase && k < m->ui.ptr[q->user + 1]; k++)
            cand_add(&all, m->ui.idx[k], rw * repurchase_boost(&m->rep, m->ui.idx[k]));
        cand_rank(&all);
        for (size_t i = 0; i < all.n && out->n < q->n; i++) {
            cand_at(&all, i);
            const char *src = "itemcf";
            if (q->allow_repurchase && reclist_owned(m, q->user, all.c[i].item))
                src = "repurchase";
            for (size_t j = 0; j < ub.n && src[0] != 'r'; j++)
                if (ub.c[j].item == all.c[i].item) {
                    src = "usercf";
                    break;
                }
            if (src[0] == 'i' && !in_buf(&ib, all.c[i].item))
                src = in_buf(&cb, all.c[i].item) ? "copurchase" : "popularity:global";
            if (src[0] != 'r' && src[0] != 'u' && !in_buf(&ib, all.c[i].item) &&
                sw * buf_score(&sb, all.c[i].item) >
                    (float)m->params.copurchase_weight * buf_score(&cb, all.c[i].item))
                src = "seller";
            reclist_push(m, q, out, all.c[i].item, all.c[i].score, src);
        }
    }
    cand_free(&ub);
    cand_free(&ib);
    cand_free(&cb);
    cand_free(&sb);
    cand_free(&all);
    contextual_fill(m, q, out);
    for (int32_t k = 0; k < m->pop.n_blend && out->n < q->n; k++)
        reclist_push(m, q, out, m->pop.blend[k], m->pop.blend_score[m->pop.blend[k]],
                     "popularity:global");
    popularity_fill(m, q, out, 0);
}

static void hybrid_save(const struct model *m, struct blob_writer *w)
{
    usercf_save_lists(&m->ucf, w);
    knn_save(&m->icf, w);
}

static int hybrid_load(struct model *m, struct blob_reader *r, char *err, size_t errlen)
{
    if (usercf_load_lists(&m->ucf, &m->ui, r) < 0 ||
        knn_load(&m->icf, m->ctx.items.n, m->ctx.items.n, r) < 0)
        return err_code_set(err, errlen, ERR_CORRUPT, "the hybrid neighbour lists are corrupted");
    return 0;
}

const struct algo_ops algo_hybrid = {"hybrid", hybrid_fit, hybrid_recommend, hybrid_save,
                                     hybrid_load};
