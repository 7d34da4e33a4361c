/* The overlay applied to recommendations and profiles (see overlay.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/algo.h"
#include "engine/content.h"
#include "engine/overlay_rec.h"
#include "util/error.h"

#define OV_NEIGHBOURS 20 /* neighbours taken per recent purchase */

/* 1 when item is among the n overlay-owned items. */
static int ov_owned(const int32_t *owned, int n, int32_t item)
{
    for (int i = 0; i < n; i++)
        if (owned[i] == item)
            return 1;
    return 0;
}

static int cmp_scored(const void *a, const void *b)
{
    const struct scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

/* Neighbours of the owned items (item-item when fitted, else content),
 * similarities summed per item, best first, into cand; returns how many. */
static int ov_neighbours(const struct model *m, const int32_t *owned, int n_owned,
                         struct scored *cand, int max)
{
    int n = 0;
    for (int i = 0; i < n_owned; i++) {
        struct scored nb[OV_NEIGHBOURS];
        int got = 0;
        if (owned[i] < 0)
            continue;
        if (m->icf.ptr)
            for (int64_t k = m->icf.ptr[owned[i]];
                 k < m->icf.ptr[owned[i] + 1] && got < OV_NEIGHBOURS; k++)
                nb[got++] = (struct scored){m->icf.idx[k], m->icf.sim[k], "itemcf:recent"};
        if (got == 0) { /* no item-item neighbours fitted for it: similar by content */
            got = content_similar(m, owned[i], OV_NEIGHBOURS, nb);
            for (int k = 0; k < got; k++)
                nb[k].source = "content:recent";
        }
        for (int k = 0; k < got; k++) {
            int j = 0;
            while (j < n && cand[j].item != nb[k].item)
                j++;
            if (j < n)
                cand[j].score += nb[k].score;
            else if (n < max)
                cand[n++] = nb[k];
        }
    }
    qsort(cand, (size_t)n, sizeof *cand, cmp_scored);
    return n;
}

/* Appends item unless overlay-owned (and repurchase is not allowed). */
static void ov_push(const struct model *m, const struct rec_query *q, struct rec_list *out,
                    const int32_t *owned, int n_owned, int32_t item, float score,
                    const char *source)
{
    if (!q->allow_repurchase && ov_owned(owned, n_owned, item))
        return;
    reclist_push(m, q, out, item, score, source);
}

/* Cold start: the real-time popular products lead the model's list. */
static void ov_cold(struct overlay *o, const struct model *m, const struct rec_query *q,
                    struct rec_list *out)
{
    struct overlay_hot hot[REC_MAX_ITEMS];
    int want = q->n / 4 > 1 ? q->n / 4 : 1;
    int n_hot = overlay_popular(o, (int64_t)time(NULL), 0.5, hot, want);
    if (!n_hot) {
        m->ops->recommend(m, q, out);
        return;
    }
    struct rec_list base;
    base.n = 0;
    base.explain[0] = 0;
    m->ops->recommend(m, q, &base);
    out->n = 0;
    memcpy(out->explain, base.explain, sizeof out->explain);
    for (int i = 0; i < n_hot; i++) {
        int32_t k = dataset_idmap_find(&m->ctx.items, hot[i].product_id);
        if (k >= 0)
            reclist_push(m, q, out, k, (float)hot[i].count, "popularity:realtime");
    }
    for (int i = 0; i < base.n; i++)
        reclist_push(m, q, out, base.items[i].item, base.items[i].score, base.items[i].source);
}

void overlay_recommend(struct overlay *o, const struct model *m, const struct rec_query *q,
                       const char *user_id, struct rec_list *out, int *known)
{
    struct overlay_purchase pur[OVERLAY_USER_ITEMS];
    int n = overlay_user(o, user_id, pur, OVERLAY_USER_ITEMS);
    if (n == 0) {
        if (*known)
            m->ops->recommend(m, q, out);
        else
            ov_cold(o, m, q, out);
        return;
    }
    *known = 1;
    int32_t owned[OVERLAY_USER_ITEMS];
    int n_owned = 0;
    for (int i = n - 1; i >= 0; i--) { /* newest first: they weigh in first */
        int32_t k = dataset_idmap_find(&m->ctx.items, pur[i].product_id);
        if (k >= 0 && !ov_owned(owned, n_owned, k))
            owned[n_owned++] = k;
    }
    struct rec_query q2 = *q;
    q2.n = q->n + n_owned < REC_MAX_ITEMS ? q->n + n_owned : REC_MAX_ITEMS;
    struct rec_list base;
    base.n = 0;
    base.explain[0] = 0;
    m->ops->recommend(m, &q2, &base);
    out->n = 0;
    memcpy(out->explain, base.explain, sizeof out->explain);
    if (q->user < 0) { /* new to the model: what goes with what they just bought */
        struct scored cand[OVERLAY_USER_ITEMS * 4];
        int nc = ov_neighbours(m, owned, n_owned < 8 ? n_owned : 8, cand,
                               (int)(sizeof cand / sizeof cand[0]));
        for (int i = 0; i < nc && out->n < q->n; i++)
            ov_push(m, q, out, owned, n_owned, cand[i].item, cand[i].score, cand[i].source);
        if (q->explain && nc)
            reclist_explain(out, "%sbought just now: %s", out->explain[0] ? "; " : "",
                            pur[n - 1].product_id);
    }
    for (int i = 0; i < base.n && out->n < q->n; i++)
        ov_push(m, q, out, owned, n_owned, base.items[i].item, base.items[i].score,
                base.items[i].source);
}

/* "YYYY-MM-DD HH:MM:SS" of ts. */
static void ov_stamp(int64_t ts, char out[24])
{
    char s[20];
    feedback_ts_format(ts, s);
    memcpy(out, s, 20);
}

int overlay_user_profile(struct overlay *o, struct engine *e, const char *user,
                         struct user_profile *out, char *err, size_t errlen)
{
    struct overlay_purchase pur[OVERLAY_USER_ITEMS];
    int rc = engine_user_profile(e, user, out, err, errlen);
    if (overlay_empty(o) || (rc < 0 && rc != ERR_NOT_FOUND))
        return rc;
    int n = overlay_user(o, rc == 0 ? out->user_id : user, pur, OVERLAY_USER_ITEMS);
    if (n == 0)
        return rc;
    if (rc == ERR_NOT_FOUND) { /* only the overlay knows them */
        memset(out, 0, sizeof *out);
        for (int i = 0; i < REC_ID_LEN - 1 && user[i]; i++)
            out->user_id[i] = (char)(user[i] >= 'A' && user[i] <= 'F' ? user[i] + 32 : user[i]);
    }
    int keep = out->n_purchases;
    struct user_purchase *p = realloc(out->purchases, (size_t)(keep + n) * sizeof *p);
    if (!p) {
        engine_user_profile_free(out);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    }
    out->purchases = p;
    for (int i = 0; i < n; i++) {
        struct user_purchase *u = &p[out->n_purchases];
        char stamp[24];
        ov_stamp(pur[i].ts, stamp);
        int dup = 0, seen = 0;
        for (int k = 0; k < out->n_purchases; k++) {
            if (strcmp(p[k].product_id, pur[i].product_id))
                continue;
            seen = 1;
            dup |= k < keep && !strncmp(p[k].timestamp, stamp, 10); /* trained on it already */
        }
        if (dup)
            continue;
        memset(u, 0, sizeof *u);
        memcpy(u->product_id, pur[i].product_id, REC_ID_LEN);
        memcpy(u->timestamp, stamp, sizeof u->timestamp);
        if (!engine_product_known(e, u->product_id, u->category, sizeof u->category, &u->price))
            u->price = -1;
        out->n_purchases++;
        out->orders++;
        out->products += !seen;
        if (u->price > 0)
            out->monetary += u->price;
        if (!out->first_purchase[0])
            memcpy(out->first_purchase, stamp, sizeof out->first_purchase);
        if (strcmp(stamp, out->last_purchase) > 0) {
            memcpy(out->last_purchase, stamp, sizeof out->last_purchase);
            out->has_recency = 1;
            out->recency_days = 0; /* bought after the newest purchase on record */
        }
    }
    return 0;
}
