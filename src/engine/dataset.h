/* Interactions from SQLite into memory: id maps (sorted, binary searched),
 * per-user state, per-product category and price, the purchase events sorted
 * by day, and CSR matrices built from them. Never a dense users x products
 * matrix: everything is O(users + products + interactions). */
#ifndef RECSYS_ENGINE_DATASET_H
#define RECSYS_ENGINE_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "engine/csr.h"

#define DS_ID_LEN   33
#define DS_CAT_LEN  64
#define DS_MAX_ROWS 50000000 /* hard cap on rows read from any table */

/* Sorted array of 32-hex ids; index = position. */
struct idmap {
    int32_t n;
    char (*ids)[DS_ID_LEN];
};
int32_t dataset_idmap_find(const struct idmap *m, const char *id); /* -1 when absent */

/* An id as a 128-bit number: 32 lowercase hex characters parse into it (and
 * back); for such ids the numeric order is the string order. */
struct ds_key {
    uint64_t hi, lo;
};
int dataset_id_key(const char *id, struct ds_key *k); /* -1 when not 32 lowercase hex */
void dataset_key_id(const struct ds_key *k, char out[DS_ID_LEN]);
void dataset_idmap_free(struct idmap *m);

struct event {
    int32_t user, item;
    int32_t day; /* days since 1970-01-01 */
    float price;
    int32_t seller; /* index into sellers of the order item; -1 unknown */
};

struct dataset {
    struct idmap users;  /* every customer_unique_id in customers */
    struct idmap items;  /* every product_id in products: the catalogue */
    int16_t *user_state; /* index into states, -1 unknown */
    int32_t *item_cat;   /* index into cats */
    float *item_price;   /* mean price over all interactions, -1 unknown */
    int n_states;
    char (*states)[3];
    int n_cats;
    char (*cats)[DS_CAT_LEN]; /* English name, Portuguese when untranslated */
    int64_t n_events;
    struct event *events; /* sorted by day, then user, then item */
    /* every seller_id in sellers; empty in a model's context and when the
     * database has no sellers table (a serving artifact) */
    struct idmap sellers;
};

void dataset_free(struct dataset *ds);

/* "YYYY-MM-DD[ HH:MM:SS]" (or 'T' before the time) -> days since 1970-01-01;
 * -1 when malformed, not a calendar date, or the year is outside
 * 1970..2200. Whatever follows the separator is not read. */
int32_t dataset_parse_day(const char *s);
void dataset_format_day(int32_t day, char out[11]);
int dataset_state_index(const struct dataset *ds, const char *state); /* -1 when absent */

/* Users x items purchase counts of the events with day < cutoff_day. */
int dataset_train_matrix(const struct dataset *ds, int32_t cutoff_day, struct csr *ui, char *err,
                         size_t errlen);

/* Deep copy of everything but the events (for a model's own context). */
int dataset_copy_context(const struct dataset *src, struct dataset *dst, char *err, size_t errlen);
#endif
