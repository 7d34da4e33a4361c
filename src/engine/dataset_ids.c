/* The ids of a table as an idmap (see dataset_ids.h). */
#include "engine/dataset_ids.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "engine/khash.h"

/* Row-count estimate for pre-sizing (max rowid: one B-tree descent). */
size_t dataset_ids_table_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    sqlite3_int64 n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n > 0 && n < DS_MAX_ROWS ? (size_t)n + 1 : 4096;
}

struct sorted_key {
    struct ds_key k;
    int32_t row;
};

static int cmp_sorted_key(const void *a, const void *b)
{
    const struct sorted_key *x = a, *y = b;
    int c = khash_key_cmp(&x->k, &y->k);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Sorts s by key, then row: LSD radix on the high word (11-bit digits,
 * stable, rows enter in order) and insertion sort for the rare runs of equal
 * high words. Falls back to qsort when out of memory. */
static void sort_keys(struct sorted_key *s, int32_t n)
{
    struct sorted_key *tmp = malloc(((size_t)n + 1) * sizeof *tmp), *a = s, *b = tmp;
    if (!tmp) {
        qsort(s, (size_t)n, sizeof *s, cmp_sorted_key);
        return;
    }
    for (int shift = 0; shift < 64; shift += 11) {
        int32_t cnt[2049] = {0};
        for (int32_t i = 0; i < n; i++)
            cnt[((a[i].k.hi >> shift) & 2047) + 1]++;
        for (int d = 0; d < 2048; d++)
            cnt[d + 1] += cnt[d];
        for (int32_t i = 0; i < n; i++)
            b[cnt[(a[i].k.hi >> shift) & 2047]++] = a[i];
        struct sorted_key *t = a;
        a = b;
        b = t;
    }
    if (a != s)
        memcpy(s, a, (size_t)n * sizeof *s);
    free(tmp);
    for (int32_t i = 1; i < n; i++) {
        struct sorted_key v = s[i];
        int32_t j = i;
        while (j > 0 && s[j - 1].k.hi == v.k.hi && cmp_sorted_key(&s[j - 1], &v) > 0) {
            s[j] = s[j - 1];
            j--;
        }
        s[j] = v;
    }
}

/* Sorts the keys of rows 0..n-1 (key at the start of each row, stride bytes
 * apart) and fills ids with the distinct ones in order; first_row[j] is the
 * first row carrying id j, and row_id (optional) maps each row to its id.
 * Returns the number of distinct ids, or -1 out of memory. */
int32_t dataset_ids_distinct(const void *rows, size_t stride, int32_t n, struct idmap *ids,
                             int32_t **first_row, int32_t *row_id)
{
    struct sorted_key *s = malloc(((size_t)n + 1) * sizeof *s);
    ids->ids = malloc(((size_t)n + 1) * DS_ID_LEN);
    *first_row = malloc(((size_t)n + 1) * sizeof **first_row);
    if (!s || !ids->ids || !*first_row) {
        free(s);
        return -1;
    }
    for (int32_t r = 0; r < n; r++) {
        memcpy(&s[r].k, (const char *)rows + (size_t)r * stride, sizeof s[r].k);
        s[r].row = r;
    }
    sort_keys(s, n);
    int32_t m = 0;
    for (int32_t r = 0; r < n; r++) {
        if (!m || khash_key_cmp(&s[r - 1].k, &s[r].k)) {
            dataset_key_id(&s[r].k, ids->ids[m]);
            (*first_row)[m++] = s[r].row;
        }
        if (row_id)
            row_id[s[r].row] = m - 1;
    }
    ids->n = m;
    free(s);
    return m;
}
