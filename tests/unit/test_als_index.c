/* ALS scoring through its norm index (als.c: items in decreasing |y_i|, the
 * scan stopped when |x_u| |y_i| cannot beat the n-th score) against scoring
 * every item, on random factors with some items never bought, some owned,
 * many equal norms, and exact ties: the same lists, scores and order. */
#include <stdlib.h>

#include "engine/als.h"
#include "test.h"

enum { NU = 60, NI = 3000, F = 32 };

/* x . y as als.c computes it: 8 lanes summed in order, then paired */
static float dot8(const float *x, const float *y)
{
    float acc[8] = {0};
    for (int k = 0; k < F; k += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += x[k + l] * y[k + l];
    float tail = 0;
    return tail +
           (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
}

/* best first: higher score, then lower index */
static int cmp_ref(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static uint64_t rng = 99;
static float rnd(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(rng >> 40) / (double)(1ull << 24)) - 0.5f;
}

static void test_index_matches_full_scan(void)
{
    float *u = malloc(NU * F * sizeof *u), *v = malloc(NI * F * sizeof *v);
    static float count[NI];
    int32_t rows[NU * 3], cols[NU * 3];
    for (int k = 0; k < NU * F; k++)
        u[k] = rnd();
    for (int32_t i = 0; i < NI; i++) {
        count[i] = i % 7 == 3 ? 0 : 1 + (float)(i % 5);
        for (int k = 0; k < F; k++) /* every 10th item repeats item 0: exact ties */
            v[i * F + k] = count[i] == 0          ? 0
                           : i % 10 == 0 && i > 0 ? v[k] /* item 0's, set above */
                                                  : rnd() * (i % 4 ? 1 : 0.1f);
    }
    for (int32_t r = 0; r < NU * 3; r++)
        rows[r] = r / 3, cols[r] = (r * 97) % NI;
    struct model m = {0};
    m.ctx.users.n = NU;
    m.ctx.items.n = NI;
    m.pop.count_all = count;
    csr_from_pairs(NU, NI, NU * 3, rows, cols, &m.ui, NULL, 0);
    struct blob_writer w = {0};
    bw_i64(&w, F);
    bw_array(&w, u, 4, NU * F);
    bw_array(&w, v, 4, NI * F);
    struct blob_reader br = {w.buf, w.len, 0, 0};
    char err[128];
    CHECK_INT(algo_als.load(&m, &br, err, sizeof err), 0);
    int bad = 0;
    struct cand_buf b = {0};
    struct cand *ref = malloc(NI * sizeof *ref);
    for (int32_t user = 0; user < NU; user++)
        for (int allow = 0; allow < 2; allow++)
            for (int n = 1; n <= 40; n += 13) {
                struct rec_query q = {.user = user, .n = n, .allow_repurchase = allow};
                size_t nr = 0;
                for (int32_t i = 0; i < NI; i++)
                    if (count[i] > 0 && (allow || !reclist_owned(&m, user, i)))
                        ref[nr++] = (struct cand){i, dot8(u + user * F, v + i * F)};
                qsort(ref, nr, sizeof *ref, cmp_ref);
                nr = nr < (size_t)n ? nr : (size_t)n;
                CHECK_INT(als_scores(&m, &q, n, &b), 0);
                bad += b.n != nr;
                for (size_t t = 0; t < nr && t < b.n; t++)
                    bad += b.c[t].item != ref[t].item || b.c[t].score != ref[t].score;
            }
    CHECK_INT(bad, 0);
    cand_free(&b);
    free(ref);
    free(w.buf);
    free(m.als_u);
    free(m.als_v);
    csr_free(&m.ui);
    free(u);
    free(v);
}

int main(void)
{
    RUN(test_index_matches_full_scan);
    return TEST_SUMMARY();
}
