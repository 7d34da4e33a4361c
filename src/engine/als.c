/* Implicit-feedback matrix factorisation, alternating least squares in the
 * Hu-Koren-Volinsky form: preference p_ui = 1 for a purchase, confidence
 * c_ui = 1 + alpha * count, minimise sum c_ui (p_ui - x_u.y_i)^2 + reg (|x|^2
 * + |y|^2). Each half-sweep solves one small f x f system per user (item):
 * by a few conjugate-gradient steps warm-started from the previous factors
 * (Takacs et al.; O(f^2 + n_u f) per user), or exactly by Cholesky (LAPACK
 * dposv) when cg_steps = 0. OpenBLAS does Y^T Y (dsyrk) and the symmetric
 * products (dsymv). Deterministic for a seed: a fixed-order loop, single
 * OpenBLAS thread, our own splitmix64 generator. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/als.h"

#include "engine/popularity.h"
#include "engine/reclist.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/progress.h"

#define ALS_MAX_FACTORS 256

extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
                   double *b, const int *ldb, int *info);

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

struct solver {
    int f;
    double reg, alpha;
    int cg_steps;
    double *gram;               /* f x f: Y^T Y */
    double *r, *p, *ap, *a, *b; /* scratch */
};

/* One least-squares solve for row x (of X) given the other side's factors Y
 * and the row's purchases (cols, counts). */
static void solve_row(struct solver *s, const double *Y, const int32_t *cols, const float *cnt,
                      int64_t n, double *x)
{
    int f = s->f;
    if (n == 0) {
        memset(x, 0, (size_t)f * sizeof *x);
        return;
    }
    if (s->cg_steps <= 0) {
        /* A = YtY + reg I + sum (c-1) y y^T ; b = sum c y */
        memcpy(s->a, s->gram, (size_t)f * f * sizeof *s->a);
        memset(s->b, 0, (size_t)f * sizeof *s->b);
        for (int i = 0; i < f; i++)
            s->a[i * f + i] += s->reg;
        for (int64_t k = 0; k < n; k++) {
            const double *y = Y + (size_t)cols[k] * f;
            double c = 1.0 + s->alpha * cnt[k];
            for (int i = 0; i < f; i++) {
                s->b[i] += c * y[i];
                for (int j = 0; j < f; j++)
                    s->a[i * f + j] += (c - 1.0) * y[i] * y[j];
            }
        }
        int one = 1, info = 0;
        dposv_("U", &f, &one, s->a, &f, s->b, &f, &info);
        if (info == 0)
            memcpy(x, s->b, (size_t)f * sizeof *x);
        return;
    }
    /* r = b - A x */
    cblas_dsymv(CblasRowMajor, CblasUpper, f, -1.0, s->gram, f, x, 1, 0.0, s->r, 1);
    cblas_daxpy(f, -s->reg, x, 1, s->r, 1);
    for (int64_t k = 0; k < n; k++) {
        const double *y = Y + (size_t)cols[k] * f;
        double c = 1.0 + s->alpha * cnt[k];
        double w = c - (c - 1.0) * cblas_ddot(f, y, 1, x, 1);
        cblas_daxpy(f, w, y, 1, s->r, 1);
    }
    memcpy(s->p, s->r, (size_t)f * sizeof *s->p);
    double rs = cblas_ddot(f, s->r, 1, s->r, 1);
    for (int it = 0; it < s->cg_steps && rs > 1e-20; it++) {
        cblas_dsymv(CblasRowMajor, CblasUpper, f, 1.0, s->gram, f, s->p, 1, 0.0, s->ap, 1);
        cblas_daxpy(f, s->reg, s->p, 1, s->ap, 1);
        for (int64_t k = 0; k < n; k++) {
            const double *y = Y + (size_t)cols[k] * f;
            double c = 1.0 + s->alpha * cnt[k];
            cblas_daxpy(f, (c - 1.0) * cblas_ddot(f, y, 1, s->p, 1), y, 1, s->ap, 1);
        }
        double pap = cblas_ddot(f, s->p, 1, s->ap, 1);
        if (pap <= 0)
            break;
        double step = rs / pap;
        cblas_daxpy(f, step, s->p, 1, x, 1);
        cblas_daxpy(f, -step, s->ap, 1, s->r, 1);
        double rs2 = cblas_ddot(f, s->r, 1, s->r, 1);
        for (int i = 0; i < f; i++)
            s->p[i] = s->r[i] + rs2 / rs * s->p[i];
        rs = rs2;
    }
}

