/* Loading interactions from SQLite into id maps, events and CSR matrices. */
#include "engine/dataset.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static int cmp_id(const void *a, const void *b) { return strcmp(a, b); }

int32_t idmap_find(const struct idmap *m, const char *id)
{
    if (!id || strlen(id) != DS_ID_LEN - 1 || !m->n)
        return -1;
    const char(*hit)[DS_ID_LEN] = bsearch(id, m->ids, (size_t)m->n, DS_ID_LEN, cmp_id);
    return hit ? (int32_t)(hit - m->ids) : -1;
}

void idmap_free(struct idmap *m)
{
    free(m->ids);
    m->ids = NULL;
    m->n = 0;
}

void csr_free(struct csr *m)
{
    free(m->ptr);
    free(m->idx);
    free(m->val);
    memset(m, 0, sizeof *m);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int csr_from_pairs(int32_t n_rows, int32_t n_cols, int64_t n, const int32_t *rows,
                   const int32_t *cols, struct csr *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->n_rows = n_rows;
    out->n_cols = n_cols;
    int64_t *cnt = calloc((size_t)n_rows + 1, sizeof *cnt);
    int32_t *tmp = malloc((size_t)(n ? n : 1) * sizeof *tmp);
    out->ptr = calloc((size_t)n_rows + 1, sizeof *out->ptr);
    out->idx = malloc((size_t)(n ? n : 1) * sizeof *out->idx);
    out->val = malloc((size_t)(n ? n : 1) * sizeof *out->val);
    if (!cnt || !tmp || !out->ptr || !out->idx || !out->val) {
        free(cnt);
        free(tmp);
        csr_free(out);
        return err_set(err, errlen, "out of memory building a %d x %d matrix", n_rows, n_cols);
    }
    /* Counting sort by row, then sort each row's columns and merge repeats. */
    for (int64_t k = 0; k < n; k++)
        cnt[rows[k] + 1]++;
    for (int32_t r = 0; r < n_rows; r++)
        cnt[r + 1] += cnt[r];
    int64_t *fill = out->ptr; /* reuse as cursor */
    memcpy(fill, cnt, ((size_t)n_rows + 1) * sizeof *fill);
    for (int64_t k = 0; k < n; k++)
        tmp[fill[rows[k]]++] = cols[k];
    int64_t w = 0;
    out->ptr[0] = 0;
    for (int32_t r = 0; r < n_rows; r++) {
        int64_t a = cnt[r], b = cnt[r + 1];
        /* insertion sort for short rows (a customer's products), qsort for long
         * ones (a state's purchases) so no row can go quadratic */
        if (b - a > 32)
            qsort(tmp + a, (size_t)(b - a), sizeof *tmp, cmp_i32);
        else
            for (int64_t i = a + 1; i < b; i++) {
            int32_t v = tmp[i];
            int64_t j = i;
            while (j > a && tmp[j - 1] > v) {
                tmp[j] = tmp[j - 1];
                j--;
            }
            tmp[j] = v;
        }
        for (int64_t i = a; i < b; i++) {
            if (w > 0 && i > a && out->idx[w - 1] == tmp[i]) {
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
    free(cnt);
    free(tmp);
    return 0;
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
        return err_set(err, errlen, "out of memory transposing a matrix");
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

/* Days from civil date (Howard Hinnant's algorithm). */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int32_t ds_parse_day(const char *s)
{
    if (!s || strlen(s) < 10)
        return -1;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return -1;
    if (s[10] && s[10] != ' ' && s[10] != 'T')
        return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2200)
        return -1;
    return days_from_civil(y, m, d);
}

void ds_format_day(int32_t z, char out[11])
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    char buf[48];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    memcpy(out, buf, 10);
    out[10] = 0;
}

int ds_state_index(const struct dataset *ds, const char *state)
{
    if (!state)
        return -1;
    for (int i = 0; i < ds->n_states; i++)
        if (!strcmp(ds->states[i], state))
            return i;
    return -1;
}

/* Open-addressing hash over strings stored elsewhere, stride bytes apart
 * (ids or labels): O(1) lookups for the in-memory joins of dataset_load,
 * where sorting and binary searching 100k-row tables dominated. */
struct strhash {
    uint32_t mask;
    int32_t *slot; /* -1 empty, else index into keys */
    const char *keys;
    size_t stride, keylen;
};

static uint32_t str_hash(const char *s, size_t keylen)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < keylen && s[i]; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int strhash_init(struct strhash *h, const char *keys, size_t stride, size_t keylen,
                        int32_t n)
{
    uint32_t cap = 16;
    while (cap < (uint32_t)n * 2u + 1u && cap < (1u << 30))
        cap <<= 1;
    h->mask = cap - 1;
    h->keys = keys;
    h->stride = stride;
    h->keylen = keylen;
    h->slot = malloc((size_t)cap * sizeof *h->slot);
    if (!h->slot)
        return -1;
    memset(h->slot, 0xff, (size_t)cap * sizeof *h->slot);
    return 0;
}

/* Index of key, or -1; with insert_as >= 0 an absent key is added as that
 * index (the caller has already stored it at keys + insert_as * stride). */
static int32_t strhash_get(struct strhash *h, const char *key, int32_t insert_as)
{
    if (!key)
        return -1;
    for (uint32_t i = str_hash(key, h->keylen) & h->mask;; i = (i + 1) & h->mask) {
        int32_t k = h->slot[i];
        if (k < 0) {
            if (insert_as >= 0)
                h->slot[i] = insert_as;
            return insert_as >= 0 ? insert_as : -1;
        }
        if (!strncmp(h->keys + (size_t)k * h->stride, key, h->keylen))
            return k;
    }
}

static int strhash_from(struct strhash *h, const char *keys, size_t stride, size_t keylen,
                        int32_t n)
{
    if (strhash_init(h, keys, stride, keylen, n) < 0)
        return -1;
    for (int32_t i = 0; i < n; i++)
        strhash_get(h, keys + (size_t)i * stride, i);
    return 0;
}

static int cmp_event(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

static int valid_id(const unsigned char *s)
{
    if (!s || strlen((const char *)s) != DS_ID_LEN - 1)
        return 0;
    for (int i = 0; i < DS_ID_LEN - 1; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Reads "SELECT id, label" rows into a sorted idmap, with labels parallel to
 * it (uniqueness by id, first label wins). labels: out array of DS_CAT_LEN. */
static int load_ids(sqlite3 *db, const char *sql, struct idmap *m, char (**labels)[DS_CAT_LEN],
                    char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    size_t cap = 1024, n = 0;
    struct row {
        char id[DS_ID_LEN];
        char label[DS_CAT_LEN];
    } *rows = malloc(cap * sizeof *rows);
    if (!rows)
        return err_set(err, errlen, "out of memory");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot read the database: %s (%s)", sqlite3_errmsg(db), sql);
        goto out;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0);
        const unsigned char *lab = sqlite3_column_text(st, 1);
        if (!valid_id(id))
            continue;
        if (n == cap) {
            if (cap >= DS_MAX_ROWS) {
                err_set(err, errlen, "more than %d rows in: %s", DS_MAX_ROWS, sql);
                goto out;
            }
            void *p = realloc(rows, cap * 2 * sizeof *rows);
            if (!p) {
                err_set(err, errlen, "out of memory");
                goto out;
            }
            rows = p;
            cap *= 2;
        }
        memcpy(rows[n].id, id, DS_ID_LEN);
        snprintf(rows[n].label, DS_CAT_LEN, "%s", lab ? (const char *)lab : "");
        n++;
    }
    if (s != SQLITE_DONE) {
        err_set(err, errlen, "cannot read the database: %s", sqlite3_errmsg(db));
        goto out;
    }
    /* stable order: sort by id then keep the first of each run */
    qsort(rows, n, sizeof *rows, cmp_id);
    m->ids = malloc((n ? n : 1) * DS_ID_LEN);
    *labels = malloc((n ? n : 1) * DS_CAT_LEN);
    if (!m->ids || !*labels) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    m->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (m->n && !strcmp(m->ids[m->n - 1], rows[i].id))
            continue;
        memcpy(m->ids[m->n], rows[i].id, DS_ID_LEN);
        memcpy((*labels)[m->n], rows[i].label, DS_CAT_LEN);
        m->n++;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(rows);
    return rc;
}

/* Turns per-entity labels into a small sorted dictionary plus indexes:
 * distinct labels through a hash, then only the dictionary is sorted. */
static int intern_labels(char (*labels)[DS_CAT_LEN], int32_t n, int maxlen, int *n_dict,
                         char **dict_out, int32_t *index)
{
    struct strhash h;
    int32_t k = 0, *first = malloc(((size_t)n + 1) * sizeof *first);
    int32_t *rank = malloc(((size_t)n + 1) * sizeof *rank);
    char(*sorted)[DS_CAT_LEN] = malloc(((size_t)n + 1) * DS_CAT_LEN);
    char *dict = NULL;
    int rc = -1;
    if (!first || !rank || !sorted || strhash_init(&h, (const char *)labels, DS_CAT_LEN,
                                                   DS_CAT_LEN, n) < 0)
        goto out;
    for (int32_t i = 0; i < n; i++) {
        int32_t f = strhash_get(&h, labels[i], i);
        if (f == i)
            memcpy(sorted[k], labels[i], DS_CAT_LEN), first[k++] = i;
        index[i] = f; /* first entity with that label, for now */
    }
    free(h.slot);
    qsort(sorted, (size_t)k, DS_CAT_LEN, cmp_id);
    dict = calloc((size_t)(k ? k : 1), (size_t)maxlen);
    if (!dict)
        goto out;
    for (int32_t j = 0; j < k; j++) {
        snprintf(dict + (size_t)j * (size_t)maxlen, (size_t)maxlen, "%s", sorted[j]);
        /* the first entity carrying sorted[j]: found again through a search
         * over the k distinct labels only */
    }
    for (int32_t j = 0; j < k; j++) {
        char(*hit)[DS_CAT_LEN] = bsearch(labels[first[j]], sorted, (size_t)k, DS_CAT_LEN, cmp_id);
        rank[first[j]] = (int32_t)(hit - sorted);
    }
    for (int32_t i = 0; i < n; i++)
        index[i] = rank[index[i]];
    *n_dict = k;
    *dict_out = dict;
    dict = NULL;
    rc = 0;
out:
    free(first);
    free(rank);
    free(sorted);
    free(dict);
    return rc;
}

/* Keyed rows for the in-memory join below. */
struct keyrow {
    char key[DS_ID_LEN];
    int32_t a, b;
};

struct join_ctx {
    struct strhash users, items, cust, orders;
    const struct keyrow *cust_rows;
};

/* Runs sql (an id column first) into a keyrow array; map() fills (a, b) from
 * the other columns and returns -1 to skip the row. */
static int load_keyrows(sqlite3 *db, const char *sql,
                        int (*map)(const struct join_ctx *, sqlite3_stmt *, struct keyrow *),
                        const struct join_ctx *j, struct keyrow **out, size_t *n_out)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 4096, n = 0;
    struct keyrow *rows = malloc(cap * sizeof *rows);
    int rc = -1, s;
    if (!rows || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto out;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_text(st, 0);
        if (!valid_id(k))
            continue;
        if (n == cap) {
            void *p = cap < DS_MAX_ROWS ? realloc(rows, cap * 2 * sizeof *rows) : NULL;
            if (!p)
                goto out;
            rows = p;
            cap *= 2;
        }
        memcpy(rows[n].key, k, DS_ID_LEN);
        if (map(j, st, &rows[n]) == 0)
            n++;
    }
    if (s != SQLITE_DONE)
        goto out;
    *out = rows;
    *n_out = n;
    rows = NULL;
    rc = 0;
out:
    sqlite3_finalize(st);
    free(rows);
    return rc;
}

static int map_customer(const struct join_ctx *j, sqlite3_stmt *st, struct keyrow *r)
{
    r->a = strhash_get((struct strhash *)&j->users, (const char *)sqlite3_column_text(st, 1), -1);
    return r->a < 0 ? -1 : 0;
}

static int map_order(const struct join_ctx *j, sqlite3_stmt *st, struct keyrow *r)
{
    int32_t c = strhash_get((struct strhash *)&j->cust, (const char *)sqlite3_column_text(st, 1), -1);
    r->a = c >= 0 ? j->cust_rows[c].a : -1;
    r->b = ds_parse_day((const char *)sqlite3_column_text(st, 2));
    return r->a < 0 || r->b < 0 ? -1 : 0;
}

/* The interactions view, joined in memory: three table scans and hash
 * lookups instead of two B-tree seeks per order item (several times faster
 * on Olist). The filters must stay those of the view in schema.c: orders not
 * canceled or unavailable, with a purchase timestamp, items not price
 * outliers; test_engine checks both give the same rows. Returns -1 when the
 * tables cannot be read (the caller then uses the view). */
static int load_events_direct(sqlite3 *db, struct dataset *ds, double *psum, int32_t *pcnt,
                              size_t *cap)
{
    struct keyrow *cust = NULL, *ord = NULL;
    size_t n_cust = 0, n_ord = 0;
    sqlite3_stmt *st = NULL;
    struct join_ctx j = {0};
    int rc = -1, s;
    if (strhash_from(&j.users, (const char *)ds->users.ids, DS_ID_LEN, DS_ID_LEN - 1,
                     ds->users.n) < 0 ||
        strhash_from(&j.items, (const char *)ds->items.ids, DS_ID_LEN, DS_ID_LEN - 1,
                     ds->items.n) < 0)
        goto out;
    if (load_keyrows(db, "SELECT customer_id, customer_unique_id FROM customers", map_customer,
                     &j, &cust, &n_cust) < 0 ||
        strhash_from(&j.cust, (const char *)cust, sizeof *cust, DS_ID_LEN - 1,
                     (int32_t)n_cust) < 0)
        goto out;
    j.cust_rows = cust;
    if (load_keyrows(db,
                     "SELECT order_id, customer_id, order_purchase_timestamp FROM orders"
                     " WHERE order_status NOT IN ('canceled', 'unavailable')"
                     " AND order_purchase_timestamp IS NOT NULL",
                     map_order, &j, &ord, &n_ord) < 0 ||
        strhash_from(&j.orders, (const char *)ord, sizeof *ord, DS_ID_LEN - 1,
                     (int32_t)n_ord) < 0)
        goto out;
    if (sqlite3_prepare_v2(db, "SELECT order_id, product_id, price FROM order_items"
                           " WHERE price_outlier = 0", -1, &st, NULL) != SQLITE_OK)
        goto out;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int32_t o = strhash_get(&j.orders, (const char *)sqlite3_column_text(st, 0), -1);
        int32_t it = strhash_get(&j.items, (const char *)sqlite3_column_text(st, 1), -1);
        if (o < 0 || it < 0)
            continue;
        if ((size_t)ds->n_events == *cap) {
            void *p = *cap < DS_MAX_ROWS ? realloc(ds->events, *cap * 2 * sizeof *ds->events) : NULL;
            if (!p)
                goto out;
            ds->events = p;
            *cap *= 2;
        }
        double price = sqlite3_column_double(st, 2);
        ds->events[ds->n_events++] = (struct event){ord[o].a, it, ord[o].b, (float)price};
        psum[it] += price;
        pcnt[it]++;
    }
    rc = s == SQLITE_DONE ? 0 : -1;
out:
    sqlite3_finalize(st);
    free(cust);
    free(ord);
    free(j.users.slot);
    free(j.items.slot);
    free(j.cust.slot);
    free(j.orders.slot);
    return rc;
}

/* The same rows through the interactions view (the contract's definition). */
static int load_events_view(sqlite3 *db, struct dataset *ds, double *psum, int32_t *pcnt,
                            size_t *cap)
{
    sqlite3_stmt *st = NULL;
    int s;
    if (sqlite3_prepare_v2(db, "SELECT user_id, product_id, ts, price FROM interactions"
                           " WHERE ts IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
        return -1;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int32_t u = idmap_find(&ds->users, (const char *)sqlite3_column_text(st, 0));
        int32_t it = idmap_find(&ds->items, (const char *)sqlite3_column_text(st, 1));
        int32_t day = ds_parse_day((const char *)sqlite3_column_text(st, 2));
        if (u < 0 || it < 0 || day < 0)
            continue; /* dangling ids or a bad timestamp: ingest reported them */
        if ((size_t)ds->n_events == *cap) {
            void *p = *cap < DS_MAX_ROWS ? realloc(ds->events, *cap * 2 * sizeof *ds->events) : NULL;
            if (!p) {
                sqlite3_finalize(st);
                return -1;
            }
            ds->events = p;
            *cap *= 2;
        }
        double price = sqlite3_column_double(st, 3);
        ds->events[ds->n_events++] = (struct event){u, it, day, (float)price};
        psum[it] += price;
        pcnt[it]++;
    }
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? 0 : -1;
}

int dataset_load(const char *path, struct dataset *ds, char *err, size_t errlen)
{
    return dataset_load_mode(path, ds, 0, err, errlen);
}

int dataset_load_mode(const char *path, struct dataset *ds, int via_view, char *err,
                      size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char(*ulab)[DS_CAT_LEN] = NULL, (*ilab)[DS_CAT_LEN] = NULL;
    int32_t *tmp = NULL;
    int rc = -1;
    memset(ds, 0, sizeof *ds);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot open database %s: %s", path,
                db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    /* a larger page cache for the view path's random seeks (the direct path
     * scans sequentially); no mmap, which would count the file as our RSS */
    sqlite3_exec(db, "PRAGMA cache_size=-16384", NULL, NULL, NULL);
    if (load_ids(db, "SELECT customer_unique_id, customer_state FROM customers", &ds->users,
                 &ulab, err, errlen) < 0 ||
        load_ids(db, "SELECT product_id, category FROM product_catalog", &ds->items, &ilab, err,
                 errlen) < 0)
        goto out;
    ds->user_state = malloc((size_t)(ds->users.n ? ds->users.n : 1) * sizeof *ds->user_state);
    ds->item_cat = malloc((size_t)(ds->items.n ? ds->items.n : 1) * sizeof *ds->item_cat);
    ds->item_price = malloc((size_t)(ds->items.n ? ds->items.n : 1) * sizeof *ds->item_price);
    tmp = malloc((size_t)(ds->users.n ? ds->users.n : 1) * sizeof *tmp);
    if (!ds->user_state || !ds->item_cat || !ds->item_price || !tmp) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < ds->users.n; i++)
        ulab[i][2] = 0; /* states are two letters */
    char *dict = NULL;
    if (intern_labels(ulab, ds->users.n, 3, &ds->n_states, &dict, tmp) < 0 ||
        (ds->states = (char(*)[3])dict, 0) ||
        intern_labels(ilab, ds->items.n, DS_CAT_LEN, &ds->n_cats, &dict, ds->item_cat) < 0) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    ds->cats = (char(*)[DS_CAT_LEN])dict;
    for (int32_t i = 0; i < ds->users.n; i++)
        ds->user_state[i] = (int16_t)(tmp[i] >= 0 && ds->states[tmp[i]][0] ? tmp[i] : -1);

    /* events */
    size_t cap = 4096;
    double *psum = calloc((size_t)(ds->items.n ? ds->items.n : 1), sizeof *psum);
    int32_t *pcnt = calloc((size_t)(ds->items.n ? ds->items.n : 1), sizeof *pcnt);
    ds->events = malloc(cap * sizeof *ds->events);
    if (!psum || !pcnt || !ds->events) {
        free(psum);
        free(pcnt);
        err_set(err, errlen, "out of memory");
        goto out;
    }
    int direct = via_view ? -1 : load_events_direct(db, ds, psum, pcnt, &cap);
    if (direct < 0) {
        ds->n_events = 0;
        memset(psum, 0, (size_t)ds->items.n * sizeof *psum);
        memset(pcnt, 0, (size_t)ds->items.n * sizeof *pcnt);
        if (load_events_view(db, ds, psum, pcnt, &cap) < 0) {
            free(psum);
            free(pcnt);
            err_set(err, errlen, "cannot read the interactions view of %s: %s", path,
                    sqlite3_errmsg(db));
            goto out;
        }
    }
    for (int32_t i = 0; i < ds->items.n; i++)
        ds->item_price[i] = pcnt[i] ? (float)(psum[i] / pcnt[i]) : -1.0f;
    free(psum);
    free(pcnt);
    qsort(ds->events, (size_t)ds->n_events, sizeof *ds->events, cmp_event);
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(ulab);
    free(ilab);
    free(tmp);
    if (rc < 0)
        dataset_free(ds);
    return rc;
}

void dataset_free(struct dataset *ds)
{
    idmap_free(&ds->users);
    idmap_free(&ds->items);
    free(ds->user_state);
    free(ds->item_cat);
    free(ds->item_price);
    free(ds->states);
    free(ds->cats);
    free(ds->events);
    memset(ds, 0, sizeof *ds);
}

int ds_train_matrix(const struct dataset *ds, int32_t cutoff_day, struct csr *ui, char *err,
                    size_t errlen)
{
    int64_t n = 0;
    while (n < ds->n_events && ds->events[n].day < cutoff_day)
        n++;
    int32_t *r = malloc((size_t)(n ? n : 1) * sizeof *r);
    int32_t *c = malloc((size_t)(n ? n : 1) * sizeof *c);
    if (!r || !c) {
        free(r);
        free(c);
        return err_set(err, errlen, "out of memory");
    }
    for (int64_t k = 0; k < n; k++) {
        r[k] = ds->events[k].user;
        c[k] = ds->events[k].item;
    }
    int rc = csr_from_pairs(ds->users.n, ds->items.n, n, r, c, ui, err, errlen);
    free(r);
    free(c);
    return rc;
}

static void *dup_mem(const void *p, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

int dataset_copy_context(const struct dataset *s, struct dataset *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->users.n = s->users.n;
    d->items.n = s->items.n;
    d->n_states = s->n_states;
    d->n_cats = s->n_cats;
    d->users.ids = dup_mem(s->users.ids, (size_t)s->users.n * DS_ID_LEN);
    d->items.ids = dup_mem(s->items.ids, (size_t)s->items.n * DS_ID_LEN);
    d->user_state = dup_mem(s->user_state, (size_t)s->users.n * sizeof *s->user_state);
    d->item_cat = dup_mem(s->item_cat, (size_t)s->items.n * sizeof *s->item_cat);
    d->item_price = dup_mem(s->item_price, (size_t)s->items.n * sizeof *s->item_price);
    d->states = dup_mem(s->states, (size_t)s->n_states * 3);
    d->cats = dup_mem(s->cats, (size_t)s->n_cats * DS_CAT_LEN);
    if (!d->users.ids || !d->items.ids || !d->user_state || !d->item_cat || !d->item_price ||
        !d->states || !d->cats) {
        dataset_free(d);
        return err_set(err, errlen, "out of memory copying the dataset");
    }
    return 0;
}
