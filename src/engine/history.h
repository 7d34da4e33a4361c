/* Every customer's purchase history, with the names the profile and product
 * routes show (categories in English and Portuguese, cities), read once when
 * an engine is built so that GET /api/v1/users/{id} and /products/{id} run
 * no SQL. Compact CSR arrays: the rows of person p (an index into the
 * engine's sorted customer_unique_ids) are rows[ptr[p] .. ptr[p + 1]), in
 * purchase order; order ids, product ids, categories and cities are each
 * stored once and referred to by index. Immutable after history_load, so
 * every function here is safe from many threads at once. */
#ifndef RECSYS_ENGINE_HISTORY_H
#define RECSYS_ENGINE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/dataset.h"
#include "engine/engine.h"

#define HISTORY_NAME_LEN 96 /* bytes kept of a category or city name, NUL included */

struct history_row {
    int32_t order, product; /* indexes into history.order_ids / product_ids */
    double price;
};

struct history {
    int32_t n_people;
    int32_t *ptr; /* n_people + 1 row offsets */
    struct history_row *rows;
    int32_t *n_distinct; /* distinct products among a person's listed rows (RFM) */
    int32_t *city;       /* per person: index into names, -1 when none on record */
    int32_t n_orders;
    char (*order_ids)[DS_ID_LEN];
    int64_t *order_ts; /* per order: seconds since 1970 of "YYYY-MM-DD HH:MM:SS",
                          or -1 - k for odd_ts[k], a time stored in another form */
    int32_t n_odd;
    char (*odd_ts)[24];
    int32_t n_products;
    char (*product_ids)[DS_ID_LEN]; /* sorted: the catalogue and every product bought */
    int32_t *product_cat;           /* index into names (the English category, else the
                                       Portuguese one); -1: not in the catalogue */
    int32_t *product_cat_pt;        /* index into names; -1: not in the catalogue */
    int32_t n_names;
    char (*names)[HISTORY_NAME_LEN]; /* categories and cities, sorted, distinct */
    char latest[24]; /* the latest purchase time in the interactions view, "" none */
};

/* Maps a customer_unique_id as stored to the engine's person index, -1
 * when it is not a customer. */
typedef int32_t (*history_person_fn)(void *ctx, const char *unique_id);

struct sqlite3;
/* Reads the interactions view, the product_catalog view and the customers'
 * cities from db for n_people people (person_of names them). 0, or
 * ERR_FAIL / ERR_NOMEM with err; on failure h holds nothing to free. */
int history_load(struct sqlite3 *db, int32_t n_people, history_person_fn person_of, void *ctx,
                 struct history *h, char *err, size_t errlen);
void history_free(struct history *h);

/* Fills the city, purchases (at most ENGINE_MAX_HISTORY, oldest first) and
 * the counts of out (orders, products, monetary, first and last purchase)
 * for person p; the caller fills the rest. 0, or ERR_NOMEM with err (out
 * then holds nothing to free). */
int history_profile(const struct history *h, int32_t p, struct user_profile *out, char *err,
                    size_t errlen);
/* The Portuguese category of product id into out (len bytes): 1, or 0
 * when the product is not in the catalogue. */
int history_category_pt(const struct history *h, const char *product_id, char *out, size_t len);

#endif