static void half_sweep(struct solver *s, const struct csr *m, double *X, const double *Y,
                       int32_t n_y)
{
    /* Y^T Y, upper triangle, row-major */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, s->f, n_y, 1.0, Y, s->f, 0.0, s->gram, s->f);
    for (int i = 0; i < s->f; i++) /* mirror for the Cholesky path */
        for (int j = 0; j < i; j++)
            s->gram[i * s->f + j] = s->gram[j * s->f + i];
    for (int32_t r = 0; r < m->n_rows; r++)
        solve_row(s, Y, m->idx + m->ptr[r], m->val + m->ptr[r], m->ptr[r + 1] - m->ptr[r],
                  X + (size_t)r * s->f);
}

int als_fit_factors(const struct csr *ui, const struct csr *iu, const struct algo_params *p,
                    float **u_out, float **v_out, char *err, size_t errlen)
{
    int f = p->factors;
    if (f < 1 || f > ALS_MAX_FACTORS)
        return err_code_set(err, errlen, ERR_INVALID, "factors must be 1..%d, not %d",
                            ALS_MAX_FACTORS, f);
    size_t nu = (size_t)ui->n_rows, ni = (size_t)iu->n_rows;
    double *X = calloc(nu * f + 1, sizeof *X), *Y = calloc(ni * f + 1, sizeof *Y);
    struct solver s = {.f = f, .reg = p->reg, .alpha = p->alpha, .cg_steps = p->cg_steps};
    s.gram = malloc((size_t)f * f * sizeof *s.gram);
    s.a = malloc((size_t)f * f * sizeof *s.a);
    s.r = malloc((size_t)f * 4 * sizeof *s.r);
    float *U = malloc(nu * f * sizeof *U + 4), *V = malloc(ni * f * sizeof *V + 4);
    int rc = -1;
    if (!X || !Y || !s.gram || !s.a || !s.r || !U || !V) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory for %zu x %d and %zu x %d factors",
                          nu, f, ni, f);
        goto out;
    }
    s.p = s.r + f, s.ap = s.r + 2 * f, s.b = s.r + 3 * f;
    uint64_t seed = p->seed;
    for (size_t k = 0; k < ni * f; k++)
        Y[k] = ((double)(splitmix64(&seed) >> 11) / 9007199254740992.0 - 0.5) * 0.02;
    for (size_t k = 0; k < nu * f; k++)
        X[k] = ((double)(splitmix64(&seed) >> 11) / 9007199254740992.0 - 0.5) * 0.02;
    openblas_set_num_threads(1);
    struct progress pr;
    progress_begin(&pr, "als sweeps", (uint64_t)p->iterations);
    for (int it = 0; it < p->iterations; it++) {
        half_sweep(&s, ui, X, Y, (int32_t)ni);
        half_sweep(&s, iu, Y, X, (int32_t)nu);
        progress_update(&pr, (uint64_t)it + 1, (uint64_t)it + 1);
    }
    progress_end(&pr);
    for (size_t k = 0; k < nu * f; k++)
        U[k] = (float)X[k];
    for (size_t k = 0; k < ni * f; k++)
        V[k] = (float)Y[k];
    *u_out = U, *v_out = V;
    U = V = NULL;
    rc = 0;
out:
    free(X), free(Y), free(s.gram), free(s.a), free(s.r), free(U), free(V);
    return rc;
}

/* The scoring index, kept after the item factors in the same allocation
 * (als_v: items x f floats, then this; a blob holds the factors only, and
 * the index is rebuilt on load): every item's norm |y_i| (float), then the
 * items in decreasing norm order (int32). als_scores scans in that order and
 * stops at the first item whose bound |x_u| |y_i| cannot beat its n-th best. */
