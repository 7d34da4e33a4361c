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
    int32_t label; /* index into struct labels' first-seen list */
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

/* Category labels interned as the catalogue is read: they repeat (74 of
 * them for 3.3M products at 100x), so a row keeps a label index instead of
 * its 64-byte copy, and only the distinct labels are sorted at the end
 * (sorting every product's label was a third of reading the catalogue). */
struct labels {
    char (*uniq)[DS_CAT_LEN]; /* first-seen order */
    int32_t m;
    size_t ucap;
    int32_t *slot; /* open addressing, power of two, at most half full */
    uint32_t cap;
};

static void labels_place(struct labels *l, int32_t u)
{
    uint32_t k = label_hash(l->uniq[u]) & (l->cap - 1);
    while (l->slot[k] >= 0)
        k = (k + 1) & (l->cap - 1);
    l->slot[k] = u;
}

/* The index of label (truncated to DS_CAT_LEN - 1 bytes), added when new;
 * -1 out of memory. */
static int32_t labels_add(struct labels *l, const char *text)
{
    char label[DS_CAT_LEN] = {0};
    snprintf(label, sizeof label, "%s", text);
    if ((uint32_t)l->m * 2 >= l->cap) { /* (re)hash into twice the slots */
        uint32_t cap = l->cap ? l->cap * 2 : 256;
        int32_t *slot = malloc(cap * sizeof *slot);
        if (!slot)
            return -1;
        free(l->slot);
        l->slot = slot;
        l->cap = cap;
        memset(slot, 0xff, cap * sizeof *slot);
        for (int32_t u = 0; u < l->m; u++)
            labels_place(l, u);
    }
    uint32_t j = label_hash(label) & (l->cap - 1);
    while (l->slot[j] >= 0 && strcmp(l->uniq[l->slot[j]], label))
        j = (j + 1) & (l->cap - 1);
    if (l->slot[j] >= 0)
        return l->slot[j];
    if ((size_t)l->m == l->ucap &&
        mem_grow((void **)&l->uniq, sizeof *l->uniq, (size_t)l->m + 1, &l->ucap, DS_MAX_ROWS) < 0)
        return -1;
    memcpy(l->uniq[l->m], label, DS_CAT_LEN);
    return l->slot[j] = l->m++;
}

/* ds->cats: the distinct labels sorted; ds->item_cat[i]: item i's index
 * there (rows[first[i]] is the item's first row). */
static int labels_finish(struct labels *l, struct dataset *ds, const struct item_row *rows,
                         const int32_t *first, char *err, size_t errlen)
{
    int32_t m = l->m, *rank = malloc(((size_t)m + 1) * sizeof *rank);
    char(*sorted)[DS_CAT_LEN] = malloc(((size_t)m + 1) * DS_CAT_LEN);
    int rc = -1;
    ds->cats = calloc((size_t)m + 1, DS_CAT_LEN);
    if (!rank || !sorted || !ds->cats) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    if (m)
        memcpy(sorted, l->uniq, (size_t)m * DS_CAT_LEN);
    qsort(sorted, (size_t)m, DS_CAT_LEN, cmp_label);
    for (int32_t c = 0; c < m; c++) /* zero-padded: the names go into model blobs */
        snprintf(ds->cats[c], DS_CAT_LEN, "%s", sorted[c]);
    for (int32_t u = 0; u < m; u++) {
        char(*hit)[DS_CAT_LEN] = bsearch(l->uniq[u], ds->cats, (size_t)m, DS_CAT_LEN, cmp_label);
        rank[u] = hit ? (int32_t)(hit - ds->cats) : 0;
    }
    ds->n_cats = m;
    for (int32_t i = 0; i < ds->items.n; i++)
        ds->item_cat[i] = rank[rows[first[i]].label];
    rc = 0;
out:
    free(rank);
    free(sorted);
    return rc;
}

int dataset_load_items_products(sqlite3 *db, struct dataset *ds, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t cap = dataset_ids_table_rows(db, "SELECT MAX(rowid) FROM products"), n = 0;
    struct item_row *rows = malloc(cap * sizeof *rows);
    struct labels labels = {0};
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
        if ((rows[n].label = labels_add(&labels, c ? (const char *)c : "")) < 0) {
            err_set(err, errlen, "out of memory");
            goto out;
        }
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
    rc = labels_finish(&labels, ds, rows, first, err, errlen);
out:
    sqlite3_finalize(st);
    free(rows);
    free(first);
    free(labels.uniq);
    free(labels.slot);
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
