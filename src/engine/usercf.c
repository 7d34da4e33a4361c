/* User-user cosine kNN on binary purchase vectors, the algorithm the product
 * has always promised. Fit computes every user's top-k neighbours (cosine >=
 * threshold); recommend scores each product by the similarity mass of the
 * neighbours who bought it, normalised by the total, times its popularity.
 *
 * Cost control: the dot products are accumulated through the item postings
 * (buyers per product), and for a product with more than max_postings buyers
 * only an evenly spaced sample of max_postings of them is scanned. A user's
 * work is thus at most |items(u)| * max_postings, and the whole fit at most
 * interactions * max_postings: linear in the interactions however popular a
 * product gets. Accumulators are a sparse touched-list over one reusable
 * array, never a users x users matrix. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/algo.h"
#include "engine/usercf.h"
#include "util/error.h"

int knn_append_row(struct knn *k, int32_t row, const struct cand_buf *b, int top, int64_t *cap)
{
    int64_t take = (int64_t)b->n < top ? (int64_t)b->n : top;
    if (k->nnz + take > *cap) {
        int64_t nc = (*cap ? *cap : 1024);
        while (nc < k->nnz + take)
            nc *= 2;
        int32_t *ni = realloc(k->idx, (size_t)nc * sizeof *ni);
        if (ni)
            k->idx = ni;
        float *ns = realloc(k->sim, (size_t)nc * sizeof *ns);
        if (ns)
            k->sim = ns;
        if (!ni || !ns)
            return -1;
        *cap = nc;
    }
    for (int64_t j = 0; j < take; j++) {
        k->idx[k->nnz] = b->c[j].item;
        k->sim[k->nnz++] = b->c[j].score;
    }
    k->ptr[row + 1] = k->nnz;
    return 0;
}

int usercf_similarity(const struct csr *ui, const struct csr *iu, int32_t u, int32_t v,
                      double *cos)
{
    int64_t a = ui->ptr[u], ae = ui->ptr[u + 1], b = ui->ptr[v], be = ui->ptr[v + 1];
    double na = (double)(ae - a), nb = (double)(be - b), dot = 0;
    (void)iu;
    while (a < ae && b < be) {
        if (ui->idx[a] == ui->idx[b])
            dot++, a++, b++;
        else if (ui->idx[a] < ui->idx[b])
            a++;
        else
            b++;
    }
    *cos = na && nb ? dot / sqrt(na * nb) : 0;
    return 0;
}

int usercf_fit_knn(const struct csr *ui, const struct csr *iu, int k, double threshold,
                   int max_postings, struct knn *out, char *err, size_t errlen)
{
    int32_t nu = ui->n_rows;
    float *acc = calloc((size_t)nu + 1, sizeof *acc);
    int32_t *touched = malloc(((size_t)nu + 1) * sizeof *touched);
    struct cand_buf b = {0};
    int64_t cap = 0;
    int rc = -1;
    memset(out, 0, sizeof *out);
    out->n_rows = nu;
    out->ptr = calloc((size_t)nu + 1, sizeof *out->ptr);
    if (!acc || !touched || !out->ptr)
        goto out;
    if (max_postings < 1)
        max_postings = 1;
    for (int32_t u = 0; u < nu; u++) {
        int32_t nt = 0;
        double nu_len = (double)(ui->ptr[u + 1] - ui->ptr[u]);
        for (int64_t p = ui->ptr[u]; p < ui->ptr[u + 1]; p++) {
            int32_t it = ui->idx[p];
            int64_t s = iu->ptr[it], len = iu->ptr[it + 1] - s;
            /* evenly spaced sample of at most max_postings buyers */
            int64_t take = len < max_postings ? len : max_postings;
            for (int64_t j = 0; j < take; j++) {
                int32_t v = iu->idx[s + (take == len ? j : j * len / take)];
                if (v == u)
                    continue;
                if (acc[v] == 0)
                    touched[nt++] = v;
                acc[v] += 1.0f;
            }
        }
        b.n = 0;
        for (int32_t t = 0; t < nt; t++) {
            int32_t v = touched[t];
            double cos = acc[v] / sqrt(nu_len * (double)(ui->ptr[v + 1] - ui->ptr[v]));
            acc[v] = 0;
            if (cos >= threshold - 1e-9 && cand_add(&b, v, (float)cos) < 0)
                goto out;
        }
        cand_finish(&b);
        if (knn_append_row(out, u, &b, k, &cap) < 0)
            goto out;
    }
    rc = 0;