static float *als_norms(const struct model *m)
{
    return m->als_v + (size_t)m->ctx.items.n * (size_t)m->als_f;
}
static int32_t *als_order(const struct model *m)
{
    return (int32_t *)(als_norms(m) + m->ctx.items.n);
}

static const float *sort_norms; /* for cmp_norm; als_index runs under no lock */
static int cmp_norm(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (sort_norms[x] != sort_norms[y])
        return sort_norms[x] > sort_norms[y] ? -1 : 1;
    return (x > y) - (x < y);
}

/* Grows m->als_v by the index and fills it; -1 when out of memory (als_v is
 * then unchanged). */
static int als_index(struct model *m)
{
    size_t ni = (size_t)m->ctx.items.n, f = (size_t)m->als_f;
    float *v = realloc(m->als_v, (ni * f + 2 * ni + 1) * sizeof *v);
    if (!v)
        return -1;
    m->als_v = v;
    float *norm = als_norms(m);
    int32_t *order = als_order(m);
    for (size_t i = 0; i < ni; i++) {
        double sq = 0;
        for (size_t k = 0; k < f; k++)
            sq += (double)v[i * f + k] * v[i * f + k];
        norm[i] = (float)sqrt(sq);
        order[i] = (int32_t)i;
    }
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* models load in parallel */
    pthread_mutex_lock(&lock);
    sort_norms = norm;
    qsort(order, ni, sizeof *order, cmp_norm);
    pthread_mutex_unlock(&lock);
    return 0;
}

static int als_fit(struct model *m, char *err, size_t errlen)
{
    m->als_f = m->params.factors;
    int rc = als_fit_factors(&m->ui, &m->iu, &m->params, &m->als_u, &m->als_v, err, errlen);
    if (rc == 0 && als_index(m) < 0)
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory indexing the ALS factors");
    return rc;
}

/* --- scoring ---------------------------------------------------------------
 * A request scores x_u . y_i for the items with buyers, in decreasing |y_i|
 * until no later item can enter its top n (als_scores). Done as 8-float
 * vector lanes (GCC/clang vector extensions, SSE2 by default, AVX2 when the
 * CPU has it), the scores feeding a bounded top-n list. No OpenBLAS here: concurrent callers must
 * never enter its thread pool, and a 32 x 32k product is too small for it.
 * Both code paths do the same multiplications and additions in the same
 * order (no FMA contraction in ISO C mode), so the scores are identical. */
typedef float als_v8 __attribute__((vector_size(32)));

static inline __attribute__((always_inline)) void dots_body(const float *x, const float *v, int f,
                                                            int32_t n, float *out)
{
    for (int32_t i = 0; i < n; i++) {
        const float *y = v + (size_t)i * f;
        als_v8 acc = {0, 0, 0, 0, 0, 0, 0, 0};
        int k = 0;
        for (; k + 8 <= f; k += 8) {
            als_v8 a, b;
            memcpy(&a, x + k, sizeof a);
            memcpy(&b, y + k, sizeof b);
            acc += a * b;
        }
        float tail = 0;
        for (; k < f; k++)
            tail += x[k] * y[k];
        out[i] = tail + (((acc[0] + acc[4]) + (acc[1] + acc[5])) +
                         ((acc[2] + acc[6]) + (acc[3] + acc[7])));
    }
}

