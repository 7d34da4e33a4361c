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
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/usercf.h"

#include "engine/algo.h"
#include "engine/knn.h"
#include "engine/popularity.h"
#include "engine/reclist.h"
#include "util/error.h"
#include "util/mem.h"

/* Exact cosine of two users' binary purchase vectors (sorted item lists):
 * the one formula of fit and load, so the similarities recomputed when a
 * model is loaded are bit-identical to the fitted ones. */
static double ucf_cos(const struct csr *ui, int32_t u, int32_t v)
{
    int64_t a = ui->ptr[u], ae = ui->ptr[u + 1], b = ui->ptr[v], be = ui->ptr[v + 1];
    double na = (double)(ae - a), nb = (double)(be - b), dot = 0;
    while (a < ae && b < be) {
        if (ui->idx[a] == ui->idx[b])
            dot++, a++, b++;
        else if (ui->idx[a] < ui->idx[b])
            a++;
        else
            b++;
    }
    return na && nb ? dot / sqrt(na * nb) : 0;
}

int usercf_similarity(const struct csr *ui, const struct csr *iu, int32_t u, int32_t v, double *cos)
{
    (void)iu;
    *cos = ucf_cos(ui, u, v);
    return 0;
}

/* The users are cut into chunks of UCF_CHUNK that worker threads take in
 * turn; each chunk keeps its own neighbour lists, appended to the result in
 * chunk order, so the result is the same for any number of threads. */
#define UCF_CHUNK   2048
#define UCF_AHEAD   8                 /* prefetch distance, in postings or users */
#define UCF_MAX_NNZ ((size_t)1 << 40) /* hard cap on neighbour entries */

struct ucf_chunk {
    int64_t n;
    int32_t *idx;
    float *sim;
    int32_t *len; /* per user of the chunk */
};

struct ucf_job {
    const struct csr *ui, *iu;
    int k;
    double threshold;
    int max_postings;
    int32_t n_chunks;
    int next;   /* __atomic: the next chunk to take */
    int failed; /* __atomic */
    struct ucf_chunk *chunks;
    /* ordered commit: finished chunks are appended to out in chunk order as
     * soon as their predecessors are, then freed, so only the chunks in
     * flight exist twice (peak memory: the lists once, not twice) */
    pthread_mutex_t lock;
    char *done;        /* per chunk, under lock */
    int32_t committed; /* under lock: chunks already in out */
    int64_t out_cap;   /* under lock */
    struct knn *out;
    /* per item, the neighbour list shared by all its one-product buyers */
    struct knn *sh;
    /* per item, its sampled buyers (ucf_samples) with their purchase counts */
    int64_t *sptr;
    int32_t *sv, *slen;
};

/* A worker's scratch for one user's candidates: the sampled buyers of its
 * products merged by user (a few hundred entries, so they stay in the cache,
 * where an array of every user would miss on each update). */
struct ucf_slot {
    int32_t v, len; /* user and its purchase count */
    float acc;      /* overlap found (products of u whose sample has v) */
};
struct ucf_ws {
    struct ucf_slot *a, *b; /* runs to merge, and the merged runs */
    size_t cap;
    int64_t *run; /* run boundaries */
    size_t run_cap;
    int32_t *merge; /* users whose cosine needs a merge (ucf_user) */
};

/* Appends every finished chunk that is next in order to j->out (call with
 * j->lock held); -1 when out cannot grow. */