out:
    free(acc);
    free(touched);
    cand_free(&b);
    if (rc < 0) {
        knn_free(out);
        err_set(err, errlen, "out of memory computing user neighbours");
    }
    return rc;
}

static int ucf_fit(struct model *m, char *err, size_t errlen)
{
    return usercf_fit_knn(&m->ui, &m->iu, m->params.neighbours, m->params.threshold,
                          m->params.max_postings, &m->ucf, err, errlen);
}

int usercf_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                  struct rec_list *explain)
{
    int32_t u = q->user;
    b->n = 0;
    if (u < 0 || !m->ucf.ptr || u >= m->ucf.n_rows)
        return 0;
    double total = 0;
    for (int64_t k = m->ucf.ptr[u]; k < m->ucf.ptr[u + 1]; k++) {
        int32_t v = m->ucf.idx[k];
        float s = m->ucf.sim[k];
        total += s;
        for (int64_t p = m->ui.ptr[v]; p < m->ui.ptr[v + 1]; p++)
            if (cand_add(b, m->ui.idx[p], s) < 0)
                return -1;
    }
    if (q->explain && explain && m->ucf.ptr[u + 1] > m->ucf.ptr[u]) {
        rl_explain(explain, "usercf: %lld neighbours, nearest:",
                   (long long)(m->ucf.ptr[u + 1] - m->ucf.ptr[u]));
        for (int64_t k = m->ucf.ptr[u]; k < m->ucf.ptr[u + 1] && k < m->ucf.ptr[u] + 3; k++)
            rl_explain(explain, " %.8s (%.3f)", m->ctx.users.ids[m->ucf.idx[k]],
                       m->ucf.sim[k]);
        rl_explain(explain, "; ");
    }
    cand_finish(b);
    /* score = normalised similarity mass x product popularity */
    for (size_t i = 0; i < b->n; i++)
        b->c[i].score =
            (float)(b->c[i].score / total) * (1.0f + m->pop.count_all[b->c[i].item]);
    cand_finish(b);
    return 0;
}

static void ucf_recommend(const struct model *m, const struct rec_query *q,
                          struct rec_list *out)
{
    struct cand_buf b = {0};
    if (usercf_scores(m, q, &b, out) == 0)
        for (size_t i = 0; i < b.n && out->n < q->n; i++)
            rl_push(m, q, out, b.c[i].item, b.c[i].score, "usercf");
    cand_free(&b);
    popularity_fill(m, q, out, 0);
}

void knn_save(const struct knn *k, struct blob_writer *w)
{
    bw_i64(w, k->n_rows);
    bw_array(w, k->ptr, sizeof *k->ptr, (int64_t)k->n_rows + 1);
    bw_array(w, k->idx, sizeof *k->idx, k->nnz);
    bw_array(w, k->sim, sizeof *k->sim, k->nnz);
}

int knn_load(struct knn *k, int32_t rows, int32_t cols, struct blob_reader *r)
{
    memset(k, 0, sizeof *k);
    if (br_i64(r) != rows)
        return -1;
    k->n_rows = rows;
    k->ptr = br_array(r, 8, (int64_t)rows + 1, 0, NULL);
    if (!k->ptr || k->ptr[0] != 0)
        return -1;
    for (int32_t i = 0; i < rows; i++)
        if (k->ptr[i + 1] < k->ptr[i])
            return -1;
    k->nnz = k->ptr[rows];
    k->idx = br_array(r, 4, k->nnz, 0, NULL);
    k->sim = br_array(r, 4, k->nnz, 0, NULL);
    if (k->nnz && (!k->idx || !k->sim))
        return -1;
    for (int64_t i = 0; i < k->nnz; i++)
        if (k->idx[i] < 0 || k->idx[i] >= cols || !isfinite(k->sim[i]))
            return -1;
    return 0;
}

static void ucf_save(const struct model *m, struct blob_writer *w) { knn_save(&m->ucf, w); }
static int ucf_load(struct model *m, struct blob_reader *r, char *err, size_t errlen)
{
    if (knn_load(&m->ucf, m->ctx.users.n, m->ctx.users.n, r) < 0)
        return err_set(err, errlen, "the user-user neighbour lists are corrupted");
    return 0;
}

const struct algo_ops algo_usercf = {"usercf", ucf_fit, ucf_recommend, ucf_save, ucf_load};
