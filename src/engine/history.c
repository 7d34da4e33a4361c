/* Purchase histories and catalogue names in memory (see history.h). */
#include "engine/history.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

/* One purchase row as read, before its strings are interned. */
struct raw_row {
    int32_t person;
    char order[DS_ID_LEN], product[DS_ID_LEN], ts[24];
    double price;
};

/* One product_catalog row as read. */
struct raw_cat {
    char product[DS_ID_LEN], cat[HISTORY_NAME_LEN], cat_pt[HISTORY_NAME_LEN];
};

/* The strings to intern and where each one's index goes. */
struct intern_in {
    const char **s;
    int32_t **dst;
    int32_t n;
};

static int cmp_idx(const void *a, const void *b, void *strs)
{
    const char *const *s = strs;
    return strcmp(s[*(const int32_t *)a], s[*(const int32_t *)b]);
}

/* One id of intern_ids as a number (struct ds_key), and its string's index. */
struct keyed {
    struct ds_key k;
    int32_t i;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct ds_key *x = &((const struct keyed *)a)->k, *y = &((const struct keyed *)b)->k;
    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* intern for ids when every one is 32 lowercase hex characters (so the
 * numeric order of their keys is the string order): sorting 16-byte
 * numbers instead of strings is most of a full load's interning. Returns
 * the table size, -1 when out of memory, -2 when some string is not such
 * an id (nothing allocated). */
static int32_t intern_ids(const struct intern_in *in, char **table)
{
    struct keyed *v = malloc(((size_t)in->n + 1) * sizeof *v);
    int32_t m = 0;
    if (!v)
        return -1;
    for (int32_t k = 0; k < in->n; k++) {
        if (dataset_id_key(in->s[k], &v[k].k) < 0) {
            free(v);
            return -2;
        }
        v[k].i = k;
    }
    char(*t)[DS_ID_LEN] = malloc(((size_t)in->n + 1) * DS_ID_LEN);
    if (!t) {
        free(v);
        return -1;
    }
    qsort(v, (size_t)in->n, sizeof *v, cmp_keyed);
    for (int32_t k = 0; k < in->n; k++) {
        if (!m || cmp_keyed(&v[k - 1], &v[k]))
            dataset_key_id(&v[k].k, t[m++]);
        *in->dst[v[k].i] = m - 1;
    }
    free(v);
    *table = (char *)t;
    return m;
}

/* Stores the strings of in once each, sorted, in a malloc'd *table of
 * width-byte entries (truncated), and writes each string's index to its
 * dst. Returns the table size, or -1 when out of memory. */
static int32_t intern(const struct intern_in *in, size_t width, char **table)
{
    if (width == DS_ID_LEN) {
        int32_t m = intern_ids(in, table);
        if (m != -2)
            return m;
    }
    int32_t *ord = malloc(((size_t)in->n + 1) * sizeof *ord), m = 0;
    char *t = malloc(((size_t)in->n + 1) * width);
    if (!ord || !t) {
        free(ord);
        free(t);
        return -1;
    }
    for (int32_t k = 0; k < in->n; k++)
        ord[k] = k;
    qsort_r(ord, (size_t)in->n, sizeof *ord, cmp_idx, in->s);
    for (int32_t k = 0; k < in->n; k++) {
        const char *s = in->s[ord[k]];
        if (!m || strncmp(t + (size_t)(m - 1) * width, s, width - 1)) {
            snprintf(t + (size_t)m * width, width, "%s", s);
            m++;
        }
        *in->dst[ord[k]] = m - 1;
    }
    free(ord);
    *table = t;
    return m;
}

static void intern_add(struct intern_in *in, const char *s, int32_t *dst)
{
    in->s[in->n] = s;
    in->dst[in->n++] = dst;
}

/* Column i as text into out (len bytes, truncated; NULL is ""), as
 * snprintf "%s" would, without its cost on every field of every row. */
static void col_copy(sqlite3_stmt *st, int i, char *out, size_t len)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t n = t ? strnlen(t, len - 1) : 0;
    memcpy(out, t ? t : "", n);
    out[n] = 0;
}

/* "YYYY-MM-DD HH:MM:SS" -> seconds since 1970; -1 for any other form (kept
 * verbatim instead, so every stored time prints back as it was). */