static int ucf_commit(struct ucf_job *j)
{
    struct knn *out = j->out;
    int32_t nu = j->ui->n_rows;
    while (j->committed < j->n_chunks && j->done[j->committed]) {
        int32_t c = j->committed;
        struct ucf_chunk *ch = &j->chunks[c];
        int32_t u0 = c * UCF_CHUNK, u1 = u0 + UCF_CHUNK < nu ? u0 + UCF_CHUNK : nu;
        if (out->nnz + ch->n > j->out_cap) {
            /* both arrays grow alike, from 64k entries; glibc moves large
             * blocks by remapping, not copying */
            int64_t want = out->nnz + ch->n;
            size_t need = (size_t)(want < 1 << 16 ? 1 << 16 : want);
            size_t ci = (size_t)j->out_cap, cs = (size_t)j->out_cap;
            if (mem_grow((void **)&out->idx, sizeof *out->idx, need, &ci, UCF_MAX_NNZ) < 0 ||
                mem_grow((void **)&out->sim, sizeof *out->sim, need, &cs, UCF_MAX_NNZ) < 0)
                return -1;
            j->out_cap = (int64_t)ci;
        }
        if (ch->n) {
            memcpy(out->idx + out->nnz, ch->idx, (size_t)ch->n * sizeof *out->idx);
            memcpy(out->sim + out->nnz, ch->sim, (size_t)ch->n * sizeof *out->sim);
        }
        for (int32_t u = u0; u < u1; u++)
            out->ptr[u + 1] = out->ptr[u] + ch->len[u - u0];
        out->nnz += ch->n;
        free(ch->idx), free(ch->sim), free(ch->len);
        ch->idx = NULL, ch->sim = NULL, ch->len = NULL;
        j->committed++;
    }
    return 0;
}

/* Cosine of a one-product user with v, a buyer of that product: the
 * expression ucf_user evaluates for such a user (overlap 1). */
static double single_cos(int32_t v_len)
{
    float one = 1.0f;
    return one / sqrt(1.0 * (double)v_len);
}

/* The evenly spaced sample of at most max_postings buyers of every item,
 * once for the whole fit (the same for every user who bought the item), with
 * each buyer's purchase count next to it: a user's candidates are then read
 * from a few short arrays instead of at random from the postings and the
 * purchase matrix. At most the interactions entries. */
static int ucf_samples(struct ucf_job *j)
{
    const struct csr *ui = j->ui, *iu = j->iu;
    int32_t ni = iu->n_rows;
    int64_t total = 0;
    for (int32_t i = 0; i < ni; i++) {
        int64_t len = iu->ptr[i + 1] - iu->ptr[i];
        total += len < j->max_postings ? len : j->max_postings;
    }
    j->sptr = malloc(((size_t)ni + 1) * sizeof *j->sptr);
    j->sv = malloc((size_t)(total ? total : 1) * sizeof *j->sv);
    j->slen = malloc((size_t)(total ? total : 1) * sizeof *j->slen);
    if (!j->sptr || !j->sv || !j->slen)
        return -1;
    j->sptr[0] = 0;
    for (int32_t i = 0; i < ni; i++) {
        int64_t s = iu->ptr[i], len = iu->ptr[i + 1] - s, o = j->sptr[i];
        int64_t take = len < j->max_postings ? len : j->max_postings;
        for (int64_t q = 0; q < take; q++) {
            int32_t v = iu->idx[s + (take == len ? q : q * len / take)];
            if (q + UCF_AHEAD < take)
                __builtin_prefetch(
                    &ui->ptr[iu->idx[s + (take == len ? q + UCF_AHEAD
                                                      : (q + UCF_AHEAD) * len / take)]]);
            j->sv[o + q] = v;
            j->slen[o + q] = (int32_t)(ui->ptr[v + 1] - ui->ptr[v]);
        }
        j->sptr[i + 1] = o + take;
    }
    return 0;
}

/* Most buyers bought one product only (94% at 100x), and all the
 * one-product buyers of item i have the same candidates (the sampled buyers
 * of i) with the same similarities. So the best k + 1 of them are computed
 * once per item and stored once, in j->sh: a one-product buyer's list is
 * that one without itself (usercf_row), exactly what ucf_user would compute
 * for it, and no row of its own is kept. Entries: at most min(k + 1, buyers)
 * per item, so at most the interactions. */
