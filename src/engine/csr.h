/* Compressed sparse row matrices: the purchase matrices (users x items and
 * its transpose) every algorithm reads, built in linear time. */
#ifndef RECSYS_ENGINE_CSR_H
#define RECSYS_ENGINE_CSR_H

#include <stddef.h>
#include <stdint.h>

/* Compressed sparse rows; val may be NULL (binary). */
struct csr {
    int32_t n_rows, n_cols;
    int64_t nnz;
    int64_t *ptr; /* n_rows + 1 */
    int32_t *idx; /* nnz, sorted within a row */
    float *val;   /* nnz or NULL */
};
void csr_free(struct csr *m);
/* Builds a CSR from (row, col) pairs, summing duplicates into val (a purchase
 * count). Returns 0, or ERR_NOMEM with err on allocation failure. */
int csr_from_pairs(int32_t n_rows, int32_t n_cols, int64_t n, const int32_t *rows,
                   const int32_t *cols, struct csr *out, char *err, size_t errlen);
/* t = a transposed, rows sorted; ERR_NOMEM with err on allocation failure. */
int csr_transpose(const struct csr *a, struct csr *t, char *err, size_t errlen);

#endif
