/* The model-independent part of an engine (see catalogue.h). */
#include "engine/catalogue.h"

#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"
#include "util/mem.h"
#include "util/sbuf.h"

int catalogue_normalise_id(const char *in, char out[DS_ID_LEN])
{
    if (!in || strlen(in) != DS_ID_LEN - 1)
        return -1;
    for (int i = 0; i < DS_ID_LEN - 1; i++) {
        if (!isxdigit((unsigned char)in[i]))
            return -1;
        out[i] = (char)tolower((unsigned char)in[i]);
    }
    out[DS_ID_LEN - 1] = 0;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* --- the key: which file, and which data in it ----------------------------- */

/* The tables whose last rowid goes into the stamp: everything the catalogue
 * or a model's context reads, none that an activation writes. */
static const char *const key_tables[] = {"customers",   "orders",
                                         "order_items", "order_reviews",
                                         "products",    "product_category_name_translation"};

/* The file of db_path: 0, or -1 when it cannot be stat'ed. */
static int key_file(const char *db_path, struct catalogue_key *k)
{
    struct statx sx;
    if (statx(AT_FDCWD, db_path, 0, STATX_INO | STATX_BTIME, &sx) != 0)
        return -1;
    k->dev = ((uint64_t)sx.stx_dev_major << 32) | sx.stx_dev_minor;
    k->ino = sx.stx_ino;
    k->btime_sec = sx.stx_mask & STATX_BTIME ? sx.stx_btime.tv_sec : 0;
    k->btime_nsec = sx.stx_mask & STATX_BTIME ? sx.stx_btime.tv_nsec : 0;
    return 0;
}

/* The data stamp of db: the meta rows in key order and each key table's
 * last rowid, as one malloc'd string; NULL when a query fails. */
static char *key_stamp(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    struct sbuf b;
    char sql[128];
    sbuf_init(&b, 1 << 16);
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta ORDER BY key", -1, &st, NULL) !=
        SQLITE_OK)
        goto fail;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        sbuf_printf(&b, "%s=%s;", k ? k : "", v ? v : "");
    }
    if (s != SQLITE_DONE) /* a partial stamp could match another partial one */
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    for (size_t t = 0; t < sizeof key_tables / sizeof *key_tables; t++) {
        snprintf(sql, sizeof sql, "SELECT MAX(rowid) FROM %s", key_tables[t]);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
            goto fail;
        sbuf_printf(&b, "%s:%lld;", key_tables[t], (long long)sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
        st = NULL;
    }
    if (b.overflow || !b.p)
        goto fail;
    return b.p; /* NUL-terminated */
fail:
    sqlite3_finalize(st);
    sbuf_free(&b);
    return NULL;
}

/* 1 when a and b name the same file. */
static int key_same_file(const struct catalogue_key *a, const struct catalogue_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->btime_sec == b->btime_sec &&
           a->btime_nsec == b->btime_nsec;
}

/* The key of db open on db_path, stamp first: data read after it are at
 * least as new (a change in between makes the next comparison fail, which
 * only costs a full read). The stamp stays NULL when any part is unknown,
 * the file included. */
static void key_begin(sqlite3 *db, const char *db_path, struct catalogue_key *k)
{
    memset(k, 0, sizeof *k);
    if (key_file(db_path, k) == 0)
        k->stamp = key_stamp(db);
}

/* Forgets k's stamp when db_path names another file than when it began
 * (replaced meanwhile: what was read may be either's). */
static void key_end(const char *db_path, struct catalogue_key *k)
{
    struct catalogue_key now;
    if (key_file(db_path, &now) < 0 || !key_same_file(&now, k)) {
        free(k->stamp);
        k->stamp = NULL;
    }
}

int catalogue_current(const struct catalogue *c, sqlite3 *db, const char *db_path)
{
    struct catalogue_key now;
    if (!c->key.stamp)
        return 0;
    key_begin(db, db_path, &now);
    key_end(db_path, &now);
    int same = now.stamp && key_same_file(&now, &c->key) && !strcmp(now.stamp, c->key.stamp);
    free(now.stamp);
    return same;
}