static void dots_generic(const float *x, const float *v, int f, int32_t n, float *out)
{
    dots_body(x, v, f, n, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx2"))) static void dots_avx2(const float *x, const float *v, int f,
                                                      int32_t n, float *out)
{
    dots_body(x, v, f, n, out);
}
#endif

/* a ranks before b: higher score, then lower index */
static int als_before(float sa, int32_t ia, const struct cand *b)
{
    return sa > b->score || (sa == b->score && ia < b->item);
}

/* Top `want` items by x_u . y_i into b, best first (ties: lower index). The
 * items are scored in decreasing |y_i| (als_index) and the scan stops once
 * |x_u| |y_i|, with a margin for the float rounding of the dot products
 * (relative error under f x 2^-24 of |x_u| |y_i|), is below the n-th score:
 * no later item could enter. The same list as scoring every item. */
int als_scores(const struct model *m, const struct rec_query *q, int want, struct cand_buf *b)
{
    b->n = 0;
    int32_t u = q->user;
    if (u < 0 || !m->als_u || u >= m->ctx.users.n || m->ui.ptr[u + 1] == m->ui.ptr[u])
        return 0;
    int f = m->als_f;
    const float *x = m->als_u + (size_t)u * f;
    if (want < 1)
        return 0;
    if (mem_grow((void **)&b->c, sizeof *b->c, (size_t)want, &b->cap, CAND_MAX) < 0)
        return -1;
    void (*dots)(const float *, const float *, int, int32_t, float *) = dots_generic;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("avx2"))
        dots = dots_avx2;
#endif
    double xx = 0;
    for (int k = 0; k < f; k++)
        xx += (double)x[k] * x[k];
    double xn = sqrt(xx) * (1.0 + 1e-4 + 4.0 * f / 16777216.0);
    const float *norm = als_norms(m);
    const int32_t *order = als_order(m);
    for (int32_t t = 0; t < m->ctx.items.n; t++) {
        int32_t i = order[t];
        if (b->n == (size_t)want && xn * norm[i] < b->c[b->n - 1].score)
            break;
        if (m->pop.count_all[i] <= 0)
            continue; /* no buyers: its factors are zero */
        if (!q->allow_repurchase && reclist_owned(m, u, i))
            continue;
        float sc;
        dots(x, m->als_v + (size_t)i * f, f, 1, &sc);
        if (b->n == (size_t)want && !als_before(sc, i, &b->c[b->n - 1]))
            continue;
        size_t j = b->n < (size_t)want ? b->n++ : b->n - 1;
        while (j > 0 && als_before(sc, i, &b->c[j - 1])) {
            b->c[j] = b->c[j - 1];
            j--;
        }
        b->c[j] = (struct cand){i, sc};
    }
    return 0;
}

static void als_recommend(const struct model *m, const struct rec_query *q, struct rec_list *out)
{
    struct cand_buf b = {0};
    if (als_scores(m, q, q->n, &b) == 0) {
        if (q->explain && b.n)
            reclist_explain(out, "als: %d latent factors, predicted preference; ", m->als_f);
        for (size_t i = 0; i < b.n && out->n < q->n; i++)
            reclist_push(m, q, out, b.c[i].item, b.c[i].score, "als");
    }
    cand_free(&b);
    popularity_fill(m, q, out, 0);
}

static void als_save(const struct model *m, struct blob_writer *w)
{
    bw_i64(w, m->als_f);
    bw_array(w, m->als_u, 4, (int64_t)m->ctx.users.n * m->als_f);
    bw_array(w, m->als_v, 4, (int64_t)m->ctx.items.n * m->als_f);
}

static int als_load(struct model *m, struct blob_reader *r, char *err, size_t errlen)
{
    int64_t f = br_i64(r);
    if (r->failed || f < 1 || f > ALS_MAX_FACTORS)
        return err_code_set(err, errlen, ERR_CORRUPT, "the ALS factors are corrupted");
    m->als_f = (int32_t)f;
    m->als_u = br_array(r, 4, (int64_t)m->ctx.users.n * f, 0, NULL);
    m->als_v = br_array(r, 4, (int64_t)m->ctx.items.n * f, 0, NULL);
    if (r->failed || (m->ctx.users.n && !m->als_u) || (m->ctx.items.n && !m->als_v))
        return err_code_set(err, errlen, ERR_CORRUPT, "the ALS factors are corrupted");
    for (int64_t k = 0; k < (int64_t)m->ctx.items.n * f; k++)
        if (!isfinite(m->als_v[k]))
            return err_code_set(err, errlen, ERR_CORRUPT, "the ALS factors are corrupted");
    if (als_index(m) < 0)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory indexing the ALS factors");
    return 0;
}

const struct algo_ops algo_als = {"als", als_fit, als_recommend, als_save, als_load};
