/* What an engine reads from the database besides its model: the customers
 * (customer_id -> customer_unique_id and state), every purchase history
 * with the catalogue's names (history.h), each product's mean price and
 * review score, and the latest purchase time. None of it depends on the
 * model, so engines of different model versions on one database share one
 * catalogue by reference count: an activation or rollback loads only the
 * model (engine_reopen). Reading it is most of an engine_open (0.9 of 1 s
 * on the Olist data). Immutable once built; only the reference count
 * changes (atomically), so every function here is safe from many threads. */
#ifndef RECSYS_ENGINE_CATALOGUE_H
#define RECSYS_ENGINE_CATALOGUE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/dataset.h"
#include "engine/history.h"

/* What a catalogue was read from: the file (device, inode and creation
 * time: an ingest writes a new file and renames it into place, and an inode
 * number may be reused) and the data in it (the meta table an ingest fills,
 * with its time, and the last rowid of every data table, which catches rows
 * added in place). Activations write only the models tables, so they leave
 * it as it was. */
struct catalogue_key {
    uint64_t dev, ino;
    int64_t btime_sec, btime_nsec; /* 0: the file system does not keep it */
    char *stamp;                   /* NULL: unknown (never matches) */
};

struct catalogue_customer {
    char id[DS_ID_LEN]; /* customer_id, lowercase */
    int32_t person;     /* index into people, -1 */
};

struct catalogue {
    int refs; /* __atomic */
    struct catalogue_key key;
    struct catalogue_customer *cust; /* sorted by customer_id */
    int32_t n_cust;
    struct idmap people;     /* every customer_unique_id in the database */
    char (*people_state)[3]; /* per person, "" unknown */
    char latest[24];         /* the latest purchase: "now" for a profile's recency */
    struct history hist;     /* purchases, cities, catalogue names */
    /* products with order items or reviews, sorted (strcmp), and their
     * details: what a model's items show besides the model's own fields */
    struct idmap products;
    double *price;  /* mean price of the non-outlier items; NAN when none */
    double *rating; /* mean review score; 0 when none */
    int32_t *n_ratings;
};

struct sqlite3;

/* Reads the catalogue of db (opened read-only on db_path) into *out
 * (refcount 1). ERR_FAIL (an SQL error, naming what it read) or ERR_NOMEM
 * with err; *out is then NULL. */
int catalogue_open(struct sqlite3 *db, const char *db_path, struct catalogue **out, char *err,
                   size_t errlen);

/* 1 when c was read from the database db (open on db_path) as it is now
 * (struct catalogue_key), so an engine of another model may share it;
 * else 0, also when either key cannot be read. */
int catalogue_current(const struct catalogue *c, struct sqlite3 *db, const char *db_path);

void catalogue_retain(struct catalogue *c);
void catalogue_release(struct catalogue *c); /* frees at zero; NULL is fine */

/* Lowercases a customer or product id (32 hexadecimal characters) into
 * out; -1 when it is malformed. */
int catalogue_normalise_id(const char *in, char out[DS_ID_LEN]);

/* A (normalised) customer_id or customer_unique_id -> index into people,
 * -1 when unknown; uid gets the resolved customer_unique_id (the input
 * when it is not a known customer_id). */
int32_t catalogue_person(const struct catalogue *c, const char *id, char uid[DS_ID_LEN]);

#endif