static int ucf_shared_lists(struct ucf_job *j)
{
    const struct csr *iu = j->iu;
    struct knn *sh = j->sh;
    int32_t ni = iu->n_rows;
    size_t keep = (size_t)(j->k > 0 ? j->k : 0) + 1, ci = 1024, cs = 1024;
    struct cand_buf b = {0};
    char *single = calloc((size_t)ni + 1, 1); /* items with a one-product buyer */
    sh->n_rows = ni;
    sh->ptr = calloc((size_t)ni + 1, sizeof *sh->ptr);
    sh->idx = malloc(ci * sizeof *sh->idx);
    sh->sim = malloc(cs * sizeof *sh->sim);
    if (!single || !sh->ptr || !sh->idx || !sh->sim)
        goto fail;
    for (int32_t u = 0; u < j->ui->n_rows; u++)
        if (j->ui->ptr[u + 1] - j->ui->ptr[u] == 1)
            single[j->ui->idx[j->ui->ptr[u]]] = 1;
    for (int32_t i = 0; i < ni; i++) {
        b.n = 0;
        for (int64_t q = j->sptr[i]; single[i] && q < j->sptr[i + 1]; q++) {
            double cos = single_cos(j->slen[q]);
            if (cos >= j->threshold - 1e-9 && cand_add(&b, j->sv[q], (float)cos) < 0)
                goto fail;
        }
        size_t n = knn_select_top(b.c, b.n, keep), need = (size_t)sh->nnz + n;
        if (need > ci &&
            (mem_grow((void **)&sh->idx, sizeof *sh->idx, need, &ci, UCF_MAX_NNZ) < 0 ||
             mem_grow((void **)&sh->sim, sizeof *sh->sim, need, &cs, UCF_MAX_NNZ) < 0))
            goto fail;
        for (size_t t = 0; t < n; t++) {
            sh->idx[sh->nnz] = b.c[t].item;
            sh->sim[sh->nnz++] = b.c[t].score;
        }
        sh->ptr[i + 1] = sh->nnz;
    }
    cand_free(&b);
    free(single);
    return 0;
fail:
    cand_free(&b);
    free(single);
    return -1;
}

/* Makes w hold the candidates of `need` postings in `runs` runs; -1 when
 * out of memory. */
static int ws_reserve(struct ucf_ws *w, size_t need, size_t runs)
{
    if (runs + 1 > w->run_cap) {
        int64_t *nr = malloc((runs + 1) * sizeof *nr);
        if (!nr)
            return -1;
        free(w->run);
        w->run = nr;
        w->run_cap = runs + 1;
    }
    if (need <= w->cap)
        return 0;
    struct ucf_slot *na = malloc(need * sizeof *na), *nb = malloc(need * sizeof *nb);
    int32_t *nm = malloc(need * sizeof *nm);
    if (!na || !nb || !nm) {
        free(na), free(nb), free(nm);
        return -1;
    }
    free(w->a), free(w->b), free(w->merge);
    w->a = na, w->b = nb, w->merge = nm;
    w->cap = need;
    return 0;
}

/* Merges the runs of w->a (sorted by user, boundaries in w->run) pairwise,
 * level by level, summing the overlaps of a user met in several, until one
 * run is left; returns its length (it is in w->a). O(entries x log runs). */
static size_t ws_merge(struct ucf_ws *w, size_t runs)
{
    while (runs > 1) {
        size_t out = 0, nr = 0;
        for (size_t r = 0; r < runs; r += 2) {
            int64_t x = w->run[r], xe = w->run[r + 1];
            int64_t y = r + 1 < runs ? w->run[r + 1] : xe, ye = r + 1 < runs ? w->run[r + 2] : xe;
            w->run[nr++] = (int64_t)out;
            while (x < xe && y < ye) {
                if (w->a[x].v < w->a[y].v)
                    w->b[out++] = w->a[x++];
                else if (w->a[y].v < w->a[x].v)
                    w->b[out++] = w->a[y++];
                else {
                    w->b[out] = w->a[x++];
                    w->b[out++].acc += w->a[y++].acc;
                }
            }
            while (x < xe)
                w->b[out++] = w->a[x++];
            while (y < ye)
                w->b[out++] = w->a[y++];
        }
        w->run[nr] = (int64_t)out;
        struct ucf_slot *t = w->a;
        w->a = w->b;
        w->b = t;
        runs = nr;
    }
    return runs ? (size_t)w->run[1] : 0;
}

