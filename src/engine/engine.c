/* The engine: an opened database plus the active model (or the popularity
 * fallback), with product details, the customer map and every customer's
 * purchase history (engine/history.c) preloaded, so that no call after
 * engine_open runs SQL: engine_recommend takes microseconds and a profile
 * or product lookup no more. Immutable after engine_open; only the
 * reference count changes (atomically). */
#include "engine/engine.h"

#include <ctype.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/algo.h"
#include "engine/audience.h"
#include "engine/content.h"
#include "engine/dataset_load.h"
#include "engine/history.h"
#include "engine/model.h"
#include "engine/modelstore.h"
#include "engine/overlay_rec.h"
#include "engine/sources_context.h"
#include "engine/train.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/sbuf.h"

struct product_info {
    double price;      /* < 0 unknown */
    double avg_rating; /* 0 when none */
    int n_ratings;
    int32_t rank; /* 1-based popularity rank, 0 when never bought */
};

struct customer {
    char id[DS_ID_LEN];
    int32_t user; /* index into engine.people */
};

struct engine {
    int refs; /* __atomic */
    char *db_path;
    char *source; /* where the model came from (engine_set_source); NULL: db_path */
    struct model m;
    struct model_meta meta;
    int fallback;
    char warning[512];
    struct product_info *pinfo; /* per model item */
    struct customer *cust;      /* sorted by customer_id */
    int32_t n_cust;
    struct idmap people; /* every customer_unique_id in the database */
    char (*people_state)[3];
    int32_t *people_model;      /* index in m.ctx.users, -1 */
    char latest[24];            /* latest purchase timestamp: "now" for recency */
    int64_t users_with_history; /* counted once at open: info is called per request */
    int32_t *hist_users;        /* the model users with history, ascending (random user) */
    struct history hist;        /* purchases, cities, catalogue names: profiles without SQL */
    struct engine *base; /* engine_open_variant: cust, people, people_state and hist are base's */
    char *frag;          /* every item's rendered fixed part (engine_set_item_renderer), or NULL */
    uint32_t *frag_off;  /* item k's is frag[frag_off[k] .. frag_off[k + 1]) */
};

static engine_item_render_fn item_renderer; /* set before the threads that open engines start */

void engine_set_item_renderer(engine_item_render_fn fn)
{
    item_renderer = fn;
}

/* snprintf(dst, size, "%s", src) without printf: on the request path. */
static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* What a recommendation shows of model item k (score and source aside). */
static void fill_item(const struct engine *e, int32_t k, struct rec_item *it)
{
    memcpy(it->product_id, e->m.ctx.items.ids[k], REC_ID_LEN);
    copy_str(it->category, sizeof it->category, e->m.ctx.cats[e->m.ctx.item_cat[k]]);
    it->price = e->pinfo[k].price;
    it->avg_rating = e->pinfo[k].avg_rating;
    it->n_ratings = e->pinfo[k].n_ratings;
    it->fixed = e->frag ? e->frag + e->frag_off[k] : NULL;
    it->fixed_len = e->frag ? e->frag_off[k + 1] - e->frag_off[k] : 0;
}

/* Renders every item's fixed part once (item_renderer, when set). Out of
 * memory or past 4 GiB leaves none: requests then render the fields. */
