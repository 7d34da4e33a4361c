/* The product side of loading a dataset (see dataset_load.c): the catalogue
 * and its categories, the sellers, and the scan of order items into purchase
 * events joined in memory through the order and product hashes. */
#ifndef RECSYS_ENGINE_DATASET_LOAD_ITEMS_H
#define RECSYS_ENGINE_DATASET_LOAD_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/dataset.h"
#include "engine/khash.h"

struct sqlite3;

/* Rows are parsed in batches of DS_BATCH and their hash slots prefetched
 * before any lookup, so the cache misses of a batch overlap. */
#define DS_BATCH 64

/* A growing array of events (one per reading thread). */
struct ds_evbuf {
    struct event *ev;
    int64_t n;
    size_t cap;
};

/* Appends one event; -1 at DS_MAX_ROWS or out of memory. */
int dataset_load_items_push(struct ds_evbuf *b, struct event ev);

/* Reads product_catalog into ds->items, ds->item_cat and ds->cats. 0, or -1
 * (ERR_FAIL) with err. */
int dataset_load_items_products(struct sqlite3 *db, struct dataset *ds, char *err, size_t errlen);

/* Reads the sellers table into ds->sellers and fills hs (seller key ->
 * index; the caller frees hs->slot). A database without that table (a
 * serving artifact) has no sellers: 0 with ds->sellers empty. -1 (ERR_FAIL)
 * with err otherwise. */
int dataset_load_items_sellers(struct sqlite3 *db, struct dataset *ds, struct khash *hs, char *err,
                               size_t errlen);

/* The order items with rowid in (lo, hi_row], joined through the order (ho:
 * order -> person << 32 | day), product (hi) and seller (hs, may be empty)
 * hashes into out. Runs as a thread: db NULL opens path on its own
 * connection. rc is 0 when the whole range was read. */
struct ds_item_scan {
    const char *path;
    struct sqlite3 *db;
    const struct khash *ho, *hi, *hs;
    int64_t lo, hi_row;
    struct ds_evbuf out;
    int rc;
};
void *dataset_load_items_scan(void *arg);

#endif