static int64_t ts_parse(const char *s)
{
    static const char digit_at[] = {11, 12, 14, 15, 17, 18};
    int32_t day = dataset_parse_day(s);
    if (day < 0 || strlen(s) != 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        return -1;
    for (size_t i = 0; i < sizeof digit_at; i++)
        if (s[(int)digit_at[i]] < '0' || s[(int)digit_at[i]] > '9')
            return -1;
    int hh = atoi(s + 11), mm = atoi(s + 14), ss = atoi(s + 17);
    if (hh > 23 || mm > 59 || ss > 59)
        return -1;
    return (int64_t)day * 86400 + hh * 3600 + mm * 60 + ss;
}

static void ts_format(const struct history *h, int64_t t, char out[24])
{
    if (t < 0) {
        memcpy(out, h->odd_ts[-1 - t], 24);
        return;
    }
    int s = (int)(t % 86400);
    dataset_format_day((int32_t)(t / 86400), out);
    snprintf(out + 10, 14, " %02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
}

/* Runs sql and hands each row to fn; ERR_FAIL with err on an SQL error. */
static int each_row(sqlite3 *db, const char *sql, int (*fn)(sqlite3_stmt *, void *), void *ctx,
                    const char *what, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int s = SQLITE_ERROR, rc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
        while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
            rc = fn(st, ctx);
    if (rc == 0 && s != SQLITE_DONE)
        rc = err_set(err, errlen, "cannot read %s: %s", what, sqlite3_errmsg(db));
    else if (rc < 0)
        err_code_set(err, errlen, rc, "out of memory reading %s", what);
    sqlite3_finalize(st);
    return rc;
}

struct load {
    struct history *h;
    history_person_fn person_of;
    void *ctx;
    struct raw_row *rows;
    size_t n_rows, cap_rows;
    struct raw_cat *cats;
    size_t n_cats, cap_cats;
    char (*city)[HISTORY_NAME_LEN]; /* per person, the first customer row's city */
    signed char *city_seen;         /* per person: 0 no row yet, 1 city, -1 NULL city */
    char last_uid[DS_ID_LEN];       /* the previous purchase row's user id, and its person: */
    int32_t last_person;            /* rows come by user id */
};

static int take_purchase(sqlite3_stmt *st, void *arg)
{
    struct load *l = arg;
    const char *ts = (const char *)sqlite3_column_text(st, 4);
    /* SELECT MAX(ts) of every row, as kept (the first 23 bytes) */
    if (ts && strncmp(ts, l->h->latest, sizeof l->h->latest - 1) > 0)
        snprintf(l->h->latest, sizeof l->h->latest, "%s", ts);
    const char *uid = (const char *)sqlite3_column_text(st, 0);
    int32_t p;
    if (uid && l->last_uid[0] && !strcmp(uid, l->last_uid)) {
        p = l->last_person;
    } else {
        p = l->person_of(l->ctx, uid);
        if (uid && strlen(uid) < sizeof l->last_uid) {
            strcpy(l->last_uid, uid);
            l->last_person = p;
        }
    }
    if (p < 0)
        return 0;
    if (mem_grow((void **)&l->rows, sizeof *l->rows, l->n_rows + 1, &l->cap_rows, DS_MAX_ROWS) < 0)
        return ERR_NOMEM;
    struct raw_row *r = &l->rows[l->n_rows++];
    r->person = p;
    col_copy(st, 1, r->order, sizeof r->order);
    col_copy(st, 2, r->product, sizeof r->product);
    r->price = sqlite3_column_double(st, 3);
    col_copy(st, 4, r->ts, sizeof r->ts);
    return 0;
}

static int take_catalog(sqlite3_stmt *st, void *arg)
{
    struct load *l = arg;
    if (mem_grow((void **)&l->cats, sizeof *l->cats, l->n_cats + 1, &l->cap_cats, DS_MAX_ROWS) < 0)
        return ERR_NOMEM;
    struct raw_cat *c = &l->cats[l->n_cats++];
    col_copy(st, 0, c->product, sizeof c->product);
    col_copy(st, 1, c->cat_pt, sizeof c->cat_pt);
    col_copy(st, 2, c->cat, sizeof c->cat);
    return 0;
}

/* The first customer row of a person (rowid order) gives its city. */
static int take_city(sqlite3_stmt *st, void *arg)
{
    struct load *l = arg;
    int32_t p = l->person_of(l->ctx, (const char *)sqlite3_column_text(st, 0));
    if (p < 0 || l->city_seen[p])
        return 0;
    const char *c = (const char *)sqlite3_column_text(st, 1);
    l->city_seen[p] = c ? 1 : -1;
    if (c)
        col_copy(st, 1, l->city[p], HISTORY_NAME_LEN);
    return 0;
}

/* Orders and products of the rows and the catalogue, interned; rows[] gets
 * their indexes (in SQL order still). */
static int build_ids(struct load *l, int32_t *order_of, int32_t *product_of)
{
    struct history *h = l->h;
    size_t n = l->n_rows + l->n_cats + 1;
    struct intern_in in = {malloc(n * sizeof *in.s), malloc(n * sizeof *in.dst), 0};
    int32_t *scratch = malloc(n * sizeof *scratch);
    int rc = ERR_NOMEM;
    if (!in.s || !in.dst || !scratch)
        goto out;
    for (size_t k = 0; k < l->n_rows; k++)
        intern_add(&in, l->rows[k].order, &order_of[k]);
    if ((h->n_orders = intern(&in, DS_ID_LEN, (char **)&h->order_ids)) < 0)
        goto out;
    in.n = 0;
    for (size_t k = 0; k < l->n_rows; k++)
        intern_add(&in, l->rows[k].product, &product_of[k]);
    for (size_t k = 0; k < l->n_cats; k++)
        intern_add(&in, l->cats[k].product, &scratch[k]);
    if ((h->n_products = intern(&in, DS_ID_LEN, (char **)&h->product_ids)) < 0)
        goto out;
    h->product_cat = malloc(((size_t)h->n_products + 1) * sizeof *h->product_cat);
    h->product_cat_pt = malloc(((size_t)h->n_products + 1) * sizeof *h->product_cat_pt);
    h->order_ts = malloc(((size_t)h->n_orders + 1) * sizeof *h->order_ts);
    if (!h->product_cat || !h->product_cat_pt || !h->order_ts)
        goto out;
    for (int32_t i = 0; i < h->n_products; i++)
        h->product_cat[i] = h->product_cat_pt[i] = -1;
    for (size_t k = 0; k < l->n_cats; k++) /* catalogue rows point at their product for now */
        h->product_cat[scratch[k]] = (int32_t)k;
    rc = 0;
out:
    free(in.s);
    free(in.dst);
    free(scratch);
    return rc;
}

/* Category and city names, interned into h->names. */
static int build_names(struct load *l)
{
    struct history *h = l->h;
    size_t n = 2 * l->n_cats + (size_t)h->n_people + 1;
    struct intern_in in = {malloc(n * sizeof *in.s), malloc(n * sizeof *in.dst), 0};
    int rc = ERR_NOMEM;
    if (!in.s || !in.dst)
        goto out;
    for (int32_t i = 0; i < h->n_products; i++) {
        int32_t k = h->product_cat[i];
        if (k >= 0) {
            intern_add(&in, l->cats[k].cat, &h->product_cat[i]);
            intern_add(&in, l->cats[k].cat_pt, &h->product_cat_pt[i]);
        }
    }
    for (int32_t p = 0; p < h->n_people; p++) {
        h->city[p] = -1;
        if (l->city_seen[p] > 0)
            intern_add(&in, l->city[p], &h->city[p]);
    }
    if ((h->n_names = intern(&in, HISTORY_NAME_LEN, (char **)&h->names)) >= 0)
        rc = 0;
out:
    free(in.s);
    free(in.dst);
    return rc;
}

/* Purchase times (per order) and the CSR rows, grouped by person stably so
 * each person's rows keep the SQL order; then each person's distinct
 * products among the rows a profile lists. */
static int build_rows(struct load *l, const int32_t *order_of, const int32_t *product_of)
{
    struct history *h = l->h;
    int32_t *fill = calloc((size_t)h->n_people + 1, sizeof *fill);
    int32_t *seen = malloc(((size_t)h->n_products + 1) * sizeof *seen);
    h->ptr = calloc((size_t)h->n_people + 1, sizeof *h->ptr);
    h->rows = malloc((l->n_rows + 1) * sizeof *h->rows);
    h->n_distinct = calloc((size_t)h->n_people + 1, sizeof *h->n_distinct);
    int rc = ERR_NOMEM;
    if (!fill || !seen || !h->ptr || !h->rows || !h->n_distinct)
        goto out;
    size_t cap_odd = 0;
    for (size_t k = 0; k < l->n_rows; k++) {
        int64_t t = ts_parse(l->rows[k].ts);
        if (t < 0) { /* rare: kept as text */
            if (mem_grow((void **)&h->odd_ts, sizeof *h->odd_ts, (size_t)h->n_odd + 1, &cap_odd,
                         DS_MAX_ROWS) < 0)
                goto out;
            memcpy(h->odd_ts[h->n_odd], l->rows[k].ts, 24);
            t = -1 - h->n_odd++;
        }
        h->order_ts[order_of[k]] = t; /* the view gives one time per order */
        h->ptr[l->rows[k].person + 1]++;
    }
    for (int32_t p = 0; p < h->n_people; p++)
        h->ptr[p + 1] += h->ptr[p];
    for (size_t k = 0; k < l->n_rows; k++) {
        int32_t p = l->rows[k].person;
        h->rows[h->ptr[p] + fill[p]++] =
            (struct history_row){order_of[k], product_of[k], l->rows[k].price};
    }
    for (int32_t i = 0; i < h->n_products; i++)
        seen[i] = -1;
    for (int32_t p = 0; p < h->n_people; p++) {
        int32_t end = h->ptr[p + 1] - h->ptr[p] > ENGINE_MAX_HISTORY
                          ? h->ptr[p] + ENGINE_MAX_HISTORY
                          : h->ptr[p + 1];
        for (int32_t k = h->ptr[p]; k < end; k++)
            if (seen[h->rows[k].product] != p) {
                seen[h->rows[k].product] = p;
                h->n_distinct[p]++;
            }
    }
    rc = 0;
out:
    free(fill);
    free(seen);
    return rc;
}

int history_load(sqlite3 *db, int32_t n_people, history_person_fn person_of, void *ctx,
                 struct history *h, char *err, size_t errlen)
{
    struct load l = {.h = h, .person_of = person_of, .ctx = ctx};
    int32_t *order_of = NULL, *product_of = NULL;
    int rc;
    memset(h, 0, sizeof *h);
    h->n_people = n_people;
    l.city = calloc((size_t)n_people + 1, sizeof *l.city);
    l.city_seen = calloc((size_t)n_people + 1, 1);
    h->city = malloc(((size_t)n_people + 1) * sizeof *h->city);
    if (!l.city || !l.city_seen || !h->city) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        goto out;
    }
    /* ORDER BY: purchase order within a person, ties broken so that every
     * load lists the same rows in the same order */
    if ((rc = each_row(db,
                       "SELECT user_id, order_id, product_id, price, ts FROM interactions"
                       " ORDER BY user_id, ts, order_id, product_id, price",
                       take_purchase, &l, "the purchase histories", err, errlen)) < 0 ||
        (rc = each_row(db, "SELECT product_id, category_pt, category FROM product_catalog",
                       take_catalog, &l, "the product catalogue", err, errlen)) < 0 ||
        (rc = each_row(db, "SELECT customer_unique_id, customer_city FROM customers ORDER BY rowid",
                       take_city, &l, "the customers' cities", err, errlen)) < 0)
        goto out;
    order_of = malloc((l.n_rows + 1) * sizeof *order_of);
    product_of = malloc((l.n_rows + 1) * sizeof *product_of);
    if (!order_of || !product_of || (rc = build_ids(&l, order_of, product_of)) < 0 ||
        (rc = build_names(&l)) < 0 || (rc = build_rows(&l, order_of, product_of)) < 0) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory loading %zu purchases", l.n_rows);
        goto out;
    }
    rc = 0;
out:
    free(l.rows);
    free(l.cats);
    free(l.city);
    free(l.city_seen);
    free(order_of);
    free(product_of);
    if (rc < 0)
        history_free(h);
    return rc;
}