/* Neighbours of one user into b (cleared first): the sampled buyers of its
 * products (each sample sorted by user) merged into one list of users with
 * their overlaps, then scored. The candidates are offered in user order;
 * the best k are the same in any order (ties go to the lower index). */
static int ucf_user(const struct ucf_job *j, int32_t u, struct ucf_ws *w, struct cand_buf *b)
{
    const struct csr *ui = j->ui, *iu = j->iu;
    size_t need = 0, runs = 0;
    double nu_len = (double)(ui->ptr[u + 1] - ui->ptr[u]);
    int sampled = 0; /* products of u whose buyers were sampled */
    b->n = 0;
    if (nu_len == 1) /* reads the shared list of its product (usercf_row) */
        return 0;
    for (int64_t p = ui->ptr[u]; p < ui->ptr[u + 1]; p++) {
        int32_t it = ui->idx[p];
        int64_t take = j->sptr[it + 1] - j->sptr[it];
        need += (size_t)take;
        runs += take > 0;
        sampled += take < iu->ptr[it + 1] - iu->ptr[it];
    }
    if (ws_reserve(w, need, runs) < 0)
        return -1;
    size_t nt = 0;
    runs = 0;
    for (int64_t p = ui->ptr[u]; p < ui->ptr[u + 1]; p++) {
        int32_t it = ui->idx[p];
        if (j->sptr[it + 1] == j->sptr[it])
            continue;
        w->run[runs++] = (int64_t)nt;
        for (int64_t q = j->sptr[it]; q < j->sptr[it + 1]; q++)
            if (j->sv[q] != u)
                w->a[nt++] = (struct ucf_slot){j->sv[q], j->slen[q], 1.0f};
    }
    w->run[runs] = (int64_t)nt;
    nt = ws_merge(w, runs);
    size_t k = (size_t)(j->k > 0 ? j->k : 0);
    int rc = 0, merges = 0;
    double root[64] = {0}; /* sqrt(nu_len * nv_len) by nv_len: the same double */
    for (size_t t = 0; t < nt; t++) {
        const struct ucf_slot *sl = &w->a[t];
        /* with a sampled product the overlap found is only a lower bound:
         * the similarity kept is always the exact one (both item lists are
         * short), so the model need not store it; without sampling the
         * overlap is exact and so is this same expression. An overlap that
         * reached the shorter list's length is exact too (most buyers have
         * one product): ucf_cos would return the same double. */
        double nv_len = (double)sl->len;
        if (sampled && sl->acc < (nu_len < nv_len ? nu_len : nv_len)) {
            merges = 1; /* exact cosine in the second pass */
            continue;
        }
        double r;
        if (sl->len < 64) {
            if (!root[sl->len])
                root[sl->len] = sqrt(nu_len * nv_len);
            r = root[sl->len];
        } else
            r = sqrt(nu_len * nv_len);
        double cos = sl->acc / r;
        if (rc == 0 && cos >= j->threshold - 1e-9 && cand_add(b, sl->v, (float)cos) < 0)
            rc = -1;
    }
    if (rc == 0 && merges) {
        /* the merges read the purchase matrix at random: only for candidates
         * whose best possible cosine (each sampled product of u shared) could
         * still enter the best k found so far; the others could not be kept */
        b->n = knn_keep_top(b->c, b->n, k);
        int full = k && b->n == k;
        struct cand kth = full ? b->c[0] : (struct cand){0, 0}; /* the worst kept */
        size_t nm = 0;
        for (size_t t = 0; t < nt; t++) {
            const struct ucf_slot *sl = &w->a[t];
            double nv_len = (double)sl->len, shorter = nu_len < nv_len ? nu_len : nv_len;
            if (!(sl->acc < shorter))
                continue; /* taken in the first pass */
            double most = sl->acc + sampled < shorter ? sl->acc + sampled : shorter;
            double best = most / sqrt(nu_len * nv_len);
            float fbest = (float)best;
            if (best < j->threshold - 1e-9 ||
                (full && (fbest < kth.score || (fbest == kth.score && kth.item < sl->v))))
                continue;
            w->merge[nm++] = sl->v;
        }
        /* each merge reads a row at random: their offsets and then their
         * items are prefetched ahead, so the misses overlap */
        for (size_t t = 0; t < nm && rc == 0; t++) {
            if (t + 2 * UCF_AHEAD < nm)
                __builtin_prefetch(&ui->ptr[w->merge[t + 2 * UCF_AHEAD]]);
            if (t + UCF_AHEAD < nm)
                __builtin_prefetch(&ui->idx[ui->ptr[w->merge[t + UCF_AHEAD]]]);
            double cos = ucf_cos(ui, u, w->merge[t]);
            if (cos >= j->threshold - 1e-9 && cand_add(b, w->merge[t], (float)cos) < 0)
                rc = -1;
        }
    }
    if (rc == 0)
        b->n = knn_select_top(b->c, b->n, k);
    return rc;
}

