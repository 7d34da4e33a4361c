/* Item-item cosine kNN: for every product its top-k most similar products
 * (cosine of the binary buyer vectors); a user's score for a product is the
 * sum of its similarities to the products the user bought.
 *
 * Cost control as in usercf.c: co-counts for product i come from at most
 * max_postings of its buyers (evenly spaced), and from at most
 * ICF_MAX_USER_ITEMS products of each buyer, so a product's work is bounded
 * by a constant and the fit is linear in the number of products and
 * interactions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/itemcf.h"

#include "engine/knn.h"
#include "engine/popularity.h"
#include "engine/reclist.h"
#include "util/error.h"

#define ICF_MAX_USER_ITEMS 100

int itemcf_fit_knn(const struct csr *ui, const struct csr *iu, int k, int max_postings,
                   struct knn *out, char *err, size_t errlen)
{
    int32_t ni = iu->n_rows;
    float *acc = calloc((size_t)ni + 1, sizeof *acc);
    int32_t *touched = malloc(((size_t)ni + 1) * sizeof *touched);
    struct cand_buf b = {0};
    int64_t cap = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    out->n_rows = ni;
    out->ptr = calloc((size_t)ni + 1, sizeof *out->ptr);
    if (!acc || !touched || !out->ptr)
        goto out;
    if (max_postings < 1)
        max_postings = 1;
    for (int32_t i = 0; i < ni; i++) {
        int32_t nt = 0;
        int64_t s = iu->ptr[i], len = iu->ptr[i + 1] - s;
        int64_t take = len < max_postings ? len : max_postings;
        for (int64_t j = 0; j < take; j++) {
            int32_t u = iu->idx[s + (take == len ? j : j * len / take)];
            int64_t a = ui->ptr[u], e = ui->ptr[u + 1];
            if (e - a > ICF_MAX_USER_ITEMS)
                e = a + ICF_MAX_USER_ITEMS;
            for (int64_t p = a; p < e; p++) {
                int32_t it = ui->idx[p];
                if (it == i)
                    continue;
                if (acc[it] == 0)
                    touched[nt++] = it;
                acc[it] += 1.0f;
            }
        }
        b.n = 0;
        for (int32_t t = 0; t < nt; t++) {
            int32_t it = touched[t];
            double cos = acc[it] / sqrt((double)len * (double)(iu->ptr[it + 1] - iu->ptr[it]));
            acc[it] = 0;
            if (cand_add(&b, it, (float)cos) < 0)
                goto out;
        }
        cand_rank(&b); /* only the best k are kept: rank those */
        if (b.n && k > 0)
            cand_at(&b, ((size_t)k < b.n ? (size_t)k : b.n) - 1);
        if (knn_append_row(out, i, &b, k, &cap) < 0)
            goto out;
    }
    rc = 0;
out:
    free(acc);
    free(touched);
    cand_free(&b);
    if (rc < 0) {
        knn_free(out);
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory computing product neighbours");
    }
    return rc;
}

static int icf_fit(struct model *m, char *err, size_t errlen)
{
    return itemcf_fit_knn(&m->ui, &m->iu, m->params.item_neighbours, m->params.max_postings,
                          &m->icf, err, errlen);
}

int itemcf_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                  struct rec_list *explain)
{
    int32_t u = q->user;
    b->n = 0;
    if (u < 0 || u >= m->ui.n_rows || !m->icf.ptr)
        return 0;
    for (int64_t p = m->ui.ptr[u]; p < m->ui.ptr[u + 1]; p++) {
        int32_t i = m->ui.idx[p];
        for (int64_t k = m->icf.ptr[i]; k < m->icf.ptr[i + 1]; k++)
            if (cand_add(b, m->icf.idx[k], m->icf.sim[k]) < 0)
                return -1;
    }
    if (q->explain && explain && b->n) {
        reclist_explain(explain, "itemcf: similar to");
        for (int64_t p = m->ui.ptr[u]; p < m->ui.ptr[u + 1] && p < m->ui.ptr[u] + 3; p++)
            reclist_explain(explain, " %.8s", m->ctx.items.ids[m->ui.idx[p]]);
        reclist_explain(explain, "; ");
    }
    cand_rank(b);
    return 0;
}

static void icf_recommend(const struct model *m, const struct rec_query *q, struct rec_list *out)
{
    struct cand_buf b = {0};
    if (itemcf_scores(m, q, &b, out) == 0)
        for (size_t i = 0; i < b.n && out->n < q->n; i++) {
            const struct cand *c = cand_at(&b, i);
            reclist_push(m, q, out, c->item, c->score, "itemcf");
        }
    cand_free(&b);
    popularity_fill(m, q, out, 0);
}

static void icf_save(const struct model *m, struct blob_writer *w)
{
    knn_save(&m->icf, w);
}
static int icf_load(struct model *m, struct blob_reader *r, char *err, size_t errlen)
{
    if (knn_load(&m->icf, m->ctx.items.n, m->ctx.items.n, r) < 0)
        return err_code_set(err, errlen, ERR_CORRUPT,
                            "the item-item neighbour lists are corrupted");
    return 0;
}

const struct algo_ops algo_itemcf = {"itemcf", icf_fit, icf_recommend, icf_save, icf_load};