void history_free(struct history *h)
{
    free(h->ptr);
    free(h->rows);
    free(h->n_distinct);
    free(h->city);
    free(h->order_ids);
    free(h->order_ts);
    free(h->odd_ts);
    free(h->product_ids);
    free(h->product_cat);
    free(h->product_cat_pt);
    free(h->names);
    memset(h, 0, sizeof *h);
}

static const char *name_of(const struct history *h, int32_t k)
{
    return k >= 0 ? h->names[k] : "";
}

int history_profile(const struct history *h, int32_t p, struct user_profile *out, char *err,
                    size_t errlen)
{
    int32_t lo = h->ptr[p], n = h->ptr[p + 1] - lo;
    if (n > ENGINE_MAX_HISTORY)
        n = ENGINE_MAX_HISTORY;
    out->has_city = h->city[p] >= 0;
    snprintf(out->city, sizeof out->city, "%s", name_of(h, h->city[p]));
    out->products = h->n_distinct[p];
    if (n && !(out->purchases = calloc((size_t)n, sizeof *out->purchases)))
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    for (int32_t k = 0; k < n; k++) {
        const struct history_row *r = &h->rows[lo + k];
        struct user_purchase *u = &out->purchases[k];
        memcpy(u->order_id, h->order_ids[r->order], DS_ID_LEN);
        memcpy(u->product_id, h->product_ids[r->product], DS_ID_LEN);
        snprintf(u->category, sizeof u->category, "%s", name_of(h, h->product_cat[r->product]));
        u->price = r->price;
        ts_format(h, h->order_ts[r->order], u->timestamp);
        out->orders += !k || r->order != h->rows[lo + k - 1].order;
        out->monetary += r->price;
        if (u->timestamp[0]) {
            if (!out->first_purchase[0])
                memcpy(out->first_purchase, u->timestamp, sizeof out->first_purchase);
            memcpy(out->last_purchase, u->timestamp, sizeof out->last_purchase);
        }
    }
    out->n_purchases = n;
    return 0;
}

int history_category_pt(const struct history *h, const char *product_id, char *out, size_t len)
{
    const struct idmap products = {.n = h->n_products, .ids = h->product_ids};
    int32_t j = dataset_idmap_find(&products, product_id);
    int32_t k = j >= 0 ? h->product_cat_pt[j] : -1;
    if (k < 0)
        return 0;
    snprintf(out, len, "%s", h->names[k]);
    return 1;
}