static void chunk_append(struct ucf_chunk *c, const struct cand_buf *b)
{
    for (size_t i = 0; i < b->n; i++) {
        c->idx[c->n] = b->c[i].item;
        c->sim[c->n++] = b->c[i].score;
    }
}

static void *ucf_worker(void *arg)
{
    struct ucf_job *j = arg;
    int32_t nu = j->ui->n_rows;
    struct ucf_ws ws = {0};
    struct cand_buf b = {0};
    while (!__atomic_load_n(&j->failed, __ATOMIC_RELAXED)) {
        int32_t c = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
        if (c >= j->n_chunks)
            break;
        struct ucf_chunk *ch = &j->chunks[c];
        int32_t u0 = c * UCF_CHUNK, u1 = u0 + UCF_CHUNK < nu ? u0 + UCF_CHUNK : nu;
        /* room for k neighbours per user: only the pages written are touched */
        size_t room = (size_t)(u1 - u0) * (size_t)(j->k > 0 ? j->k : 1);
        ch->len = malloc((size_t)(u1 - u0) * sizeof *ch->len);
        ch->idx = malloc(room * sizeof *ch->idx);
        ch->sim = malloc(room * sizeof *ch->sim);
        for (int32_t u = u0; ch->len && ch->idx && ch->sim && u < u1; u++) {
            if (ucf_user(j, u, &ws, &b) < 0) {
                __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
                break;
            }
            chunk_append(ch, &b);
            ch->len[u - u0] = (int32_t)b.n;
        }
        if (!ch->len || !ch->idx || !ch->sim)
            __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        if (__atomic_load_n(&j->failed, __ATOMIC_RELAXED))
            break;
        pthread_mutex_lock(&j->lock);
        j->done[c] = 1;
        if (ucf_commit(j) < 0)
            __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&j->lock);
    }
    free(ws.a);
    free(ws.b);
    free(ws.run);
    free(ws.merge);
    cand_free(&b);
    return NULL;
}

