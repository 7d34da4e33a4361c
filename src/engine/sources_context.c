/* Request context: filters and boosts (see sources_context.h). */
#include "engine/sources_context.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

/* Lowercases an id into out; -1 unless it is 32 hexadecimal characters. */
static int hex_id(const char *in, char out[DS_ID_LEN])
{
    struct ds_key k;
    size_t n = strnlen(in, DS_ID_LEN);
    if (n != DS_ID_LEN - 1)
        return -1;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    return dataset_id_key(out, &k);
}

int sources_context_resolve(const struct model *m, const struct rec_context *cx,
                            struct sources_context *out, char *err, size_t errlen)
{
    out->state = out->category = -1;
    out->n_exclude = 0;
    if (!cx || !cx->set)
        return 0;
    if (cx->state[0] && (out->state = dataset_state_index(&m->ctx, cx->state)) < 0)
        return err_code_set(err, errlen, ERR_INVALID,
                            "context.state: unknown state \"%.2s\" (two capital letters, as in "
                            "\"SP\", of a state with customers)",
                            cx->state);
    if (cx->category[0]) {
        for (int c = 0; c < m->ctx.n_cats && out->category < 0; c++)
            if (!strcmp(m->ctx.cats[c], cx->category))
                out->category = c;
        if (out->category < 0)
            return err_code_set(err, errlen, ERR_INVALID,
                                "context.category: unknown category \"%.63s\"", cx->category);
    }
    for (int k = 0; k < cx->n_exclude && k < REC_MAX_EXCLUDE; k++) {
        char id[DS_ID_LEN];
        if (hex_id(cx->exclude[k], id) < 0)
            return err_code_set(err, errlen, ERR_INVALID,
                                "context.exclude[%d] must be 32 hexadecimal characters", k);
        int32_t i = dataset_idmap_find(&m->ctx.items, id);
        if (i >= 0)
            out->exclude[out->n_exclude++] = i;
    }
    return 0;
}

int sources_context_filters(const struct sources_context *c)
{
    return c->category >= 0 || c->n_exclude > 0 || c->state >= 0;
}

/* 1 when item passes the category filter and is not excluded. */
static int passes(const struct model *m, const struct sources_context *c, int32_t item)
{
    if (c->category >= 0 && m->ctx.item_cat[item] != c->category)
        return 0;
    for (int k = 0; k < c->n_exclude; k++)
        if (c->exclude[k] == item)
            return 0;
    return 1;
}

static void push(const struct model *m, const struct rec_query *q, const struct sources_context *c,
                 struct rec_list *out, int32_t item, float score, const char *source)
{
    if (item >= 0 && item < m->ctx.items.n && passes(m, c, item))
        reclist_push(m, q, out, item, score, source);
}

void sources_context_apply(const struct model *m, const struct rec_query *q,
                           const struct sources_context *c, int known,
                           const struct rec_list *ranked, struct rec_list *out)
{
    const struct popularity *p = &m->pop;
    out->n = 0;
    if (c->state >= 0 && !known && p->state_ptr)
        for (int64_t k = p->state_ptr[c->state]; k < p->state_ptr[c->state + 1] && out->n < q->n;
             k++)
            push(m, q, c, out, p->state_list[k], p->state_score[k], "popularity:state");
    for (int i = 0; i < ranked->n && out->n < q->n; i++)
        push(m, q, c, out, ranked->items[i].item, ranked->items[i].score, ranked->items[i].source);
    if (c->category >= 0 && p->cat_ptr)
        for (int64_t k = p->cat_ptr[c->category]; k < p->cat_ptr[c->category + 1] && out->n < q->n;
             k++)
            push(m, q, c, out, p->cat_list[k], p->count_all[p->cat_list[k]], "popularity:category");
    for (int32_t k = 0; k < p->n_global && out->n < q->n; k++)
        push(m, q, c, out, p->global[k], p->score[p->global[k]], "popularity:global");
}