static void build_fragments(struct engine *e)
{
    int32_t n = e->m.ctx.items.n;
    struct sbuf b;
    struct rec_item it;
    if (!item_renderer || n <= 0)
        return;
    uint32_t *off = malloc(((size_t)n + 1) * sizeof *off);
    sbuf_init(&b, (size_t)UINT32_MAX);
    for (int32_t k = 0; off && k < n && !b.overflow; k++) {
        off[k] = (uint32_t)b.len;
        memset(&it, 0, sizeof it);
        fill_item(e, k, &it);
        item_renderer(&b, &it);
    }
    if (!off || b.overflow) {
        free(off);
        sbuf_free(&b);
        return;
    }
    off[n] = (uint32_t)b.len;
    e->frag = b.p; /* the buffer's bytes are the engine's now */
    e->frag_off = off;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Lowercases a 32-hex id into out; -1 when malformed. */
static int normalise_id(const char *in, char out[DS_ID_LEN])
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

static int load_products(struct engine *e, sqlite3 *db, char *err, size_t errlen)
{
    const struct dataset *c = &e->m.ctx;
    sqlite3_stmt *st = NULL;
    e->pinfo = calloc((size_t)c->items.n + 1, sizeof *e->pinfo);
    if (!e->pinfo)
        return err_set(err, errlen, "out of memory");
    for (int32_t i = 0; i < c->items.n; i++)
        e->pinfo[i].price = c->item_price[i];
    static const char *const sql[] = {
        "SELECT product_id, AVG(price), 0 FROM order_items WHERE price_outlier = 0"
        " GROUP BY product_id",
        "SELECT i.product_id, AVG(r.review_score), COUNT(*) FROM order_reviews r JOIN"
        " (SELECT DISTINCT order_id, product_id FROM order_items) i ON i.order_id = r.order_id"
        " GROUP BY i.product_id"};
    for (int q = 0; q < 2; q++) {
        if (sqlite3_prepare_v2(db, sql[q], -1, &st, NULL) != SQLITE_OK)
            return err_set(err, errlen, "cannot read product details from %s: %s", e->db_path,
                           sqlite3_errmsg(db));
        while (sqlite3_step(st) == SQLITE_ROW) {
            int32_t i = dataset_idmap_find(&c->items, (const char *)sqlite3_column_text(st, 0));
            if (i < 0)
                continue;
            if (q == 0)
                e->pinfo[i].price = sqlite3_column_double(st, 1);
            else {
                e->pinfo[i].avg_rating = sqlite3_column_double(st, 1);
                e->pinfo[i].n_ratings = sqlite3_column_int(st, 2);
            }
        }
        sqlite3_finalize(st);
    }
    for (int32_t k = 0; k < e->m.pop.n_global; k++)
        e->pinfo[e->m.pop.global[k]].rank = k + 1;
    return 0;
}

static int load_customers(struct engine *e, sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0, n = 0;
    struct row {
        char cid[DS_ID_LEN], uid[DS_ID_LEN], state[3];
    } *rows = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT customer_id, customer_unique_id, customer_state FROM customers",
                           -1, &st, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot read customers from %s: %s", e->db_path, sqlite3_errmsg(db));
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        char cid[DS_ID_LEN], uid[DS_ID_LEN];
        const char *s = (const char *)sqlite3_column_text(st, 2);
        if (normalise_id((const char *)sqlite3_column_text(st, 0), cid) < 0 ||
            normalise_id((const char *)sqlite3_column_text(st, 1), uid) < 0)
            continue;
        if (mem_grow((void **)&rows, sizeof *rows, n + 1, &cap, DS_MAX_ROWS) < 0) {
            err_set(err, errlen, "too many customers or out of memory");
            goto out;
        }
        memcpy(rows[n].cid, cid, DS_ID_LEN);
        memcpy(rows[n].uid, uid, DS_ID_LEN);
        snprintf(rows[n].state, 3, "%s", s ? s : "");
        n++;
    }
    /* people: the distinct unique ids, sorted */
    if (n) /* rows is NULL when there are none */
        qsort(rows, n, sizeof *rows, cmp_str); /* by customer_id first */
    e->cust = malloc((n ? n : 1) * sizeof *e->cust);
    char(*u)[DS_ID_LEN] = malloc((n ? n : 1) * DS_ID_LEN);
    if (!e->cust || !u) {
        free(u);
        err_set(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(u[i], rows[i].uid, DS_ID_LEN);
    qsort(u, n, DS_ID_LEN, cmp_str);
    int32_t np = 0;
    for (size_t i = 0; i < n; i++)
        if (!np || strcmp(u[np - 1], u[i]))
            memcpy(u[np++], u[i], DS_ID_LEN);
    e->people.ids = u;
    e->people.n = np;
    e->people_state = calloc((size_t)np + 1, 3);
    if (!e->people_state) {
        err_set(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t p = dataset_idmap_find(&e->people, rows[i].uid);
        memcpy(e->cust[i].id, rows[i].cid, DS_ID_LEN);
        e->cust[i].user = p;
        if (p >= 0 && rows[i].state[0])
            memcpy(e->people_state[p], rows[i].state, 3);
    }
    e->n_cust = (int32_t)n;
    rc = 0;
out:
    sqlite3_finalize(st);
    free(rows);
    return rc;
}

/* history_person_fn: a customer_unique_id as stored -> index into people. */
static int32_t person_of(void *ctx, const char *unique_id)
{
    const struct engine *e = ctx;
    char id[DS_ID_LEN];
    return normalise_id(unique_id, id) < 0 ? -1 : dataset_idmap_find(&e->people, id);
}

/* The per-model parts of an engine opened on e->m: who of the people the
 * model knows, and the model users with history. 0 or ERR_NOMEM. */
static int index_model_users(struct engine *e)
{
    e->people_model = malloc(((size_t)e->people.n + 1) * sizeof *e->people_model);
    if (!e->people_model)
        return ERR_NOMEM;
    for (int32_t p = 0; p < e->people.n; p++)
        e->people_model[p] = dataset_idmap_find(&e->m.ctx.users, e->people.ids[p]);
    for (int32_t u = 0; u < e->m.ui.n_rows; u++)
        e->users_with_history += e->m.ui.ptr[u + 1] > e->m.ui.ptr[u];
    e->hist_users = malloc(((size_t)e->users_with_history + 1) * sizeof *e->hist_users);
    if (!e->hist_users)
        return ERR_NOMEM;
    for (int32_t u = 0, k = 0; u < e->m.ui.n_rows; u++)
        if (e->m.ui.ptr[u + 1] > e->m.ui.ptr[u])
            e->hist_users[k++] = u;
    return 0;
}

/* Popularity over the whole database when no usable model exists. */
static int build_fallback(struct engine *e, char *err, size_t errlen)
{
    struct dataset ds;
    if (dataset_load(e->db_path, &ds, err, errlen) < 0)
        return -1;
    int rc = model_train(&ds, "popularity", NULL, train_all_data_cutoff(&ds), &e->m, err, errlen);
    dataset_free(&ds);
    e->fallback = 1;
    snprintf(e->meta.algorithm, sizeof e->meta.algorithm, "popularity");
    e->meta.version = 0;
    return rc;
}

int engine_open(const char *db_path, struct engine **out, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    struct engine *e = calloc(1, sizeof *e);
    char lerr[400];
    *out = NULL;
    if (!e || !(e->db_path = strdup(db_path))) {
        free(e);
        return err_set(err, errlen, "out of memory");
    }
    e->refs = 1;
    if (dataset_open_ro(db_path, &db, err, errlen) < 0)
        goto fail;
    sqlite3_exec(db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536", NULL, NULL, NULL);
    int s = modelstore_load_active(db, &e->m, &e->meta, lerr, sizeof lerr);
    if (s != 0) {
        snprintf(e->warning, sizeof e->warning, "%s; serving popularity instead", lerr);
        modelstore_meta_free(&e->meta);
        memset(&e->meta, 0, sizeof e->meta);
        if (build_fallback(e, err, errlen) < 0)
            goto fail;
    }
    if (load_products(e, db, err, errlen) < 0 || load_customers(e, db, err, errlen) < 0 ||
        history_load(db, e->people.n, person_of, e, &e->hist, err, errlen) < 0)
        goto fail;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT MAX(ts) FROM interactions", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(e->latest, sizeof e->latest, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    db = NULL;
    if (index_model_users(e) < 0) {
        err_set(err, errlen, "out of memory");
        goto fail;
    }
    build_fragments(e);
#ifdef __GLIBC__
    /* the load's scratch (rows as read before interning, SQLite's sorter and
     * page cache: twice what the engine keeps) goes back to the system
     * instead of staying in this thread's heap for the next load */
    malloc_trim(0);
#endif
    *out = e;
    return 0;
fail:
    sqlite3_close(db);
    engine_release(e);
    return -1;
}

int engine_open_variant(struct engine *base, int64_t version, struct engine **out, char *err,
                        size_t errlen)
{
    sqlite3 *db = NULL;
    struct engine *e = calloc(1, sizeof *e);
    char lerr[400];
    int rc = ERR_FAIL;
    *out = NULL;
    if (!e || !(e->db_path = strdup(base->db_path))) {
        free(e);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    }
    e->refs = 1;
    engine_retain(base);
    e->base = base; /* the catalogue, customers and histories: shared, read-only */
    e->cust = base->cust;
    e->n_cust = base->n_cust;
    e->people = base->people;
    e->people_state = base->people_state;
    e->hist = base->hist;
    memcpy(e->latest, base->latest, sizeof e->latest);
    if (dataset_open_ro(e->db_path, &db, err, errlen) < 0)
        goto fail;
    int s = modelstore_load_version(db, version, &e->m, &e->meta, lerr, sizeof lerr);
    if (s != 0) {
        rc = err_code_set(err, errlen, s == 1 ? ERR_NOT_FOUND : s, "%s", lerr);
        goto fail;
    }
    if (load_products(e, db, err, errlen) < 0)
        goto fail;
    if (index_model_users(e) < 0) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        goto fail;
    }
    build_fragments(e);
    sqlite3_close(db);
    *out = e;
    return 0;
fail:
    sqlite3_close(db);
    engine_release(e);
    return rc;
}

void engine_retain(struct engine *e)
{
    if (e)
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
}

void engine_release(struct engine *e)
{
    if (!e || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    model_free(&e->m);
    modelstore_meta_free(&e->meta);
    free(e->pinfo);
    free(e->frag);
    free(e->frag_off);
    free(e->people_model);
    free(e->hist_users);
    if (e->base) {
        engine_release(e->base);
    } else {
        free(e->cust);
        dataset_idmap_free(&e->people);
        free(e->people_state);
        history_free(&e->hist);
    }
    free(e->db_path);
    free(e->source);
    free(e);
}

int engine_set_source(struct engine *e, const char *source)
{
    char *copy = strdup(source);
    if (!copy)
        return ERR_NOMEM;
    free(e->source);
    e->source = copy;
    return 0;
}

const char *engine_warning(const struct engine *e)
{
    return e->warning[0] ? e->warning : NULL;
}

void engine_get_info(const struct engine *e, struct engine_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->algorithm, sizeof info->algorithm, "%s", e->m.algorithm);
    info->version = e->fallback ? 0 : e->meta.version;
    info->fallback = e->fallback;
    snprintf(info->cutoff, sizeof info->cutoff, "%s", e->meta.cutoff);
    snprintf(info->created_at, sizeof info->created_at, "%s", e->meta.created_at);
    int64_t users = e->users_with_history;
    info->users = users;
    info->products = e->m.ctx.items.n;
    info->interactions = e->m.ui.nnz;
    double cells = (double)users * (double)info->products;
    info->sparsity = cells > 0 ? 1.0 - (double)info->interactions / cells : 1.0;
    info->train_seconds = e->meta.train_seconds;
    info->metrics_json = e->meta.metrics_json ? e->meta.metrics_json : "{}";
    info->source = e->source ? e->source : e->db_path;
    info->params_json = e->meta.params_json ? e->meta.params_json : "{}";
}

/* customer_id or customer_unique_id -> index into people (-1), and the
 * resolved unique id. */
static int32_t resolve_person(const struct engine *e, const char *id, char uid[DS_ID_LEN])
{
    const struct customer *c = bsearch(id, e->cust, (size_t)e->n_cust, sizeof *e->cust, cmp_str);
    if (c && c->user >= 0) {
        memcpy(uid, e->people.ids[c->user], DS_ID_LEN);
        return c->user;
    }
    memcpy(uid, id, DS_ID_LEN);
    return dataset_idmap_find(&e->people, id);
}

/* The model's repurchase policy: owned items allowed for a hybrid with a
 * positive learned-repurchase weight (the others never rank them). */
static int engine_repurchase_default(const struct model *m)
{
    return !strcmp(m->algorithm, "hybrid") && m->params.repurchase_weight > 0;
}

int engine_recommend(struct engine *e, const struct rec_request *req, struct rec_result *out,
                     char *err, size_t errlen)
{
    char id[DS_ID_LEN];
    memset(out, 0, offsetof(struct rec_result, items));
    out->explain[0] = 0;
    if (normalise_id(req->user, id) < 0)
        return err_code_set(err, errlen, ERR_INVALID, "user id must be 32 hexadecimal characters");
    if (req->count < 1 || req->count > REC_MAX_ITEMS)
        return err_code_set(err, errlen, ERR_INVALID, "count must be 1..%d, not %d", REC_MAX_ITEMS,
                            req->count);
    struct sources_context cx; /* no context: resolved at once to "none" */
    int rc = sources_context_resolve(&e->m, req->context, &cx, err, errlen);
    if (rc < 0)
        return rc;
    int filter = sources_context_filters(&cx);
    int32_t p = resolve_person(e, id, out->user_id);
    int32_t mu = p >= 0 ? e->people_model[p] : dataset_idmap_find(&e->m.ctx.users, out->user_id);
    if (p >= 0)
        memcpy(out->state, e->people_state[p], 3);
    out->known = mu >= 0 && e->m.ui.ptr[mu + 1] > e->m.ui.ptr[mu];
    struct rec_query q = {.user = mu,
                          .state =
                              dataset_state_index(&e->m.ctx, out->state[0] ? out->state : NULL),
                          .n = filter ? REC_MAX_ITEMS : req->count,
                          .allow_repurchase = req->allow_repurchase != REC_REPURCHASE_MODEL
                                                  ? req->allow_repurchase
                                                  : engine_repurchase_default(&e->m),
                          .explain = req->explain};
    struct rec_list list;
    list.n = 0;
    list.explain[0] = 0;
    if (req->overlay && !overlay_empty(req->overlay)) /* events since training */
        overlay_recommend(req->overlay, &e->m, &q, out->user_id, &list, &out->known);
    else
        e->m.ops->recommend(&e->m, &q, &list);
    if (filter) { /* a context filters the longer list down to count */
        struct rec_list ranked = list;
        q.n = req->count;
        sources_context_apply(&e->m, &q, &cx, out->known, &ranked, &list);
    }
    out->n_items = list.n;
    for (int i = 0; i < list.n; i++) {
        struct rec_item *it = &out->items[i];
        int32_t k = list.items[i].item;
        fill_item(e, k, it);
        it->score = list.items[i].score;
        it->source = list.items[i].source;
    }
    if (req->explain) {
        int by_state = 0;
        for (int i = 0; i < list.n; i++)
            by_state |= !strcmp(list.items[i].source, "popularity:state");
        if (!list.explain[0] && list.n)
            snprintf(list.explain, sizeof list.explain, "%s%s%s",
                     out->known ? "" : "no purchase history: ",
                     by_state ? "popular with customers in " : "most purchased recently",
                     by_state ? out->state : "");
        snprintf(out->explain, sizeof out->explain, "%s", list.explain);
    }
    return 0;
}

int engine_product_audience(struct engine *e, const char *product_id, int count,
                            struct product_audience *out, char *err, size_t errlen)
{
    char id[DS_ID_LEN];
    out->n = 0;
    if (normalise_id(product_id, id) < 0)
        return err_code_set(err, errlen, ERR_INVALID,
                            "product id must be 32 hexadecimal characters");
    if (count < 1 || count > ENGINE_MAX_AUDIENCE)
        return err_code_set(err, errlen, ERR_INVALID, "count must be 1..%d, not %d",
                            ENGINE_MAX_AUDIENCE, count);
    int32_t i = dataset_idmap_find(&e->m.ctx.items, id);
    if (i < 0)
        return err_code_set(err, errlen, ERR_NOT_FOUND, "no product %s", id);
    memcpy(out->product_id, id, REC_ID_LEN);
    copy_str(out->category, sizeof out->category, e->m.ctx.cats[e->m.ctx.item_cat[i]]);
    if (audience_collect(&e->m, &e->hist, &e->people, i, count, out) < 0)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory finding the audience");
    return 0;
}

int engine_context_check(const struct engine *e, const struct rec_context *cx, char *err,
                         size_t errlen)
{
    struct sources_context c;
    return sources_context_resolve(&e->m, cx, &c, err, errlen);
}

/* splitmix64: a well-mixed 64-bit value from any seed (0, 1, 2... included). */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Users "with history" are exactly those engine_recommend reports as known
 * (a non-empty row in the model's training matrix). The mixed seed is mapped
 * onto them by a 128-bit multiply: bias below n / 2^64, i.e. uniform. */
int engine_random_user(struct engine *e, uint64_t seed, char out[REC_ID_LEN])
{
    if (!e || e->users_with_history <= 0)
        return -1;
    unsigned __int128 wide = (unsigned __int128)mix64(seed) * (uint64_t)e->users_with_history;
    int32_t u = e->hist_users[(size_t)(wide >> 64)];
    memcpy(out, e->m.ctx.users.ids[u], REC_ID_LEN);
    out[REC_ID_LEN - 1] = 0;
    return 0;
}

int engine_user_profile(struct engine *e, const char *user, struct user_profile *out, char *err,
                        size_t errlen)
{
    char id[DS_ID_LEN];
    int rc;
    memset(out, 0, sizeof *out);
    if (normalise_id(user, id) < 0)
        return err_code_set(err, errlen, ERR_INVALID, "user id must be 32 hexadecimal characters");
    int32_t p = resolve_person(e, id, out->user_id);
    if (p < 0)
        return err_code_set(err, errlen, ERR_NOT_FOUND, "no customer %s", id);
    memcpy(out->state, e->people_state[p], 3);
    if ((rc = history_profile(&e->hist, p, out, err, errlen)) < 0)
        return rc;
    int32_t dl = dataset_parse_day(out->last_purchase), dn = dataset_parse_day(e->latest);
    out->has_recency = dl >= 0 && dn >= 0;
    out->recency_days = out->has_recency ? dn - dl : 0;
    return 0;
}

void engine_user_profile_free(struct user_profile *p)
{
    free(p->purchases);
    p->purchases = NULL;
    p->n_purchases = 0;
}

/* Up to ENGINE_SIMILAR neighbours of item i: item-item ones first, then
 * content-based ones not already listed. */
static void product_similar(const struct model *m, int32_t i, struct product_detail *out)
{
    struct scored sim[ENGINE_SIMILAR], more[ENGINE_SIMILAR * 2];
    int n = 0;
    if (m->icf.ptr)
        for (int64_t k = m->icf.ptr[i]; k < m->icf.ptr[i + 1] && n < ENGINE_SIMILAR; k++)
            sim[n++] = (struct scored){m->icf.idx[k], m->icf.sim[k], "itemcf"};
    if (n < ENGINE_SIMILAR) {
        int got = content_similar(m, i, ENGINE_SIMILAR * 2, more);
        for (int k = 0; k < got && n < ENGINE_SIMILAR; k++) {
            int dup = 0;
            for (int j = 0; j < n; j++)
                dup |= sim[j].item == more[k].item;
            if (!dup)
                sim[n++] = more[k];
        }
    }
    for (int k = 0; k < n; k++) {
        struct product_similar *x = &out->similar[k];
        memcpy(x->product_id, m->ctx.items.ids[sim[k].item], REC_ID_LEN);
        copy_str(x->category, sizeof x->category, m->ctx.cats[m->ctx.item_cat[sim[k].item]]);
        x->score = sim[k].score;
        x->source = sim[k].source;
    }
    out->n_similar = n;
}

int engine_product_detail(struct engine *e, const char *product_id, struct product_detail *out,
                          char *err, size_t errlen)
{
    char id[DS_ID_LEN];
    const struct model *m = &e->m;
    memset(out, 0, sizeof *out);
    if (normalise_id(product_id, id) < 0)
        return err_code_set(err, errlen, ERR_INVALID,
                            "product id must be 32 hexadecimal characters");
    int32_t i = dataset_idmap_find(&m->ctx.items, id);
    if (i < 0)
        return err_code_set(err, errlen, ERR_NOT_FOUND, "no product %s", id);
    memcpy(out->product_id, id, REC_ID_LEN);
    copy_str(out->category, sizeof out->category, m->ctx.cats[m->ctx.item_cat[i]]);
    out->has_category_pt =
        history_category_pt(&e->hist, id, out->category_pt, sizeof out->category_pt);
    const struct product_info *pi = &e->pinfo[i];
    out->price = pi->price;
    out->avg_rating = pi->avg_rating;
    out->n_ratings = pi->n_ratings;
    out->purchases = m->pop.count_all[i];
    out->popularity_rank = pi->rank;
    product_similar(m, i, out);
    return 0;
}

int engine_product_known(const struct engine *e, const char *product_id, char *category,
                         size_t catlen, double *price)
{
    char id[DS_ID_LEN];
    if (normalise_id(product_id, id) < 0)
        return 0;
    int32_t i = dataset_idmap_find(&e->m.ctx.items, id);
    if (i < 0)
        return 0;
    if (category)
        copy_str(category, catlen, e->m.ctx.cats[e->m.ctx.item_cat[i]]);
    if (price)
        *price = e->pinfo[i].price;
    return 1;
}