int usercf_fit_knn(const struct csr *ui, const struct csr *iu, int k, double threshold,
                   int max_postings, struct knn *out, char *err, size_t errlen)
{
    int32_t nu = ui->n_rows;
    struct ucf_job j = {.ui = ui,
                        .iu = iu,
                        .k = k,
                        .threshold = threshold,
                        .max_postings = max_postings < 1 ? 1 : max_postings,
                        .n_chunks = (nu + UCF_CHUNK - 1) / UCF_CHUNK,
                        .out = out};
    pthread_t th[KNN_MAX_THREADS];
    int nth = knn_threads(), started = 0, rc = -1;
    memset(out, 0, sizeof *out);
    out->n_rows = nu;
    out->ptr = calloc((size_t)nu + 1, sizeof *out->ptr);
    out->shared = j.sh = calloc(1, sizeof *out->shared);
    out->top = k > 0 ? k : 0;
    j.chunks = calloc((size_t)j.n_chunks + 1, sizeof *j.chunks);
    j.done = calloc((size_t)j.n_chunks + 1, 1);
    if (!out->ptr || !j.sh || !j.chunks || !j.done || pthread_mutex_init(&j.lock, NULL) != 0) {
        free(j.chunks);
        free(j.done);
        knn_free(out);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory computing user neighbours");
    }
    if (nth > j.n_chunks)
        nth = j.n_chunks > 0 ? j.n_chunks : 1;
    /* reserve room for k neighbours per user: address space only, the pages
     * the lists do not reach are never touched, and no growth copies them */
    if (k > 0 && (uint64_t)nu * (uint64_t)k < ((uint64_t)1 << 31)) {
        size_t room = (size_t)nu * (size_t)k + 1;
        out->idx = mem_big_alloc(room * sizeof *out->idx);
        out->sim = mem_big_alloc(room * sizeof *out->sim);
        if (out->idx && out->sim)
            j.out_cap = (int64_t)room;
        else {
            free(out->idx), free(out->sim);
            out->idx = NULL, out->sim = NULL;
        }
    }
    if (ucf_samples(&j) < 0 || ucf_shared_lists(&j) < 0)
        j.failed = 1;
    for (; started < nth - 1 && !j.failed; started++)
        if (pthread_create(&th[started], NULL, ucf_worker, &j) != 0)
            break;
    ucf_worker(&j); /* the calling thread works too */
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    if (!j.failed && j.committed == j.n_chunks) {
        /* give back the unused tail of the doubling */
        int32_t *ni = realloc(out->idx, (size_t)(out->nnz ? out->nnz : 1) * sizeof *ni);
        float *ns = ni ? realloc(out->sim, (size_t)(out->nnz ? out->nnz : 1) * sizeof *ns) : NULL;
        if (ni)
            out->idx = ni;
        if (ns)
            out->sim = ns;
        rc = ni && ns ? 0 : -1;
    }
    for (int32_t c = 0; c < j.n_chunks; c++)
        free(j.chunks[c].idx), free(j.chunks[c].sim), free(j.chunks[c].len);
    free(j.chunks);
    free(j.done);
    free(j.sptr);
    free(j.sv);
    free(j.slen);
    pthread_mutex_destroy(&j.lock);
    if (rc < 0) {
        knn_free(out);
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory computing user neighbours");
    }
    return rc;
}

static int ucf_fit(struct model *m, char *err, size_t errlen)
{
    return usercf_fit_knn(&m->ui, &m->iu, m->params.neighbours, m->params.threshold,
                          m->params.max_postings, &m->ucf, err, errlen);
}

void usercf_row(const struct knn *k, const struct csr *ui, int32_t u, struct ucf_row *r)
{
    const struct knn *sh = k->shared;
    r->skip = -1;
    if (sh && ui->ptr[u + 1] - ui->ptr[u] == 1) {
        int32_t it = ui->idx[ui->ptr[u]];
        int64_t len = sh->ptr[it + 1] - sh->ptr[it];
        r->idx = sh->idx + sh->ptr[it];
        r->sim = sh->sim + sh->ptr[it];
        for (int64_t p = 0; p < len && r->skip < 0; p++)
            if (r->idx[p] == u)
                r->skip = u;
        /* without u among them, the best top of the top + 1 */
        r->n = r->skip < 0 && len > k->top ? k->top : len;
        return;
    }
    r->idx = k->idx + k->ptr[u];
    r->sim = k->sim + k->ptr[u];
    r->n = k->ptr[u + 1] - k->ptr[u];
}

