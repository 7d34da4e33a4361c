/* Purchase matrices from (row, column) pairs: both ways of building them
 * (short rows sorted in place, long rows by two counting sorts) against a
 * dense count, with repeats, empty rows and unsorted input; and the
 * transpose. */
#include <stdlib.h>

#include "engine/csr.h"
#include "test.h"

/* 1 when m holds exactly the counts of dense (rows x cols), columns sorted */
static int matches_dense(const struct csr *m, const int *dense, int32_t rows, int32_t cols)
{
    int64_t nnz = 0;
    if (m->ptr[0] != 0)
        return 0;
    for (int32_t r = 0; r < rows; r++) {
        int64_t k = m->ptr[r];
        for (int32_t c = 0; c < cols; c++) {
            if (!dense[r * cols + c])
                continue;
            if (k >= m->ptr[r + 1] || m->idx[k] != c || m->val[k] != (float)dense[r * cols + c])
                return 0;
            k++, nnz++;
        }
        if (k != m->ptr[r + 1])
            return 0;
    }
    return nnz == m->nnz;
}

/* n random pairs over rows x cols, each row at most max_len pairs long */
static void check_build(int32_t rows, int32_t cols, int64_t n, int max_len, uint64_t seed)
{
    int32_t *r = malloc((size_t)n * sizeof *r), *c = malloc((size_t)n * sizeof *c);
    int *dense = calloc((size_t)rows * (size_t)cols, sizeof *dense);
    int *len = calloc((size_t)rows, sizeof *len);
    int64_t got = 0;
    uint64_t x = seed;
    while (got < n) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int32_t row = (int32_t)((x >> 33) % (uint64_t)rows);
        int32_t col = (int32_t)((x >> 13) % (uint64_t)(x >> 60 < 4 ? 3 : cols)); /* repeats */
        if (len[row] >= max_len)
            continue;
        len[row]++;
        r[got] = row, c[got++] = col;
        dense[row * cols + col]++;
    }
    struct csr m, t;
    CHECK_INT(csr_from_pairs(rows, cols, n, r, c, &m, NULL, 0), 0);
    CHECK(matches_dense(&m, dense, rows, cols));
    int *dt = calloc((size_t)rows * (size_t)cols, sizeof *dt);
    for (int32_t i = 0; i < rows; i++)
        for (int32_t j = 0; j < cols; j++)
            dt[j * rows + i] = dense[i * cols + j];
    CHECK_INT(csr_transpose(&m, &t, NULL, 0), 0);
    CHECK(matches_dense(&t, dt, cols, rows));
    csr_free(&m);
    csr_free(&t);
    free(dt);
    free(r);
    free(c);
    free(dense);
    free(len);
}

static void test_short_rows(void)
{
    check_build(500, 40, 600, 5, 1);   /* many empty rows, repeats */
    check_build(50, 300, 3000, 64, 2); /* rows up to the in-place limit */
}

static void test_long_rows(void)
{
    check_build(30, 200, 6000, 1000, 3); /* rows over the limit: two counting sorts */
    check_build(200, 50, 2000, 65, 4);
}

static void test_empty(void)
{
    struct csr m;
    CHECK_INT(csr_from_pairs(3, 4, 0, NULL, NULL, &m, NULL, 0), 0);
    CHECK(m.nnz == 0 && m.ptr[3] == 0);
    csr_free(&m);
}

int main(void)
{
    RUN(test_short_rows);
    RUN(test_long_rows);
    RUN(test_empty);
    return TEST_SUMMARY();
}
