/* The engine: an opened database plus the active model (or the popularity
 * fallback), with product details, the customer map and every customer's
 * purchase history (engine/catalogue.c) preloaded, so that no call after
 * engine_open runs SQL: engine_recommend takes microseconds and a profile
 * or product lookup no more. Immutable after engine_open; only the
 * reference count changes (atomically). The catalogue is shared by the
 * engines of one database's data (engine_reopen, engine_open_variant). */
#include "engine/engine.h"

#include <ctype.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/algo.h"
#include "engine/audience.h"
#include "engine/catalogue.h"
#include "engine/content.h"
#include "engine/dataset_load.h"
#include "engine/history.h"
#include "engine/model.h"
#include "engine/modelstore.h"
#include "engine/overlay_rec.h"
#include "engine/sources_context.h"
#include "engine/train.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/sbuf.h"

struct product_info {
    double price;      /* < 0 unknown */
    double avg_rating; /* 0 when none */
    int n_ratings;
    int32_t rank; /* 1-based popularity rank, 0 when never bought */
};

/* Every item's rendered fixed part (build_fragments), shared by the
 * engines whose items render the same (another model of the same data). */
struct frags {
    int refs; /* __atomic */
    char *text;
    uint32_t *off; /* item k's is text[off[k] .. off[k + 1]) */
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
    struct catalogue *cat;      /* customers, histories, product details: shared */
    /* the catalogue's, copied (shallow) for the request path */
    struct idmap people; /* every customer_unique_id in the database */
    char (*people_state)[3];
    char latest[24];            /* latest purchase timestamp: "now" for recency */
    struct history hist;        /* purchases, cities, catalogue names: profiles without SQL */
    int32_t *people_model;      /* index in m.ctx.users, -1 */
    int64_t users_with_history; /* counted once at open: info is called per request */
    int32_t *hist_users;        /* the model users with history, ascending (random user) */
    struct frags *frags;        /* the rendered items (engine_set_item_renderer), or NULL */
    char *frag;                 /* frags' text and offsets, for the request path */
    uint32_t *frag_off;
    struct engine_load_stats stats;
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

static void frags_release(struct frags *f)
{
    if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    free(f->text);
    free(f->off);
    free(f);
}

static void use_frags(struct engine *e, struct frags *f)
{
    __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
    e->frags = f;
    e->frag = f->text;
    e->frag_off = f->off;
}

/* 1 when every item of a renders as b's does: the same products, in the
 * same order, with the same category, price and ratings (fill_item). */
static int same_rendering(const struct engine *a, const struct engine *b)
{
    const struct dataset *x = &a->m.ctx, *y = &b->m.ctx;
    if (x->items.n != y->items.n ||
        memcmp(x->items.ids, y->items.ids, (size_t)x->items.n * DS_ID_LEN))
        return 0;
    for (int32_t k = 0; k < x->items.n; k++) {
        const struct product_info *p = &a->pinfo[k], *q = &b->pinfo[k];
        if (strcmp(x->cats[x->item_cat[k]], y->cats[y->item_cat[k]]) ||
            memcmp(&p->price, &q->price, sizeof p->price) ||
            memcmp(&p->avg_rating, &q->avg_rating, sizeof p->avg_rating) ||
            p->n_ratings != q->n_ratings)
            return 0;
    }
    return 1;
}

/* Renders every item's fixed part once (item_renderer, when set), or takes
 * like's when it renders the same (NULL: none to compare). Out of memory
 * or past 4 GiB leaves none: requests then render the fields. */
static void build_fragments(struct engine *e, const struct engine *like)
{
    int32_t n = e->m.ctx.items.n;
    struct sbuf b;
    struct rec_item it;
    if (!item_renderer || n <= 0)
        return;
    if (like && like->frags && same_rendering(e, like)) {
        use_frags(e, like->frags);
        return;
    }
    struct frags *f = calloc(1, sizeof *f);
    uint32_t *off = malloc(((size_t)n + 1) * sizeof *off);
    sbuf_init(&b, (size_t)UINT32_MAX);
    for (int32_t k = 0; f && off && k < n && !b.overflow; k++) {
        off[k] = (uint32_t)b.len;
        memset(&it, 0, sizeof it);
        fill_item(e, k, &it);
        item_renderer(&b, &it);
    }
    if (!f || !off || b.overflow) {
        free(f);
        free(off);
        sbuf_free(&b);
        return;
    }
    off[n] = (uint32_t)b.len;
    f->refs = 1;
    f->text = b.p; /* the buffer's bytes are f's now */
    f->off = off;
    use_frags(e, f);
    frags_release(f); /* e holds it */
}

/* The per-item details of the model: its mean price, overridden by the
 * catalogue's (non-outlier items) and review scores, and its popularity
 * rank. 0 or ERR_NOMEM. */
static int index_products(struct engine *e)
{
    const struct dataset *c = &e->m.ctx;
    e->pinfo = calloc((size_t)c->items.n + 1, sizeof *e->pinfo);
    if (!e->pinfo)
        return ERR_NOMEM;
    const struct catalogue *cat = e->cat;
    /* both sorted: one merge instead of a binary search per item */
    for (int32_t i = 0, j = 0; i < c->items.n; i++) {
        struct product_info *pi = &e->pinfo[i];
        int d = -1;
        pi->price = c->item_price[i];
        while (j < cat->products.n && (d = strcmp(cat->products.ids[j], c->items.ids[i])) < 0)
            j++;
        if (j < cat->products.n && d == 0) {
            if (!isnan(cat->price[j]))
                pi->price = cat->price[j];
            pi->avg_rating = cat->rating[j];
            pi->n_ratings = cat->n_ratings[j];
        }
    }
    for (int32_t k = 0; k < e->m.pop.n_global; k++)
        e->pinfo[e->m.pop.global[k]].rank = k + 1;
    return 0;
}

/* The per-model parts of an engine opened on e->m: who of the people the
 * model knows, and the model users with history. 0 or ERR_NOMEM. */
static int index_model_users(struct engine *e)
{
    const struct idmap *users = &e->m.ctx.users;
    e->people_model = malloc(((size_t)e->people.n + 1) * sizeof *e->people_model);
    if (!e->people_model)
        return ERR_NOMEM;
    /* both sorted: one merge instead of a binary search per person */
    for (int32_t p = 0, u = 0; p < e->people.n; p++) {
        int c = -1;
        while (u < users->n && (c = strcmp(users->ids[u], e->people.ids[p])) < 0)
            u++;
        e->people_model[p] = u < users->n && c == 0 ? u : -1;
    }
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

/* Takes a reference to catalogue c and the request path's copies of it. */
static void use_catalogue(struct engine *e, struct catalogue *c)
{
    catalogue_retain(c);
    e->cat = c;
    e->people = c->people;
    e->people_state = c->people_state;
    e->hist = c->hist;
    memcpy(e->latest, c->latest, sizeof e->latest);
}

/* The per-model tables of an engine whose model and catalogue are in
 * place; the rendered items are like's when they render the same (NULL:
 * render them). 0 or ERR_NOMEM. */
static int index_model(struct engine *e, const struct engine *like)
{
    if (index_products(e) < 0 || index_model_users(e) < 0)
        return ERR_NOMEM;
    build_fragments(e, like);
    return 0;
}

int engine_open(const char *db_path, struct engine **out, char *err, size_t errlen)
{
    return engine_reopen(db_path, NULL, out, err, errlen);
}

int engine_reopen(const char *db_path, struct engine *prev, struct engine **out, char *err,
                  size_t errlen)
{
    sqlite3 *db = NULL;
    struct catalogue *cat = NULL;
    struct engine *e = calloc(1, sizeof *e);
    char lerr[400];
    double t0 = clock_monotonic(), t;
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
    e->stats.model = (t = clock_monotonic()) - t0;
    if (prev && prev->cat && !strcmp(prev->db_path, db_path) &&
        catalogue_current(prev->cat, db, db_path)) {
        use_catalogue(e, prev->cat);
        e->stats.catalogue_shared = 1;
    } else {
        if (catalogue_open(db, db_path, &cat, err, errlen) < 0)
            goto fail;
        use_catalogue(e, cat);
        catalogue_release(cat); /* e holds it */
    }
    sqlite3_close(db);
    db = NULL;
    e->stats.catalogue = clock_monotonic() - t;
    t = clock_monotonic();
    if (index_model(e, e->stats.catalogue_shared ? prev : NULL) < 0) {
        err_set(err, errlen, "out of memory");
        goto fail;
    }
#ifdef __GLIBC__
    /* the load's scratch (rows as read before interning, SQLite's sorter and
     * page cache: twice what the engine keeps) goes back to the system
     * instead of staying in this thread's heap for the next load */
    if (!e->stats.catalogue_shared)
        malloc_trim(0);
#endif
    e->stats.index = clock_monotonic() - t;
    e->stats.total = clock_monotonic() - t0;
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
    double t0 = clock_monotonic(), t;
    *out = NULL;
    if (!e || !(e->db_path = strdup(base->db_path))) {
        free(e);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    }
    e->refs = 1;
    use_catalogue(e, base->cat); /* customers, histories, product details: shared */
    e->stats.catalogue_shared = 1;
    if (dataset_open_ro(e->db_path, &db, err, errlen) < 0)
        goto fail;
    int s = modelstore_load_version(db, version, &e->m, &e->meta, lerr, sizeof lerr);
    sqlite3_close(db);
    db = NULL;
    if (s != 0) {
        rc = err_code_set(err, errlen, s == 1 ? ERR_NOT_FOUND : s, "%s", lerr);
        goto fail;
    }
    e->stats.model = (t = clock_monotonic()) - t0;
    if (index_model(e, base) < 0) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
        goto fail;
    }
    e->stats.index = clock_monotonic() - t;
    e->stats.total = clock_monotonic() - t0;
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
    frags_release(e->frags);
    free(e->people_model);
    free(e->hist_users);
    catalogue_release(e->cat);
    free(e->db_path);
    free(e->source);
    free(e);
}

void engine_get_load_stats(const struct engine *e, struct engine_load_stats *out)
{
    *out = e->stats;
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
    return catalogue_person(e->cat, id, uid);
}

int engine_recommend(struct engine *e, const struct rec_request *req, struct rec_result *out,
                     char *err, size_t errlen)
{
    char id[DS_ID_LEN];
    memset(out, 0, offsetof(struct rec_result, items));
    out->explain[0] = 0;
    if (catalogue_normalise_id(req->user, id) < 0)
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
    struct rec_query q = {
        .user = mu,
        .state = dataset_state_index(&e->m.ctx, out->state[0] ? out->state : NULL),
        .n = filter ? REC_MAX_ITEMS : req->count,
        .allow_repurchase = req->allow_repurchase != REC_REPURCHASE_MODEL
                                ? req->allow_repurchase
                                : algo_repurchase_default(e->m.algorithm, &e->m.params),
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
    if (catalogue_normalise_id(product_id, id) < 0)
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
    if (catalogue_normalise_id(user, id) < 0)
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
    if (catalogue_normalise_id(product_id, id) < 0)
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
    if (catalogue_normalise_id(product_id, id) < 0)
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