int usercf_scores(const struct model *m, const struct rec_query *q, struct cand_buf *b,
                  struct rec_list *explain)
{
    int32_t u = q->user;
    struct ucf_row row;
    b->n = 0;
    if (u < 0 || !m->ucf.ptr || u >= m->ucf.n_rows)
        return 0;
    usercf_row(&m->ucf, &m->ui, u, &row);
    double total = 0;
    for (int64_t k = 0; k < row.n; k++) {
        int32_t v = row.idx[k];
        float s = row.sim[k];
        if (v == row.skip)
            continue;
        total += s;
        for (int64_t p = m->ui.ptr[v]; p < m->ui.ptr[v + 1]; p++)
            if (cand_add(b, m->ui.idx[p], s) < 0)
                return -1;
    }
    int64_t count = row.n - (row.skip >= 0);
    if (q->explain && explain && count > 0) {
        reclist_explain(explain, "usercf: %lld neighbours, nearest:", (long long)count);
        for (int64_t k = 0, shown = 0; k < row.n && shown < 3; k++)
            if (row.idx[k] != row.skip) {
                reclist_explain(explain, " %.8s (%.3f)", m->ctx.users.ids[row.idx[k]], row.sim[k]);
                shown++;
            }
        reclist_explain(explain, "; ");
    }
    cand_rank(b); /* merged: the order does not matter before rescoring */
    /* score = normalised similarity mass x product popularity */
    for (size_t i = 0; i < b->n; i++)
        b->c[i].score = (float)(b->c[i].score / total) * (1.0f + m->pop.count_all[b->c[i].item]);
    cand_rank(b);
    return 0;
}

static void ucf_recommend(const struct model *m, const struct rec_query *q, struct rec_list *out)
{
    struct cand_buf b = {0};
    if (usercf_scores(m, q, &b, out) == 0)
        for (size_t i = 0; i < b.n && out->n < q->n; i++) {
            const struct cand *c = cand_at(&b, i);
            reclist_push(m, q, out, c->item, c->score, "usercf");
        }
    cand_free(&b);
    popularity_fill(m, q, out, 0);
}

/* User neighbour lists in a blob, without their similarities (usercf_load_lists
 * recomputes the exact cosines from the purchase matrix). Two layouts:
 *   per-user rows only (models before the shared lists): rows, nnz, a count
 *     per row, the indexes;
 *   with shared lists: UCF_SHARED_TAG (negative, so never a row count), the
 *     rows as above (a one-product buyer's count is 0), then top, the
 *     products, their nnz, a count per product and the indexes.
 * A model fitted now always has the shared lists; the first layout is still
 * read so older stored models load. */
#define UCF_SHARED_TAG (-2)

static void save_rows(const struct knn *k, struct blob_writer *w)
{
    int32_t len[1024];
    int n = 0;
    bw_i64(w, k->n_rows);
    bw_i64(w, k->nnz);
    for (int32_t u = 0; u < k->n_rows; u++) {
        len[n++] = (int32_t)(k->ptr[u + 1] - k->ptr[u]);
        if (n == 1024 || u == k->n_rows - 1) {
            bw_put(w, len, (size_t)n * sizeof *len);
            n = 0;
        }
    }
    bw_array(w, k->idx, sizeof *k->idx, k->nnz);
}

void usercf_save_lists(const struct knn *k, struct blob_writer *w)
{
    if (k->shared) {
        bw_i64(w, UCF_SHARED_TAG);
        save_rows(k, w);
        bw_i64(w, k->top);
        save_rows(k->shared, w);
    } else
        save_rows(k, w);
}

/* Reads rows counts and indexes written by save_rows (the row count already
 * read and checked) into k->ptr and k->idx; -1 when a count does not add up. */
static int load_rows(struct knn *k, int32_t rows, int32_t max_len, struct blob_reader *r)
{
    int64_t nnz = br_i64(r);
    if (r->failed || nnz < 0 || (uint64_t)nnz > (r->len - r->off) / sizeof(int32_t))
        return -1;
    k->n_rows = rows;
    k->ptr = malloc(((size_t)rows + 1) * sizeof *k->ptr);
    if (!k->ptr)
        return -1;
    k->ptr[0] = 0;
    for (int32_t u = 0; u < rows; u++) {
        int32_t len;
        br_get(r, &len, sizeof len);
        if (r->failed || len < 0 || len > max_len || k->ptr[u] + len > nnz)
            return -1;
        k->ptr[u + 1] = k->ptr[u] + len;
    }
    if (k->ptr[rows] != nnz)
        return -1;
    k->nnz = nnz;
    k->idx = br_array(r, 4, nnz, 0, NULL);
    k->sim = malloc((size_t)(nnz ? nnz : 1) * sizeof *k->sim);
    return k->idx && k->sim ? 0 : -1;
}

