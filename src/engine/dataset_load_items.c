/* The product side of loading a dataset (see dataset_load_items.h). */
#include "engine/dataset_load_items.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset_ids.h"
#include "engine/dataset_load.h"
#include "util/error.h"
#include "util/mem.h"

/* --- products and their categories ------------------------------------- */
struct item_row {
    struct ds_key pid;
    char cat[DS_CAT_LEN];
};

static int cmp_label(const void *a, const void *b)
{
    return strcmp(a, b);
}

static uint32_t label_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Distinct category labels of the items (sorted) and each item's index.
 * Labels repeat (74 of them for 3.3M products at 100x), so each is hashed
 * into a first-seen list and only the distinct ones are sorted: sorting
 * every item's 64-byte label was a third of reading the catalogue. */
static int intern_cats(struct dataset *ds, const struct item_row *rows, const int32_t *first,
                       char *err, size_t errlen)
{
    int32_t n = ds->items.n, m = 0;
    size_t ucap = 0;
    uint32_t cap = 256; /* power of two, at most half full */
    char(*uniq)[DS_CAT_LEN] = NULL;
    char(*sorted)[DS_CAT_LEN] = NULL;
    int32_t *slot = malloc(cap * sizeof *slot), *rank = NULL;
    int rc = -1;
    if (!slot)
        return err_set(err, errlen, "out of memory");
    memset(slot, 0xff, cap * sizeof *slot);
    for (int32_t i = 0; i < n; i++) {
        const char *label = rows[first[i]].cat;
        uint32_t j = label_hash(label) & (cap - 1);
        while (slot[j] >= 0 && strcmp(uniq[slot[j]], label))
            j = (j + 1) & (cap - 1);
        int32_t id = slot[j];
        if (id < 0) {
            if ((size_t)m == ucap &&
                mem_grow((void **)&uniq, sizeof *uniq, (size_t)m + 1, &ucap, DS_MAX_ROWS) < 0)
                goto oom;
            memcpy(uniq[m], label, DS_CAT_LEN);
            slot[j] = id = m++;
            if ((uint32_t)m * 2 > cap) { /* rehash into twice the slots */
                int32_t *bigger = malloc(2 * (size_t)cap * sizeof *bigger);
                if (!bigger)
                    goto oom;
                free(slot);
                slot = bigger;
                cap *= 2;
                memset(slot, 0xff, cap * sizeof *slot);
                for (int32_t u = 0; u < m; u++) {
                    uint32_t k = label_hash(uniq[u]) & (cap - 1);
                    while (slot[k] >= 0)
                        k = (k + 1) & (cap - 1);
                    slot[k] = u;
                }
            }
        }
        ds->item_cat[i] = id; /* first-seen index until the labels are sorted */
    }
    sorted = malloc(((size_t)m + 1) * DS_CAT_LEN);
    rank = malloc(((size_t)m + 1) * sizeof *rank);
    ds->cats = calloc((size_t)m + 1, DS_CAT_LEN);
    if (!sorted || !rank || !ds->cats)
        goto oom;
    memcpy(sorted, uniq, (size_t)m * DS_CAT_LEN);
    qsort(sorted, (size_t)m, DS_CAT_LEN, cmp_label);
    for (int32_t c = 0; c < m; c++) /* zero-padded: the names go into model blobs */
        snprintf(ds->cats[c], DS_CAT_LEN, "%s", sorted[c]);
    for (int32_t u = 0; u < m; u++) {
        char(*hit)[DS_CAT_LEN] = bsearch(uniq[u], ds->cats, (size_t)m, DS_CAT_LEN, cmp_label);
        rank[u] = hit ? (int32_t)(hit - ds->cats) : 0;
    }
    ds->n_cats = m;
    for (int32_t i = 0; i < n; i++)
        ds->item_cat[i] = rank[ds->item_cat[i]];
    rc = 0;
    goto out;
oom:
    err_set(err, errlen, "out of memory");
out:
    free(slot);
    free(uniq);
    free(sorted);
    free(rank);
    return rc;
}

int dataset_load_items_products(sqlite3 *db, struct dataset *ds, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t cap = dataset_ids_table_rows(db, "SELECT MAX(rowid) FROM products"), n = 0;
    struct item_row *rows = malloc(cap * sizeof *rows);
    int32_t *first = NULL;
    int rc = -1, s;
    if (!rows)
        return err_set(err, errlen, "out of memory");
    if (sqlite3_prepare_v2(db, "SELECT product_id, category FROM product_catalog", -1, &st, NULL) !=
        SQLITE_OK) {
        err_set(err, errlen, "cannot read product_catalog: %s", sqlite3_errmsg(db));
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct ds_key k;
        if (dataset_id_key((const char *)sqlite3_column_text(st, 0), &k) < 0)
            continue;
        if (n == cap && mem_grow((void **)&rows, sizeof *rows, n + 1, &cap, DS_MAX_ROWS) < 0) {
            err_set(err, errlen, "more than %d products, or out of memory", DS_MAX_ROWS);
            goto out;
        }
        const unsigned char *c = sqlite3_column_text(st, 1);
        rows[n].pid = k;
        snprintf(rows[n].cat, DS_CAT_LEN, "%s", c ? (const char *)c : "");
        n++;
    }
    if (s != SQLITE_DONE) {
        err_set(err, errlen, "cannot read product_catalog: %s", sqlite3_errmsg(db));
        goto out;
    }
    if (dataset_ids_distinct(rows, sizeof *rows, (int32_t)n, &ds->items, &first, NULL) < 0 ||
        !(ds->item_cat = malloc(((size_t)ds->items.n + 1) * sizeof *ds->item_cat))) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    rc = intern_cats(ds, rows, first, err, errlen);
out:
    sqlite3_finalize(st);
    free(rows);
    free(first);
    return rc;
}

