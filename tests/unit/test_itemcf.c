/* Item-item neighbours fitted over threads: on 10000 products (three chunks
 * of the work) with skewed popularity, the lists are the same for 1 and 3
 * threads, and each similarity is the cosine of the two buyer vectors. */
#include <math.h>
#include <stdlib.h>

#include "engine/csr.h"
#include "engine/itemcf.h"
#include "engine/knn.h"
#include "test.h"

static void test_itemcf_threads_same_lists(void)
{
    enum { NU = 20000, NI = 10000, K = 5 };
    int32_t *r = malloc(4 * NU * sizeof *r), *c = malloc(4 * NU * sizeof *c);
    int64_t n = 0;
    uint64_t x = 777;
    for (int32_t u = 0; u < NU; u++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int items = 1 + (int)((x >> 40) % 4);
        for (int t = 0; t < items; t++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t h = (uint32_t)(x >> 33) % 3000;
            r[n] = u;
            c[n++] = (int32_t)((uint64_t)h * h * h / 2700000); /* skewed to low numbers */
        }
    }
    struct csr ui, iu;
    struct knn a, b;
    CHECK_INT(csr_from_pairs(NU, NI, n, r, c, &ui, NULL, 0), 0);
    CHECK_INT(csr_transpose(&ui, &iu, NULL, 0), 0);
    setenv("RECSYS_THREADS", "1", 1);
    CHECK_INT(itemcf_fit_knn(&ui, &iu, K, 200, &a, NULL, 0), 0);
    setenv("RECSYS_THREADS", "3", 1);
    CHECK_INT(itemcf_fit_knn(&ui, &iu, K, 200, &b, NULL, 0), 0);
    unsetenv("RECSYS_THREADS");
    CHECK_INT(a.nnz, b.nnz);
    CHECK(a.nnz > NI / 10);
    int same = a.nnz == b.nnz;
    for (int32_t i = 0; same && i <= NI; i++)
        same = a.ptr[i] == b.ptr[i];
    for (int64_t k = 0; same && k < a.nnz; k++)
        same = a.idx[k] == b.idx[k] && a.sim[k] == b.sim[k];
    CHECK(same);
    /* rows of products with few buyers (no sampling) hold exact cosines */
    int bad = 0, checked = 0;
    for (int32_t i = 0; i < NI; i++) {
        int64_t ni = iu.ptr[i + 1] - iu.ptr[i];
        if (ni > 200)
            continue;
        for (int64_t k = a.ptr[i]; k < a.ptr[i + 1]; k++) {
            int32_t j = a.idx[k];
            int64_t p = iu.ptr[i], q = iu.ptr[j], dot = 0;
            while (p < iu.ptr[i + 1] && q < iu.ptr[j + 1])
                if (iu.idx[p] == iu.idx[q])
                    dot++, p++, q++;
                else if (iu.idx[p] < iu.idx[q])
                    p++;
                else
                    q++;
            double cos = dot / sqrt((double)ni * (double)(iu.ptr[j + 1] - iu.ptr[j]));
            bad += j == i || fabs(cos - a.sim[k]) > 1e-6;
            checked++;
        }
    }
    CHECK(checked > 1000);
    CHECK_INT(bad, 0);
    knn_free(&a);
    knn_free(&b);
    csr_free(&ui);
    csr_free(&iu);
    free(r);
    free(c);
}

int main(void)
{
    RUN(test_itemcf_threads_same_lists);
    return TEST_SUMMARY();
}
