/* The one entry point to recommendations, used by the CLI (`recommend`) and
 * by every HTTP region. An engine is an opened database plus the active model,
 * immutable once built and reference counted, so a region can swap in a new
 * one (SIGHUP, activate, rollback) while requests still hold the old one.
 * Every function here is safe to call from many threads on one engine.
 * Knows nothing of sockets, curses or JSON: it returns structs, which
 * src/net/render.c renders for the HTTP API and the CLI alike. Errors are
 * negative enum err_code values (util/error.h) with a sentence in err. */
#ifndef RECSYS_ENGINE_ENGINE_H
#define RECSYS_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#define REC_ID_LEN         33 /* 32 hex characters + NUL: Olist ids */
#define REC_MAX_ITEMS      100
#define ENGINE_MAX_HISTORY 1000 /* purchases listed in a user_profile */
#define ENGINE_SIMILAR     10   /* similar products in a product_detail */

struct rec_item {
    char product_id[REC_ID_LEN];
    char category[64]; /* English name; Portuguese when untranslated; "outros" */
    double price;      /* mean item price in BRL; < 0 when unknown */
    double avg_rating; /* mean review score 1..5; meaningless when n_ratings is 0 */
    int n_ratings;
    double score;
    const char *source; /* static string: "usercf", "itemcf", "als", "content",
                           "popularity:state", "popularity:category",
                           "popularity:global", ... */
    /* The product's part of the rendered entry, made once per engine by the
     * renderer engine_set_item_renderer named (NULL: none; render it from the
     * fields above). Valid while the engine is. */
    const char *fixed;
    size_t fixed_len;
};

struct sbuf;
/* Appends the product's fixed part of a rendered recommendation entry (the
 * caller's format: the engine stores the bytes and knows nothing of them). */
typedef void (*engine_item_render_fn)(struct sbuf *b, const struct rec_item *it);
/* Engines opened from now on render every product of their model once with
 * fn, on the opening thread, and hand the bytes out in rec_item.fixed, so a
 * request does not format the same price and rating again (the HTTP server
 * sets it before its first engine_open; NULL turns it off). */
void engine_set_item_renderer(engine_item_render_fn fn);

#define REC_MAX_EXCLUDE 100 /* product ids in one request's context.exclude */

/* A request's context (engine/sources_context.h): every field optional. */
struct rec_context {
    int set;          /* 0: no context at all */
    char state[3];    /* "": none; else a customer state the model knows (boost) */
    char category[64]; /* "": none; else a category the model knows (filter) */
    int n_exclude;
    char exclude[REC_MAX_EXCLUDE][REC_ID_LEN]; /* 32 hex each; unknown products ignored */
};

#define REC_REPURCHASE_MODEL (-1)

struct rec_request {
    const char *user; /* customer_unique_id or customer_id (mapped) */
    int count;        /* 1..REC_MAX_ITEMS */
    /* owned items: 1 allowed (the hybrid ranks them by the learned repurchase boost), 0
     * left out, REC_REPURCHASE_MODEL the model's policy (the HTTP API's and `recommend`'s
     * default: allowed for a hybrid whose repurchase_weight is above 0, chosen by `tune`) */
    int allow_repurchase;
    int explain;                       /* fill rec_result.explain */
    struct overlay *overlay;           /* purchases since training (engine/overlay.h); NULL: none */
    const struct rec_context *context; /* NULL: none */
};

struct rec_result {
    char user_id[REC_ID_LEN]; /* resolved customer_unique_id (or the input) */
    int known;                /* 1 when the user has purchase history */
    char state[3];            /* customer state, "" when unknown */
    int n_items;
    struct rec_item items[REC_MAX_ITEMS];
    char explain[1024]; /* neighbours or reasons, when asked */
};

struct engine_info {
    char algorithm[32];
    int64_t version; /* model version; 0 for the fallback */
    int fallback;    /* 1 when serving popularity because the model is
                        missing or broken (see engine_warning) */
    char cutoff[20]; /* training cutoff "YYYY-MM-DD", "" for all data */
    char created_at[24];
    int64_t users, products, interactions;
    double sparsity; /* 1 - interactions / (users * products) */
    double train_seconds;
    const char *metrics_json; /* evaluation metrics stored with the model, or "{}" */
    const char *params_json;
    const char *source; /* where the model came from: the database path, or what
                           engine_set_source named (e.g. "s3://bucket/prefix/v7") */
};

