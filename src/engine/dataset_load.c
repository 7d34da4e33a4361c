/* dataset_load: the interactions of olist.db into memory (see dataset.h).
 *
 * Speed matters here: loading is most of what `train` does for the simpler
 * algorithms. Ids are 32 hex characters, so they are parsed once into
 * 128-bit integers and every sort, hash and comparison works on two 64-bit
 * words instead of strings. Each table is scanned once: customers gives both
 * the people (customer_unique_id) and the customer_id -> person map; orders
 * and order items are then joined in memory through integer-keyed hashes. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset_load.h"

#include "engine/dataset_ids.h"
#include "engine/dataset_load_items.h"
#include "engine/khash.h"

#include "util/error.h"
#include "util/mem.h"

/* --- customers: people, their state, and customer_id -> person --------- */
struct cust_row {
    struct ds_key uid; /* sorted on: must stay first */
    struct ds_key cid;
    int32_t user; /* index into ds->users */
    char state[2];
    char cid_ok;
};

/* Distinct two-letter states, sorted, through a 64k table of codes (a code
 * compares like the string; "" is code 0). Users with an empty state get -1
 * but "" still takes a dictionary slot, as any other label would. */
static int intern_states(struct dataset *ds, const struct cust_row *rows, const int32_t *first,
                         char *err, size_t errlen)
{
    int32_t *code_state = malloc(65536 * sizeof *code_state);
    int rc = -1;
    if (!code_state)
        return err_set(err, errlen, "out of memory");
    memset(code_state, 0xff, 65536 * sizeof *code_state);
    for (int32_t u = 0; u < ds->users.n; u++) {
        const char *s = rows[first[u]].state;
        code_state[(unsigned char)s[0] << 8 | (unsigned char)s[1]] = 0;
    }
    int n = 0;
    for (int c = 0; c < 65536; c++)
        if (code_state[c] == 0)
            code_state[c] = n++;
    ds->states = calloc((size_t)n + 1, 3);
    if (!ds->states) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    for (int c = 0; c < 65536; c++)
        if (code_state[c] >= 0) {
            ds->states[code_state[c]][0] = (char)(c >> 8);
            ds->states[code_state[c]][1] = (char)(c & 255);
        }
    ds->n_states = n;
    for (int32_t u = 0; u < ds->users.n; u++) {
        const char *s = rows[first[u]].state;
        ds->user_state[u] =
            s[0] ? (int16_t)code_state[(unsigned char)s[0] << 8 | (unsigned char)s[1]] : -1;
    }
    rc = 0;
out:
    free(code_state);
    return rc;
}

/* One scan of customers. *rows_out (caller frees) keeps every row with a
 * valid customer_unique_id, its person index set. */