/* sim[p] follows sim[p - 1] in a list: best first, ties by index */
static int in_order(const float *sim, const int32_t *idx, int64_t p)
{
    return sim[p - 1] > sim[p] || (sim[p - 1] == sim[p] && idx[p - 1] < idx[p]);
}

/* 1 when user v bought item i (ui rows are sorted) */
static int bought(const struct csr *ui, int32_t v, int32_t i)
{
    int64_t lo = ui->ptr[v], hi = ui->ptr[v + 1];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (ui->idx[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ui->ptr[v + 1] && ui->idx[lo] == i;
}

/* The shared lists after the rows: per product, one-product buyers of it
 * with their recomputed cosines, in order; -1 when malformed. */
static int load_shared(struct knn *k, const struct csr *ui, struct blob_reader *r)
{
    int64_t top = br_i64(r);
    if (r->failed || top < 0 || top >= INT32_MAX || br_i64(r) != ui->n_cols)
        return -1;
    k->top = (int32_t)top;
    if (!(k->shared = calloc(1, sizeof *k->shared)) ||
        load_rows(k->shared, ui->n_cols, (int32_t)top + 1, r) < 0)
        return -1;
    const struct knn *sh = k->shared;
    for (int32_t i = 0; i < ui->n_cols; i++)
        for (int64_t p = sh->ptr[i]; p < sh->ptr[i + 1]; p++) {
            int32_t v = sh->idx[p];
            if (v < 0 || v >= ui->n_rows || !bought(ui, v, i))
                return -1;
            sh->sim[p] = (float)single_cos((int32_t)(ui->ptr[v + 1] - ui->ptr[v]));
            if (p > sh->ptr[i] && !in_order(sh->sim, sh->idx, p))
                return -1;
        }
    return 0;
}

/* Reads lists written by usercf_save_lists for ui's users; -1 when they are
 * malformed: a count or index out of range, a user its own neighbour, a
 * shared-list entry who did not buy the product, a one-product buyer with a
 * row of its own next to shared lists, or an order that the recomputed
 * similarities contradict. */
int usercf_load_lists(struct knn *k, const struct csr *ui, struct blob_reader *r)
{
    int32_t rows = ui->n_rows;
    memset(k, 0, sizeof *k);
    int64_t first = br_i64(r);
    int shared = first == UCF_SHARED_TAG;
    if (shared)
        first = br_i64(r);
    if (r->failed || first != rows || load_rows(k, rows, rows, r) < 0 ||
        (shared && load_shared(k, ui, r) < 0))
        return -1;
    for (int32_t u = 0; u < rows; u++) {
        if (shared && ui->ptr[u + 1] - ui->ptr[u] == 1 && k->ptr[u + 1] > k->ptr[u])
            return -1;
        for (int64_t p = k->ptr[u]; p < k->ptr[u + 1]; p++) {
            int32_t v = k->idx[p];
            if (v < 0 || v >= rows || v == u)
                return -1;
            k->sim[p] = (float)ucf_cos(ui, u, v);
            if (p > k->ptr[u] && !in_order(k->sim, k->idx, p))
                return -1;
        }
    }
    return 0;
}

static void ucf_save(const struct model *m, struct blob_writer *w)
{
    usercf_save_lists(&m->ucf, w);
}
static int ucf_load(struct model *m, struct blob_reader *r, char *err, size_t errlen)
{
    if (usercf_load_lists(&m->ucf, &m->ui, r) < 0)
        return err_code_set(err, errlen, ERR_CORRUPT,
                            "the user-user neighbour lists are corrupted");
    return 0;
}

const struct algo_ops algo_usercf = {"usercf", ucf_fit, ucf_recommend, ucf_save, ucf_load};