/* One purchased item of a user's history. */
struct user_purchase {
    char order_id[REC_ID_LEN];
    char product_id[REC_ID_LEN];
    char category[64]; /* "" when the catalogue has none */
    double price;
    char timestamp[24]; /* "YYYY-MM-DD HH:MM:SS" */
};

/* History and recency / frequency / monetary features of one customer. */
struct user_profile {
    char user_id[REC_ID_LEN]; /* the customer_unique_id */
    char state[3];            /* "" when unknown */
    char city[96];
    int has_city;            /* 0: no city on record */
    int orders, products;    /* distinct orders (= frequency), distinct products */
    char first_purchase[24]; /* "" when no purchase */
    char last_purchase[24];
    int has_recency;  /* 0 when there is no purchase date to count from */
    int recency_days; /* days from the last purchase to the latest one in the database */
    double monetary;  /* sum of item prices */
    int n_purchases;  /* rows in purchases, at most ENGINE_MAX_HISTORY */
    struct user_purchase *purchases; /* malloc'd, oldest first; engine_user_profile_free */
};

struct product_similar {
    char product_id[REC_ID_LEN];
    char category[64];
    double score;
    const char *source; /* static string: "itemcf" or "content" */
};

/* Details, popularity and similar products of one product. */
struct product_detail {
    char product_id[REC_ID_LEN];
    char category[64]; /* English name, as in rec_item */
    char category_pt[96];
    int has_category_pt; /* 0: not in the catalogue */
    double price;        /* < 0 when unknown */
    double avg_rating;   /* meaningless when n_ratings is 0 */
    int n_ratings;
    double purchases;        /* training purchases */
    int32_t popularity_rank; /* 1-based; 0 when never bought */
    int n_similar;
    struct product_similar similar[ENGINE_SIMILAR];
};

struct engine;

/* Opens the SQLite database at db_path (read-only, waiting out other
 * writers' locks up to DS_BUSY_MS) and loads the active model, verifying its
 * sha256, plus everything the calls below need: product details, the
 * customers and their purchase histories. The database is closed again
 * before it returns; no call below runs SQL. A missing, truncated or
 * corrupted model is not an error: the engine falls back to popularity and
 * engine_warning() says why. Returns 0 and *out (refcount 1), or -1 with err
 * when the database cannot be used at all. Slow (a second on the Olist
 * data): servers call it on a background thread (net/bio.c). */
int engine_open(const char *db_path, struct engine **out, char *err, size_t errlen);
/* engine_open, sharing prev's customers, purchase histories, catalogue
 * names and product details (engine/catalogue.h: 0.9 s of the 1 s on the
 * Olist data) when prev was read from the same database file and its data
 * have not changed since: then only the model is loaded (its sha256
 * verified as always), which is what an activation or rollback needs. Any
 * doubt (another file at db_path, another ingest stamp, rows added) reads
 * everything, as does prev NULL. prev is only read; the caller keeps its
 * reference. */
int engine_reopen(const char *db_path, struct engine *prev, struct engine **out, char *err,
                  size_t errlen);

/* What building an engine cost, for the logs and bench/reload: wall
 * seconds of each stage on the opening thread. */
struct engine_load_stats {
    int catalogue_shared; /* 1: the catalogue came from prev (engine_reopen) or base */
    double model;         /* reading the model blob, its sha256, decoding it */
    double catalogue;     /* customers, histories, product details (0 when shared) */
    double index;         /* the per-model tables: product details, users, rendered items */
    double total;
};
void engine_get_load_stats(const struct engine *e, struct engine_load_stats *out);
/* Opens stored model version `version` (active or not) beside base, for
 * A/B experiments: the new engine shares base's customers, histories and
 * catalogue (retained until it is released) and holds only the model and
 * its per-item details. Unlike engine_open there is no
 * fallback: ERR_NOT_FOUND for an unknown version, ERR_CORRUPT for a broken
 * one, ERR_FAIL when the database cannot be read. Slow: a background job. */
int engine_open_variant(struct engine *base, int64_t version, struct engine **out, char *err,
                        size_t errlen);