static int load_people(sqlite3 *db, struct dataset *ds, struct cust_row **rows_out, int32_t *n_out,
                       char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t cap = dataset_ids_table_rows(db, "SELECT MAX(rowid) FROM customers"), n = 0;
    struct cust_row *rows = malloc(cap * sizeof *rows);
    int32_t *first = NULL, *row_user = NULL;
    int rc = -1, s;
    if (!rows)
        return err_set(err, errlen, "out of memory");
    if (sqlite3_prepare_v2(db,
                           "SELECT customer_unique_id, customer_id, customer_state"
                           " FROM customers",
                           -1, &st, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot read the customers table: %s", sqlite3_errmsg(db));
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct cust_row r = {0};
        if (dataset_id_key((const char *)sqlite3_column_text(st, 0), &r.uid) < 0)
            continue;
        r.cid_ok = dataset_id_key((const char *)sqlite3_column_text(st, 1), &r.cid) == 0;
        const unsigned char *state = sqlite3_column_text(st, 2);
        if (state && state[0])
            r.state[0] = (char)state[0], r.state[1] = (char)state[1];
        if (n == cap && mem_grow((void **)&rows, sizeof *rows, n + 1, &cap, DS_MAX_ROWS) < 0) {
            err_set(err, errlen, "more than %d customers, or out of memory", DS_MAX_ROWS);
            goto out;
        }
        rows[n++] = r;
    }
    if (s != SQLITE_DONE) {
        err_set(err, errlen, "cannot read the customers table: %s", sqlite3_errmsg(db));
        goto out;
    }
    row_user = malloc((n + 1) * sizeof *row_user);
    if (!row_user ||
        dataset_ids_distinct(rows, sizeof *rows, (int32_t)n, &ds->users, &first, row_user) < 0 ||
        !(ds->user_state = malloc(((size_t)ds->users.n + 1) * sizeof *ds->user_state))) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    for (size_t r = 0; r < n; r++)
        rows[r].user = row_user[r];
    if (intern_states(ds, rows, first, err, errlen) < 0)
        goto out;
    *rows_out = rows;
    *n_out = (int32_t)n;
    rows = NULL;
    rc = 0;
out:
    sqlite3_finalize(st);
    free(rows);
    free(first);
    free(row_user);
    return rc;
}

/* --- events --------------------------------------------------------------- */
/* An order waiting for its batch's lookups: a = order, b = customer. */
struct pending {
    struct ds_key a, b;
    int32_t day;
    float price;
};

/* Adds one batch of orders (a = order, b = customer) to ho. */
static int put_orders(struct khash *hc, struct khash *ho, size_t *n_ord, struct pending *pb, int n)
{
    if ((*n_ord + (size_t)n) / 3 * 5 > (size_t)ho->cap) {
        /* sized from max(rowid): rehash when the rows outgrow it */
        struct khash bigger;
        if (khash_init(&bigger, (*n_ord + (size_t)n) * 2) < 0)
            return -1;
        for (uint32_t i = 0; i < ho->cap; i++)
            if (ho->slot[i].val >= 0)
                khash_put(&bigger, &ho->slot[i].k, ho->slot[i].val);
        free(ho->slot);
        *ho = bigger;
    }
    for (int i = 0; i < n; i++) {
        khash_prefetch(hc, &pb[i].b);
        khash_prefetch(ho, &pb[i].a);
    }
    for (int i = 0; i < n; i++) {
        int64_t user = khash_find(hc, &pb[i].b);
        if (user >= 0) {
            khash_put(ho, &pb[i].a, user << 32 | (uint32_t)pb[i].day);
            (*n_ord)++;
        }
    }
    return 0;
}

/* The orders, then the products, are scanned by a second thread (own
 * connection) while the calling thread reads customers and sellers: two
 * cores read SQLite at once, for about the same time each. Rows are kept
 * parsed (order, customer, day) until the customer map exists. */
struct order_scan {
    const char *path;
    struct dataset *ds; /* products go into ds->items, item_cat, cats */
    struct pending *rows;
    size_t n;
    int rc;          /* orders: -1 falls back to the view */
    int products_rc; /* products: -1 fails the load with err */
    char err[256];
};

static void *scan_orders(void *arg)
{
    struct order_scan *o = arg;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int s = SQLITE_ERROR;
    o->rc = o->products_rc = -1;
    if (dataset_load_open(o->path, &db, o->err, sizeof o->err) < 0)
        goto out;
    sqlite3_exec(db, "PRAGMA cache_size=200", NULL, NULL, NULL);
    cap = dataset_ids_table_rows(db, "SELECT MAX(rowid) FROM orders");
    if (!(o->rows = mem_big_alloc(cap * sizeof *o->rows)) ||
        sqlite3_prepare_v2(db,
                           "SELECT order_id, customer_id, order_purchase_timestamp FROM orders"
                           " WHERE order_status NOT IN ('canceled', 'unavailable')"
                           " AND order_purchase_timestamp IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct pending p = {0};
        if (dataset_id_key((const char *)sqlite3_column_text(st, 0), &p.a) < 0 ||
            dataset_id_key((const char *)sqlite3_column_text(st, 1), &p.b) < 0 ||
            (p.day = dataset_parse_day((const char *)sqlite3_column_text(st, 2))) < 0)
            continue;
        if (o->n == cap &&
            mem_grow((void **)&o->rows, sizeof *o->rows, o->n + 1, &cap, DS_MAX_ROWS) < 0)
            goto out;
        o->rows[o->n++] = p;
    }
    o->rc = s == SQLITE_DONE ? 0 : -1;
out:
    sqlite3_finalize(st);
    if (db)
        o->products_rc = dataset_load_items_products(db, o->ds, o->err, sizeof o->err);
    sqlite3_close(db);
    return NULL;
}

/* Ahead-distance of the prefetches when filling a hash from an array. */
#define DS_AHEAD 16

/* customer_id -> person, built by the calling thread while the second one
 * still reads the catalogue. 0, or -1 out of memory (hc then empty). */
static int build_customer_hash(const struct cust_row *cust, int32_t n_cust, struct khash *hc)
{
    if (khash_init(hc, (size_t)n_cust) < 0)
        return -1;
    for (int32_t r = 0; r < n_cust; r++) {
        if (r + DS_AHEAD < n_cust)
            khash_prefetch(hc, &cust[r + DS_AHEAD].cid);
        if (cust[r].cid_ok)
            khash_put(hc, &cust[r].cid, cust[r].user);
    }
    return 0;
}

/* The product hash (product key -> item), built on a second thread while
 * the caller builds the order hash: most of their time is the first touch
 * of fresh pages, which two cores share. */
struct item_hash {
    const struct dataset *ds;
    struct khash *hi;
    int rc;
};

static void *build_item_hash(void *arg)
{
    struct item_hash *b = arg;
    const struct idmap *items = &b->ds->items;
    struct ds_key *keys = malloc(((size_t)items->n + 1) * sizeof *keys);
    b->rc = -1;
    if (!keys || khash_init(b->hi, (size_t)items->n) < 0) {
        free(keys);
        return NULL;
    }
    for (int32_t i = 0; i < items->n; i++)
        dataset_id_key(items->ids[i], &keys[i]);
    for (int32_t i = 0; i < items->n; i++) {
        if (i + DS_AHEAD < items->n)
            khash_prefetch(b->hi, &keys[i + DS_AHEAD]);
        khash_put(b->hi, &keys[i], i);
    }
    free(keys);
    b->rc = 0;
    return NULL;
}

/* Joins the order items to the people through the orders (hc: the customer
 * hash, freed here). Each input is freed as soon as its hash holds it
 * (customer rows by the caller, then parsed orders and the customer hash),
 * so the peak holds the two hashes the join needs and the events, not every
 * stage at once. */
static int load_events_direct(sqlite3 *db, struct dataset *ds, struct khash *hcp,
                              struct order_scan *orders, const struct khash *hs, size_t *cap)
{
    struct khash hc = *hcp, hi = {0}, ho = {0};
    size_t n_ord = 0;
    int rc = -1;
    struct item_hash ih = {ds, &hi, -1};
    pthread_t th;
    *hcp = (struct khash){0};
    if (orders->rc < 0 || !hc.slot)
        goto out;
    int threaded = pthread_create(&th, NULL, build_item_hash, &ih) == 0;
    int ho_rc = khash_init(&ho, orders->n);
    for (size_t k = 0; ho_rc == 0 && k < orders->n; k += DS_BATCH) {
        int nb = orders->n - k < DS_BATCH ? (int)(orders->n - k) : DS_BATCH;
        ho_rc = put_orders(&hc, &ho, &n_ord, orders->rows + k, nb);
    }
    if (threaded)
        pthread_join(th, NULL);
    else
        build_item_hash(&ih);
    if (ho_rc < 0 || ih.rc < 0)
        goto out;
    free(orders->rows);
    orders->rows = NULL;
    free(hc.slot);
    hc.slot = NULL;
    {
        /* two halves by rowid: the second on a thread, the first here */
        int64_t last = (int64_t)dataset_ids_table_rows(db, "SELECT MAX(rowid) FROM order_items");
        struct ds_item_scan half[2] = {{.db = db,
                                        .ho = &ho,
                                        .hi = &hi,
                                        .hs = hs,
                                        .lo = INT64_MIN,
                                        .hi_row = last / 2,
                                        .out = {ds->events, 0, *cap}},
                                       {.path = sqlite3_db_filename(db, "main"),
                                        .ho = &ho,
                                        .hi = &hi,
                                        .hs = hs,
                                        .lo = last / 2,
                                        .hi_row = INT64_MAX}};
        pthread_t th;
        int threaded =
            half[1].path && pthread_create(&th, NULL, dataset_load_items_scan, &half[1]) == 0;
        dataset_load_items_scan(&half[0]);
        if (threaded)
            pthread_join(th, NULL);
        else
            dataset_load_items_scan(&half[1]);
        rc = half[0].rc == 0 && half[1].rc == 0 ? 0 : -1;
        for (int64_t k = 0; rc == 0 && k < half[1].out.n; k++) /* table order kept */
            if (dataset_load_items_push(&half[0].out, half[1].out.ev[k]) < 0)
                rc = -1;
        ds->events = half[0].out.ev; /* the caller's array, grown in place */
        ds->n_events = half[0].out.n;
        *cap = half[0].out.cap;
        free(half[1].out.ev);
    }
out:
    free(hc.slot);
    free(hi.slot);
    free(ho.slot);
    return rc;
}

/* The same rows through the interactions view (the contract's definition),
 * which has no seller: every event's seller is -1. */
static int load_events_view(sqlite3 *db, struct dataset *ds, size_t *cap)
{
    sqlite3_stmt *st = NULL;
    int s;
    if (sqlite3_prepare_v2(db,
                           "SELECT user_id, product_id, ts, price FROM interactions"
                           " WHERE ts IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int32_t u = dataset_idmap_find(&ds->users, (const char *)sqlite3_column_text(st, 0));
        int32_t it = dataset_idmap_find(&ds->items, (const char *)sqlite3_column_text(st, 1));
        int32_t day = dataset_parse_day((const char *)sqlite3_column_text(st, 2));
        if (u < 0 || it < 0 || day < 0)
            continue; /* dangling ids or a bad timestamp: ingest reported them */
        float price = (float)sqlite3_column_double(st, 3);
        struct ds_evbuf b = {ds->events, ds->n_events, *cap};
        int bad = dataset_load_items_push(&b, (struct event){u, it, day, price, -1});
        ds->events = b.ev, ds->n_events = b.n, *cap = b.cap;
        if (bad < 0) {
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return s == SQLITE_DONE ? 0 : -1;
}

/* One event of a day being sorted: its (user, item) key and its place in
 * the day as read. */
struct day_key {
    uint64_t key;
    int64_t at;
};

/* Sorts a[0..m) by key, ties kept in order: LSD radix on 11-bit digits over
 * the low `bits` bits, through b; the result ends in a. */
static void sort_day(struct day_key *a, struct day_key *b, int64_t m, int bits)
{
    if (m < 32) { /* insertion sort: stable, and cheaper than the passes */
        for (int64_t i = 1; i < m; i++) {
            struct day_key v = a[i];
            int64_t j = i;
            for (; j > 0 && a[j - 1].key > v.key; j--)
                a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    int passes = 0;
    for (int shift = 0; shift < bits; shift += 11, passes++) {
        int64_t cnt[2049] = {0};
        for (int64_t i = 0; i < m; i++)
            cnt[((a[i].key >> shift) & 2047) + 1]++;
        for (int d = 0; d < 2048; d++)
            cnt[d + 1] += cnt[d];
        for (int64_t i = 0; i < m; i++)
            b[cnt[(a[i].key >> shift) & 2047]++] = a[i];
        struct day_key *t = a;
        a = b;
        b = t;
    }
    if (passes & 1)
        memcpy(b, a, (size_t)m * sizeof *a);
}

static int bits_for(int32_t n)
{
    int b = 1;
    while (b < 31 && (int64_t)1 << b < n)
        b++;
    return b;
}

/* Events by day, then user, then item, ties in table order. A counting pass
 * by day (few buckets, so its writes stream), then each day's events (a few
 * thousand, in cache) by a radix sort on user and item: counting passes over
 * every user and every item scattered their writes over the whole array, a
 * cache miss per event and pass (10% of a 100x load). */
static int sort_events(struct dataset *ds)
{
    int64_t n = ds->n_events, big = 0;
    struct event *ev = ds->events;
    if (n < 2)
        return 0;
    int32_t dmin = ev[0].day, dmax = dmin;
    for (int64_t k = 1; k < n; k++) {
        if (ev[k].day < dmin)
            dmin = ev[k].day;
        if (ev[k].day > dmax)
            dmax = ev[k].day;
    }
    int32_t range = dmax - dmin + 1;
    int ib = bits_for(ds->items.n), kb = bits_for(ds->users.n) + ib;
    struct event *tmp = mem_big_alloc((size_t)n * sizeof *tmp);
    int64_t *pos = calloc((size_t)range + 1, sizeof *pos);
    struct day_key *a = NULL, *b = NULL;
    int rc = -1;
    if (!tmp || !pos)
        goto out;
    for (int64_t k = 0; k < n; k++)
        pos[ev[k].day - dmin + 1]++;
    for (int32_t d = 0; d < range; d++) {
        big = pos[d + 1] > big ? pos[d + 1] : big;
        pos[d + 1] += pos[d];
    }
    for (int64_t k = 0; k < n; k++) /* stable: each day in table order */
        tmp[pos[ev[k].day - dmin]++] = ev[k];
    a = malloc((size_t)big * sizeof *a);
    b = malloc((size_t)big * sizeof *b);
    if (!a || !b)
        goto out;
    for (int64_t s = 0, d = 0; d < range; d++) { /* pos[d]: the end of day d */
        int64_t m = pos[d] - s;
        const struct event *day = tmp + s;
        for (int64_t j = 0; j < m; j++)
            a[j] = (struct day_key){(uint64_t)day[j].user << ib | (uint32_t)day[j].item, j};
        sort_day(a, b, m, kb);
        for (int64_t j = 0; j < m; j++)
            ev[s + j] = day[a[j].at];
        s = pos[d];
    }
    rc = 0;
out:
    free(tmp);
    free(pos);
    free(a);
    free(b);
    return rc;
}

static int open_ro(const char *path, sqlite3 **db, int flags, char *err, size_t errlen)
{
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | flags, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(*db, DS_BUSY_MS);
        return 0;
    }
    err_set(err, errlen, "cannot open database %s: %s", path,
            *db ? sqlite3_errmsg(*db) : "out of memory");
    sqlite3_close(*db);
    *db = NULL;
    return ERR_FAIL;
}

int dataset_open_ro(const char *path, sqlite3 **db, char *err, size_t errlen)
{
    return open_ro(path, db, 0, err, errlen);
}

int dataset_load_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
    return open_ro(path, db, SQLITE_OPEN_NOMUTEX, err, errlen);
}

int dataset_load(const char *path, struct dataset *ds, char *err, size_t errlen)
{
    return dataset_load_mode(path, ds, 0, err, errlen);
}

int dataset_load_mode(const char *path, struct dataset *ds, int via_view, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    struct cust_row *cust = NULL;
    int32_t n_cust = 0;
    double *psum = NULL;
    int32_t *pcnt = NULL;
    int rc = -1, scanning = 0;
    struct order_scan orders = {.path = path, .ds = ds, .rc = -1, .products_rc = -1};
    struct khash hs = {0}; /* seller key -> index */
    struct khash hc = {0}; /* customer key -> person */
    pthread_t scanner;
    memset(ds, 0, sizeof *ds);
    if (!via_view) {
        scanning = pthread_create(&scanner, NULL, scan_orders, &orders) == 0;
        if (!scanning)
            scan_orders(&orders); /* no thread: the same work, in turn */
    }
    if (dataset_load_open(path, &db, err, errlen) < 0)
        goto out;
    /* table scans reuse a small page cache (a large one only costs page
     * faults); the view path below enlarges it for its random seeks. No mmap,
     * which would count the file as our RSS. */
    sqlite3_exec(db, "PRAGMA cache_size=200", NULL, NULL, NULL);
    if (load_people(db, ds, &cust, &n_cust, err, errlen) < 0 ||
        (via_view && dataset_load_items_products(db, ds, err, errlen) < 0) ||
        (!via_view && dataset_load_items_sellers(db, ds, &hs, err, errlen) < 0))
        goto out;
    if (!via_view) { /* while the second thread may still read the catalogue */
        build_customer_hash(cust, n_cust, &hc); /* out of memory: hc empty, the view */
        free(cust);
        cust = NULL;
    }
    if (scanning)
        pthread_join(scanner, NULL);
    scanning = 0;
    if (!via_view && orders.products_rc < 0) {
        err_set(err, errlen, "%s", orders.err);
        goto out;
    }
    size_t cap = dataset_ids_table_rows(db, "SELECT MAX(rowid) FROM order_items");
    ds->events = malloc(cap * sizeof *ds->events);
    ds->item_price = malloc(((size_t)ds->items.n + 1) * sizeof *ds->item_price);
    psum = calloc((size_t)ds->items.n + 1, sizeof *psum);
    pcnt = calloc((size_t)ds->items.n + 1, sizeof *pcnt);
    if (!ds->events || !ds->item_price || !psum || !pcnt) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    if (via_view || load_events_direct(db, ds, &hc, &orders, &hs, &cap) < 0) {
        ds->n_events = 0;
        sqlite3_exec(db, "PRAGMA cache_size=-16384", NULL, NULL, NULL);
        if (load_events_view(db, ds, &cap) < 0) {
            err_set(err, errlen, "cannot read the interactions view of %s: %s", path,
                    sqlite3_errmsg(db));
            goto out;
        }
    }
    for (int64_t k = 0; k < ds->n_events; k++) {
        psum[ds->events[k].item] += ds->events[k].price;
        pcnt[ds->events[k].item]++;
    }
    for (int32_t i = 0; i < ds->items.n; i++)
        ds->item_price[i] = pcnt[i] ? (float)(psum[i] / pcnt[i]) : -1.0f;
    if (sort_events(ds) < 0) {
        err_set(err, errlen, "out of memory sorting %lld purchases", (long long)ds->n_events);
        goto out;
    }
    rc = 0;
out:
    if (scanning)
        pthread_join(scanner, NULL);
    free(orders.rows);
    free(hs.slot);
    free(hc.slot);
    sqlite3_close(db);
    free(cust);
    free(psum);
    free(pcnt);
    if (rc < 0)
        dataset_free(ds);
    return rc;
}