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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/itemcf.h"

#include "engine/knn.h"
#include "engine/popularity.h"
#include "engine/reclist.h"
#include "util/error.h"

#define ICF_MAX_USER_ITEMS 100
#define ICF_CHUNK          4096 /* products per unit of work */

/* The products are cut into chunks of ICF_CHUNK that worker threads take in
 * turn; each chunk's rows go into their own lists (row r = product c *
 * ICF_CHUNK + r), concatenated in chunk order at the end: every row is
 * computed alone, so the result is the same for any number of threads. */
struct icf_job {
    const struct csr *ui, *iu;
    int k, max_postings;
    int32_t n_chunks;
    int next;   /* __atomic: the next chunk to take */
    int failed; /* __atomic */
    struct knn *parts;
};

/* The top-k neighbours of product i into b (cleared first); acc is left
 * all zero again. */
static int icf_row(const struct icf_job *j, int32_t i, float *acc, int32_t *touched,
                   struct cand_buf *b)
{
    const struct csr *ui = j->ui, *iu = j->iu;
    int32_t nt = 0;
    int64_t s = iu->ptr[i], len = iu->ptr[i + 1] - s;
    int64_t take = len < j->max_postings ? len : j->max_postings;
    for (int64_t q = 0; q < take; q++) {
        int32_t u = iu->idx[s + (take == len ? q : q * len / take)];
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
    b->n = 0;
    int rc = 0;
    for (int32_t t = 0; t < nt; t++) {
        int32_t it = touched[t];
        double cos = acc[it] / sqrt((double)len * (double)(iu->ptr[it + 1] - iu->ptr[it]));
        acc[it] = 0;
        if (rc == 0 && cand_add(b, it, (float)cos) < 0)
            rc = -1;
    }
    if (rc == 0) {
        cand_rank(b); /* only the best k are kept: rank those */
        if (b->n && j->k > 0)
            cand_at(b, ((size_t)j->k < b->n ? (size_t)j->k : b->n) - 1);
    }
    return rc;
}

static void *icf_worker(void *arg)
{
    struct icf_job *j = arg;
    int32_t ni = j->iu->n_rows;
    float *acc = calloc((size_t)ni + 1, sizeof *acc);
    int32_t *touched = malloc(((size_t)ni + 1) * sizeof *touched);
    struct cand_buf b = {0};
    if (!acc || !touched)
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    while (acc && touched && !__atomic_load_n(&j->failed, __ATOMIC_RELAXED)) {
        int32_t c = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (c >= j->n_chunks)
            break;
        int32_t i0 = c * ICF_CHUNK, i1 = i0 + ICF_CHUNK < ni ? i0 + ICF_CHUNK : ni;
        struct knn *part = &j->parts[c];
        int64_t cap = 0;
        part->n_rows = i1 - i0;
        if (!(part->ptr = calloc((size_t)(i1 - i0) + 1, sizeof *part->ptr)))
            __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        for (int32_t i = i0; part->ptr && i < i1; i++)
            if (icf_row(j, i, acc, touched, &b) < 0 ||
                knn_append_row(part, i - i0, &b, j->k, &cap) < 0) {
                __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
                break;
            }
    }
    free(acc);
    free(touched);
    cand_free(&b);
    return NULL;
}

int itemcf_fit_knn(const struct csr *ui, const struct csr *iu, int k, int max_postings,
                   struct knn *out, char *err, size_t errlen)
{
    int32_t ni = iu->n_rows;
    struct icf_job j = {.ui = ui,
                        .iu = iu,
                        .k = k,
                        .max_postings = max_postings < 1 ? 1 : max_postings,
                        .n_chunks = (ni + ICF_CHUNK - 1) / ICF_CHUNK};
    pthread_t th[KNN_MAX_THREADS];
    int nth = knn_threads(), started = 0, rc = -1;
    memset(out, 0, sizeof *out);
    out->n_rows = ni;
    out->ptr = calloc((size_t)ni + 1, sizeof *out->ptr);
    j.parts = calloc((size_t)j.n_chunks + 1, sizeof *j.parts);
    if (!out->ptr || !j.parts)
        goto out;
    if (nth > j.n_chunks)
        nth = j.n_chunks > 0 ? j.n_chunks : 1;
    for (; started < nth - 1; started++)
        if (pthread_create(&th[started], NULL, icf_worker, &j) != 0)
            break;
    icf_worker(&j); /* the calling thread works too */
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    if (j.failed)
        goto out;
    for (int32_t c = 0; c < j.n_chunks; c++)
        out->nnz += j.parts[c].nnz;
    out->idx = malloc((size_t)(out->nnz ? out->nnz : 1) * sizeof *out->idx);
    out->sim = malloc((size_t)(out->nnz ? out->nnz : 1) * sizeof *out->sim);
    if (!out->idx || !out->sim)
        goto out;
    for (int32_t c = 0, w = 0; c < j.n_chunks; c++) { /* in chunk order, each freed once copied */
        struct knn *part = &j.parts[c];
        int64_t base = out->ptr[c * ICF_CHUNK];
        if (part->nnz) {
            memcpy(out->idx + base, part->idx, (size_t)part->nnz * sizeof *out->idx);
            memcpy(out->sim + base, part->sim, (size_t)part->nnz * sizeof *out->sim);
        }
        for (int32_t r = 0; r < part->n_rows; r++, w++)
            out->ptr[w + 1] = base + part->ptr[r + 1];
        knn_free(part);
    }
    rc = 0;
out:
    for (int32_t c = 0; j.parts && c < j.n_chunks; c++)
        knn_free(&j.parts[c]);
    free(j.parts);
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
