/* The one entry point to recommendations, used by the CLI (`recommend`) and
 * by every HTTP region. An engine is an opened database plus the active model,
 * immutable once built and reference counted, so a region can swap in a new
 * one (SIGHUP, activate, rollback) while requests still hold the old one.
 * Every function here is safe to call from many threads on one engine.
 * Knows nothing of sockets or curses. */
#ifndef RECSYS_ENGINE_RECOMMEND_H
#define RECSYS_ENGINE_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>

#define REC_ID_LEN    33 /* 32 hex characters + NUL: Olist ids */
#define REC_MAX_ITEMS 100

struct cJSON;

struct rec_item {
    char product_id[REC_ID_LEN];
    char category[64]; /* English name; Portuguese when untranslated; "outros" */
    double price;      /* mean item price in BRL; < 0 when unknown */
    double avg_rating; /* mean review score 1..5; 0 when no review */
    int n_ratings;
    double score;
    const char *source; /* static string: "usercf", "itemcf", "als", "content",
                           "popularity:state", "popularity:category",
                           "popularity:global", ... */
};

struct rec_request {
    const char *user;     /* customer_unique_id or customer_id (mapped) */
    int count;            /* 1..REC_MAX_ITEMS */
    int allow_repurchase; /* keep items the user already bought */
    int explain;          /* fill rec_result.explain */
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
};

struct engine;

/* Opens the SQLite database at db_path (read-only) and loads the active model,
 * verifying its sha256. A missing, truncated or corrupted model is not an
 * error: the engine falls back to popularity and engine_warning() says why.
 * Returns 0 and *out (refcount 1), or -1 with err when the database cannot be
 * used at all. */
int engine_open(const char *db_path, struct engine **out, char *err, size_t errlen);
void engine_retain(struct engine *e);
void engine_release(struct engine *e); /* frees at zero; NULL is fine */

/* NULL when the active model loaded cleanly, else a sentence for humans. */
const char *engine_warning(const struct engine *e);
void engine_get_info(const struct engine *e, struct engine_info *info);

/* Top-N for one user. Unknown (well-formed) users get cold-start results and
 * return 0. A malformed id (not 32 hex chars) or a count out of range returns
 * -1 with err. */
int engine_recommend(struct engine *e, const struct rec_request *req, struct rec_result *out,
                     char *err, size_t errlen);

/* JSON renderings shared by the CLI and the HTTP API (caller frees with
 * cJSON_Delete). NULL on allocation failure or, for user/product, -1-style
 * misses: *found is set to 0 when the id is unknown. */
struct cJSON *rec_result_to_json(const struct rec_result *r);
struct cJSON *engine_info_to_json(const struct engine *e);
/* History (orders, products, state, first/last purchase) and recency /
 * frequency / monetary features of one user. */
struct cJSON *engine_user_json(struct engine *e, const char *user, int *found, char *err,
                               size_t errlen);
/* Details, popularity and similar products of one product. */
struct cJSON *engine_product_json(struct engine *e, const char *product_id, int *found, char *err,
                                  size_t errlen);

/* Model versions for the API and CLI (models list|activate|rollback). They
 * open db_path read-write themselves; a serving region reloads afterwards. */
struct cJSON *models_list_json(const char *db_path, char *err, size_t errlen);
int models_activate(const char *db_path, int64_t version, char *err, size_t errlen);
int models_rollback(const char *db_path, int64_t *now_active, char *err, size_t errlen);

/* A customer_unique_id with purchase history (known to the active model),
 * picked deterministically from seed: the same seed gives the same user on
 * the same model, different seeds spread over all such users. Copies it
 * (NUL-terminated) into out and returns 0, or returns -1 when the model has
 * no user with history (e.g. the popularity fallback). Thread-safe like the
 * rest of this header; no allocation visible to the caller.
 * Used by GET /api/v1/users/random?with_history=1 (src/net/api.c).
 * Implemented by the engine (src/engine/recommend.c). */
int engine_random_user(struct engine *e, uint64_t seed, char out[REC_ID_LEN]);

#endif