/* --- customers ------------------------------------------------------------- */

static int load_customers(struct catalogue *c, sqlite3 *db, const char *db_path, char *err,
                          size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0, n = 0;
    struct row {
        char cid[DS_ID_LEN], uid[DS_ID_LEN], state[3];
    } *rows = NULL;
    int rc = ERR_FAIL;
    if (sqlite3_prepare_v2(db,
                           "SELECT customer_id, customer_unique_id, customer_state FROM customers",
                           -1, &st, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot read customers from %s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        char cid[DS_ID_LEN], uid[DS_ID_LEN];
        const char *s = (const char *)sqlite3_column_text(st, 2);
        if (catalogue_normalise_id((const char *)sqlite3_column_text(st, 0), cid) < 0 ||
            catalogue_normalise_id((const char *)sqlite3_column_text(st, 1), uid) < 0)
            continue;
        if (mem_grow((void **)&rows, sizeof *rows, n + 1, &cap, DS_MAX_ROWS) < 0) {
            rc = err_code_set(err, errlen, ERR_NOMEM, "too many customers or out of memory");
            goto out;
        }
        memcpy(rows[n].cid, cid, DS_ID_LEN);
        memcpy(rows[n].uid, uid, DS_ID_LEN);
        snprintf(rows[n].state, 3, "%s", s ? s : "");
        n++;
    }
    if (s != SQLITE_DONE) { /* a partial list would serve known customers as strangers */
        err_set(err, errlen, "cannot read customers from %s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    /* people: the distinct unique ids, sorted */
    if (n)                                     /* rows is NULL when there are none */
        qsort(rows, n, sizeof *rows, cmp_str); /* by customer_id first */
    c->cust = malloc((n ? n : 1) * sizeof *c->cust);
    char(*u)[DS_ID_LEN] = malloc((n ? n : 1) * DS_ID_LEN);
    if (!c->cust || !u) {
        free(u);
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(u[i], rows[i].uid, DS_ID_LEN);
    qsort(u, n, DS_ID_LEN, cmp_str);
    int32_t np = 0;
    for (size_t i = 0; i < n; i++)
        if (!np || strcmp(u[np - 1], u[i]))
            memcpy(u[np++], u[i], DS_ID_LEN);
    c->people.ids = u;
    c->people.n = np;
    c->people_state = calloc((size_t)np + 1, 3);
    if (!c->people_state) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t p = dataset_idmap_find(&c->people, rows[i].uid);
        memcpy(c->cust[i].id, rows[i].cid, DS_ID_LEN);
        c->cust[i].person = p;
        if (p >= 0 && rows[i].state[0])
            memcpy(c->people_state[p], rows[i].state, 3);
    }
    c->n_cust = (int32_t)n;
    rc = 0;
out:
    sqlite3_finalize(st);
    free(rows);
    return rc;
}

/* history_person_fn: a customer_unique_id as stored -> index into people. */
static int32_t person_of(void *ctx, const char *unique_id)
{
    const struct catalogue *c = ctx;
    char id[DS_ID_LEN];
    return catalogue_normalise_id(unique_id, id) < 0 ? -1 : dataset_idmap_find(&c->people, id);
}

int32_t catalogue_person(const struct catalogue *c, const char *id, char uid[DS_ID_LEN])
{
    const struct catalogue_customer *k =
        bsearch(id, c->cust, (size_t)c->n_cust, sizeof *c->cust, cmp_str);
    if (k && k->person >= 0) {
        memcpy(uid, c->people.ids[k->person], DS_ID_LEN);
        return k->person;
    }
    memcpy(uid, id, DS_ID_LEN);
    return dataset_idmap_find(&c->people, id);
}

/* --- product details --------------------------------------------------------- */

struct prod_row {
    char id[DS_ID_LEN]; /* sorted on: must stay first */
    int has_price, has_rating;
    double price, rating;
    int32_t n_ratings;
};

/* Mean price (non-outlier items) and mean review score of every product
 * with items or reviews, merged by product into the sorted c->products. */
static int load_products(struct catalogue *c, sqlite3 *db, const char *db_path, char *err,
                         size_t errlen)
{
    static const char *const sql[] = {
        "SELECT product_id, AVG(price), 0 FROM order_items WHERE price_outlier = 0"
        " GROUP BY product_id",
        "SELECT i.product_id, AVG(r.review_score), COUNT(*) FROM order_reviews r JOIN"
        " (SELECT DISTINCT order_id, product_id FROM order_items) i ON i.order_id = r.order_id"
        " GROUP BY i.product_id"};
    struct prod_row *rows = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st = NULL;
    int rc = ERR_FAIL;
    for (int q = 0; q < 2; q++) {
        if (sqlite3_prepare_v2(db, sql[q], -1, &st, NULL) != SQLITE_OK) {
            err_set(err, errlen, "cannot read product details from %s: %s", db_path,
                    sqlite3_errmsg(db));
            goto out;
        }
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(st, 0);
            if (!id || strlen(id) != DS_ID_LEN - 1) /* never a model's product */
                continue;
            if (mem_grow((void **)&rows, sizeof *rows, n + 1, &cap, DS_MAX_ROWS) < 0) {
                rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
                goto out;
            }
            struct prod_row *r = &rows[n++];
            memset(r, 0, sizeof *r);
            memcpy(r->id, id, DS_ID_LEN);
            if (q == 0) {
                r->has_price = 1;
                r->price = sqlite3_column_double(st, 1);
            } else {
                r->has_rating = 1;
                r->rating = sqlite3_column_double(st, 1);
                r->n_ratings = sqlite3_column_int(st, 2);
            }
        }
        if (s != SQLITE_DONE) {
            err_set(err, errlen, "cannot read product details from %s: %s", db_path,
                    sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (n)
        qsort(rows, n, sizeof *rows, cmp_str);
    c->products.ids = malloc((n + 1) * DS_ID_LEN);
    c->price = malloc((n + 1) * sizeof *c->price);
    c->rating = calloc(n + 1, sizeof *c->rating);
    c->n_ratings = calloc(n + 1, sizeof *c->n_ratings);
    if (!c->products.ids || !c->price || !c->rating || !c->n_ratings) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        goto out;
    }
    int32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!m || strcmp(c->products.ids[m - 1], rows[i].id)) { /* a new product */
            memcpy(c->products.ids[m], rows[i].id, DS_ID_LEN);
            c->price[m++] = NAN;
        }
        if (rows[i].has_price)
            c->price[m - 1] = rows[i].price;
        if (rows[i].has_rating) {
            c->rating[m - 1] = rows[i].rating;
            c->n_ratings[m - 1] = rows[i].n_ratings;
        }
    }
    c->products.n = m;
    rc = 0;
out:
    sqlite3_finalize(st);
    free(rows);
    return rc;
}

/* --- the whole ---------------------------------------------------------------- */

int catalogue_open(sqlite3 *db, const char *db_path, struct catalogue **out, char *err,
                   size_t errlen)
{
    struct catalogue *c = calloc(1, sizeof *c);
    int rc;
    *out = NULL;
    if (!c)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    c->refs = 1;
    key_begin(db, db_path, &c->key);
    if ((rc = load_products(c, db, db_path, err, errlen)) < 0 ||
        (rc = load_customers(c, db, db_path, err, errlen)) < 0 ||
        (rc = history_load(db, c->people.n, person_of, c, &c->hist, err, errlen)) < 0) {
        catalogue_release(c);
        return rc;
    }
    key_end(db_path, &c->key);
    memcpy(c->latest, c->hist.latest, sizeof c->latest);
    *out = c;
    return 0;
}

void catalogue_retain(struct catalogue *c)
{
    if (c)
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

void catalogue_release(struct catalogue *c)
{
    if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    free(c->key.stamp);
    free(c->cust);
    dataset_idmap_free(&c->people);
    free(c->people_state);
    history_free(&c->hist);
    dataset_idmap_free(&c->products);
    free(c->price);
    free(c->rating);
    free(c->n_ratings);
    free(c);
}