void engine_retain(struct engine *e);
void engine_release(struct engine *e); /* frees at zero; NULL is fine */

/* Names where the model came from, for health and the dashboard, when it is
 * not the database engine_open read (an artifact downloaded from a model
 * store, say). Call it before the engine is shared with other threads.
 * Returns 0 or ERR_NOMEM. */
int engine_set_source(struct engine *e, const char *source);

/* NULL when the active model loaded cleanly, else a sentence for humans. */
const char *engine_warning(const struct engine *e);
void engine_get_info(const struct engine *e, struct engine_info *info);

/* Top-N for one user. Unknown (well-formed) users get cold-start results and
 * return 0. A malformed id (not 32 hex chars) or a count out of range returns
 * ERR_INVALID with err. No allocation, no SQL: the serving hot path. */
#define ENGINE_MAX_AUDIENCE 100 /* customers in a product_audience */

struct audience_entry {
    char user_id[REC_ID_LEN];   /* customer_unique_id */
    char last_purchase[24];     /* their latest purchase of a similar product */
    char via[REC_ID_LEN];       /* that similar product */
};

/* GET /api/v1/products/{id}/audience (engine/audience.h). */
struct product_audience {
    char product_id[REC_ID_LEN];
    char category[64];
    int n_similar; /* similar products read */
    int n;
    struct audience_entry entries[ENGINE_MAX_AUDIENCE];
};

/* The customers most likely to buy product_id (recent buyers of similar
 * products, newest first), count 1..ENGINE_MAX_AUDIENCE. ERR_INVALID for a
 * malformed id or count, ERR_NOT_FOUND for a product the model does not
 * know, ERR_NOMEM; err says which. No SQL. */
int engine_product_audience(struct engine *e, const char *product_id, int count,
                            struct product_audience *out, char *err, size_t errlen);

/* Checks a request context against the engine's model: ERR_INVALID with err
 * naming the field ("context.state", "context.category",
 * "context.exclude[i]") when a state or category is unknown or an id is not
 * 32 hexadecimal characters; 0 otherwise. engine_recommend checks it too. */
int engine_context_check(const struct engine *e, const struct rec_context *cx, char *err,
                         size_t errlen);
int engine_recommend(struct engine *e, const struct rec_request *req, struct rec_result *out,
                     char *err, size_t errlen);

/* The profile of a customer_unique_id or customer_id, from the histories
 * engine_open preloaded (no SQL: the database may be gone meanwhile).
 * Purchases are listed oldest first (ties: order id, product id, price); the
 * counts cover the listed rows. ERR_INVALID for a malformed id,
 * ERR_NOT_FOUND for an unknown customer, ERR_NOMEM. On success free *out
 * with engine_user_profile_free; on failure *out holds nothing to free. */
int engine_user_profile(struct engine *e, const char *user, struct user_profile *out, char *err,
                        size_t errlen);
void engine_user_profile_free(struct user_profile *p);

/* Details of one product of the model's catalogue, from memory (no SQL).
 * ERR_INVALID for a malformed id, ERR_NOT_FOUND for an unknown product. */
int engine_product_detail(struct engine *e, const char *product_id, struct product_detail *out,
                          char *err, size_t errlen);

/* 1 when product_id (32 hex characters, any case) is in the model's
 * catalogue, copying its English category into category (catlen bytes;
 * NULL: not wanted) and its mean price (< 0 unknown; NULL: not wanted);
 * else 0. No allocation, no SQL: feedback events are checked with it. */
int engine_product_known(const struct engine *e, const char *product_id, char *category,
                         size_t catlen, double *price);

/* A customer_unique_id with purchase history (known to the active model),
 * picked deterministically from seed: the same seed gives the same user on
 * the same model, different seeds spread over all such users. Copies it
 * (NUL-terminated) into out and returns 0, or returns -1 when the model has
 * no user with history (e.g. the popularity fallback). Thread-safe like the
 * rest of this header; no allocation visible to the caller.
 * Used by GET /api/v1/users/random?with_history=1 (src/net/api.c).
 * Implemented by the engine (src/engine/engine.c). */
int engine_random_user(struct engine *e, uint64_t seed, char out[REC_ID_LEN]);

#endif