/* --- sellers -------------------------------------------------------------- */
int dataset_load_items_sellers(sqlite3 *db, struct dataset *ds, struct khash *hs, char *err,
                               size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0, n = 0;
    struct ds_key *rows = NULL;
    int32_t *first = NULL;
    int rc = -1, s;
    if (sqlite3_prepare_v2(db, "SELECT seller_id FROM sellers", -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return 0; /* no sellers table (a serving artifact): no sellers */
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct ds_key k;
        if (dataset_id_key((const char *)sqlite3_column_text(st, 0), &k) < 0)
            continue;
        if (n == cap && mem_grow((void **)&rows, sizeof *rows, n + 1, &cap, DS_MAX_ROWS) < 0) {
            err_set(err, errlen, "more than %d sellers, or out of memory", DS_MAX_ROWS);
            goto out;
        }
        rows[n++] = k;
    }
    if (s != SQLITE_DONE) {
        err_set(err, errlen, "cannot read the sellers table: %s", sqlite3_errmsg(db));
        goto out;
    }
    if (dataset_ids_distinct(rows, sizeof *rows, (int32_t)n, &ds->sellers, &first, NULL) < 0 ||
        khash_init(hs, (size_t)ds->sellers.n) < 0) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    for (int32_t i = 0; i < ds->sellers.n; i++) {
        struct ds_key k;
        dataset_id_key(ds->sellers.ids[i], &k);
        khash_put(hs, &k, i);
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(rows);
    free(first);
    return rc;
}

/* --- order items ----------------------------------------------------------- */
int dataset_load_items_push(struct ds_evbuf *b, struct event ev)
{
    if ((size_t)b->n == b->cap &&
        mem_grow((void **)&b->ev, sizeof *b->ev, (size_t)b->n + 1, &b->cap, DS_MAX_ROWS) < 0)
        return -1;
    b->ev[b->n++] = ev;
    return 0;
}

/* One parsed order item waiting for its batch's lookups. */
struct item_row_pending {
    struct ds_key order, product, seller;
    float price;
    int has_seller; /* the seller id parsed (NULL in an artifact) */
};

/* Turns one batch of order items into events. */
static int add_items(struct ds_evbuf *out, const struct ds_item_scan *t,
                     const struct item_row_pending *pb, int n)
{
    int sellers = t->hs && t->hs->slot;
    for (int i = 0; i < n; i++) {
        khash_prefetch(t->ho, &pb[i].order);
        khash_prefetch(t->hi, &pb[i].product);
        if (sellers && pb[i].has_seller)
            khash_prefetch(t->hs, &pb[i].seller);
    }
    for (int i = 0; i < n; i++) {
        int64_t o = khash_find(t->ho, &pb[i].order), it = khash_find(t->hi, &pb[i].product);
        if (o < 0 || it < 0)
            continue;
        int64_t s = sellers && pb[i].has_seller ? khash_find(t->hs, &pb[i].seller) : -1;
        struct event ev = {(int32_t)(o >> 32), (int32_t)it, (int32_t)(uint32_t)o, pb[i].price,
                           (int32_t)s};
        if (dataset_load_items_push(out, ev) < 0)
            return -1;
    }
    return 0;
}

void *dataset_load_items_scan(void *arg)
{
    struct ds_item_scan *t = arg;
    sqlite3 *db = t->db;
    sqlite3_stmt *st = NULL;
    struct item_row_pending pb[DS_BATCH];
    int s = SQLITE_ERROR, n = 0;
    t->rc = -1;
    if (!db) {
        if (dataset_load_open(t->path, &db, NULL, 0) < 0)
            goto out;
        sqlite3_exec(db, "PRAGMA cache_size=200", NULL, NULL, NULL);
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT order_id, product_id, price, seller_id FROM order_items"
                           " WHERE rowid > ?1 AND rowid <= ?2 AND price_outlier = 0",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, t->lo) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, t->hi_row) != SQLITE_OK)
        goto out;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct item_row_pending *p = &pb[n];
        if (dataset_id_key((const char *)sqlite3_column_text(st, 0), &p->order) < 0 ||
            dataset_id_key((const char *)sqlite3_column_text(st, 1), &p->product) < 0)
            continue;
        p->price = (float)sqlite3_column_double(st, 2);
        p->has_seller = dataset_id_key((const char *)sqlite3_column_text(st, 3), &p->seller) == 0;
        if (++n == DS_BATCH) {
            if (add_items(&t->out, t, pb, n) < 0)
                goto out;
            n = 0;
        }
    }
    if (s == SQLITE_DONE && add_items(&t->out, t, pb, n) == 0)
        t->rc = 0;
out:
    sqlite3_finalize(st);
    if (db != t->db)
        sqlite3_close(db);
    return NULL;
}
