/* Compressed sparse rows (see csr.h). */
#include "engine/csr.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

void csr_free(struct csr *m)
{
    free(m->ptr);
    free(m->idx);
    free(m->val);
    memset(m, 0, sizeof *m);
}

#define CSR_SHORT_ROW 64 /* rows up to this long are sorted in place */

/* Rows no longer than CSR_SHORT_ROW (users x items): one counting sort by
 * row, then each row sorted in place by insertion. Otherwise two stable
 * counting sorts, by column and then by row, leave every row's columns in
 * order: O(n + rows + cols), where sorting each row cost O(n log n) on the
 * long rows (a state's purchases). Repeats are then summed into val (a
 * purchase count). */
int csr_from_pairs(int32_t n_rows, int32_t n_cols, int64_t n, const int32_t *rows,
                   const int32_t *cols, struct csr *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->n_rows = n_rows;
    out->n_cols = n_cols;
    size_t nn = (size_t)(n ? n : 1);
    int32_t *tmp = malloc(nn * sizeof *tmp);
    int64_t *start = malloc(((size_t)n_rows + 1) * sizeof *start);
    out->ptr = calloc((size_t)n_rows + 1, sizeof *out->ptr);
    out->idx = malloc(nn * sizeof *out->idx);
    out->val = malloc(nn * sizeof *out->val);
    if (!tmp || !start || !out->ptr || !out->idx || !out->val || n > INT32_MAX)
        goto nomem;
    int64_t *fill = out->ptr, longest = 0; /* row counts, then row starts */
    for (int64_t k = 0; k < n; k++)
        fill[rows[k] + 1]++;
    for (int32_t r = 0; r < n_rows; r++) {
        longest = fill[r + 1] > longest ? fill[r + 1] : longest;
        fill[r + 1] += fill[r];
    }
    memcpy(start, fill, ((size_t)n_rows + 1) * sizeof *start);
    if (longest <= CSR_SHORT_ROW) {
        for (int64_t k = 0; k < n; k++)
            tmp[start[rows[k]]++] = cols[k];
        for (int32_t r = 0; r < n_rows; r++)
            for (int64_t i = fill[r] + 1; i < fill[r + 1]; i++) {
                int32_t x = tmp[i];
                int64_t j = i;
                for (; j > fill[r] && tmp[j - 1] > x; j--)
                    tmp[j] = tmp[j - 1];
                tmp[j] = x;
            }
    } else {
        int64_t *ccnt = calloc((size_t)n_cols + 1, sizeof *ccnt);
        int32_t *by_col = malloc(nn * sizeof *by_col); /* pair indexes by column */
        if (!ccnt || !by_col) {
            free(ccnt);
            free(by_col);
            goto nomem;
        }
        for (int64_t k = 0; k < n; k++)
            ccnt[cols[k] + 1]++;
        for (int32_t c = 0; c < n_cols; c++)
            ccnt[c + 1] += ccnt[c];
        for (int64_t k = 0; k < n; k++)
            by_col[ccnt[cols[k]]++] = (int32_t)k;
        free(ccnt);
        for (int64_t k = 0; k < n; k++) {
            int32_t pk = by_col[k];
            tmp[start[rows[pk]]++] = cols[pk];
        }
        free(by_col);
    }
    memcpy(start, fill, ((size_t)n_rows + 1) * sizeof *start);
    int64_t w = 0;
    for (int32_t r = 0; r < n_rows; r++) {
        for (int64_t i = start[r]; i < start[r + 1]; i++) {
            if (i > start[r] && out->idx[w - 1] == tmp[i]) {
                out->val[w - 1] += 1.0f;
                continue;
            }
            out->idx[w] = tmp[i];
            out->val[w] = 1.0f;
            w++;
        }
        out->ptr[r + 1] = w;
    }
    out->nnz = w;
    free(start);
    free(tmp);
    return 0;
nomem:
    free(tmp);
    free(start);
    csr_free(out);
    return err_code_set(err, errlen, ERR_NOMEM, "out of memory building a %d x %d matrix", n_rows,
                        n_cols);
}

int csr_transpose(const struct csr *a, struct csr *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->n_rows = a->n_cols;
    t->n_cols = a->n_rows;
    t->nnz = a->nnz;
    t->ptr = calloc((size_t)t->n_rows + 1, sizeof *t->ptr);
    t->idx = malloc((size_t)(a->nnz ? a->nnz : 1) * sizeof *t->idx);
    t->val = malloc((size_t)(a->nnz ? a->nnz : 1) * sizeof *t->val);
    int64_t *cur = malloc(((size_t)t->n_rows + 1) * sizeof *cur);
    if (!t->ptr || !t->idx || !t->val || !cur) {
        free(cur);
        csr_free(t);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory transposing a matrix");
    }
    for (int64_t k = 0; k < a->nnz; k++)
        t->ptr[a->idx[k] + 1]++;
    for (int32_t r = 0; r < t->n_rows; r++)
        t->ptr[r + 1] += t->ptr[r];
    memcpy(cur, t->ptr, ((size_t)t->n_rows + 1) * sizeof *cur);
    /* rows of a visited in order, so each row of t comes out sorted */
    for (int32_t r = 0; r < a->n_rows; r++)
        for (int64_t k = a->ptr[r]; k < a->ptr[r + 1]; k++) {
            int64_t d = cur[a->idx[k]]++;
            t->idx[d] = r;
            t->val[d] = a->val ? a->val[k] : 1.0f;
        }
    free(cur);
    return 0;
}
