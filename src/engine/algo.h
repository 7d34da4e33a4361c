/* The common shape of every recommender. A struct model holds the training
 * context every algorithm shares (id maps, states, categories, prices, the
 * training purchase matrix, popularity tables) plus the parts each algorithm
 * fits; struct algo_ops is the small interface: fit, recommend, save, load.
 * A fitted or loaded model is immutable: recommend() only reads it and writes
 * to the caller's struct rec_list, so many threads may share one model. */
#ifndef RECSYS_ENGINE_ALGO_H
#define RECSYS_ENGINE_ALGO_H

#include <stddef.h>
#include <stdint.h>

#include "engine/dataset.h"
#include "engine/recommend.h"
#include "util/mem.h"

struct algo_params {
    int window_days;     /* popularity recency window before the cutoff (30) */
    int state_window;    /* window for the per-state popularity (90) */
    int long_window;     /* hybrid: second, longer window blended in (90) */
    int neighbours;      /* user-user top-k (50) */
    double threshold;    /* user-user minimum cosine (0.3) */
    int max_postings;    /* cap on buyers scanned per product: bounds similarity cost (200) */
    int item_neighbours; /* item-item top-k (50) */
    int factors;         /* ALS latent factors (32) */
    double reg;          /* ALS L2 regularisation (0.1) */
    double alpha;        /* ALS confidence slope (40) */
    int iterations;      /* ALS sweeps (10) */
    int cg_steps;        /* conjugate-gradient steps per solve (3); 0 = Cholesky (LAPACK) */
    uint64_t seed;       /* ALS initialisation seed (42) */
    int price_tiers;     /* content: price tiers within a category (5) */
    double state_weight; /* hybrid cold start: weight of state popularity vs global */
};
void algo_params_default(struct algo_params *p);

struct blob_writer;
struct blob_reader;

/* Top-k neighbour lists in CSR form (users or items). */
struct knn {
    int32_t n_rows;
    int64_t nnz;
    int64_t *ptr;
    int32_t *idx;
    float *sim;
};
void knn_free(struct knn *k);
void knn_save(const struct knn *k, struct blob_writer *w);
/* Reads and validates neighbour lists for rows x cols (indexes < cols). */
int knn_load(struct knn *k, int32_t rows, int32_t cols, struct blob_reader *r);
struct cand_buf;
/* Appends row `row` of a growing knn from the best k candidates of b (sorted
 * by cand_finish); returns -1 on allocation failure. */
int knn_append_row(struct knn *k, int32_t row, const struct cand_buf *b, int top, int64_t *cap);

struct popularity {
    int32_t cutoff_day; /* training data is strictly before this day */
    float *score;       /* per item: window purchases + all-time as tie-break */
    float *count_all;   /* per item: training purchases */
    int32_t n_global;
    int32_t *global;    /* items ranked by score */
    float *blend_score; /* per item: window + (window / long_window) x long window */
    int32_t n_blend;
    int32_t *blend;      /* items ranked by blend_score (the hybrid's cold start) */
    int64_t *state_ptr;  /* n_states + 1 */
    int32_t *state_list; /* per state: items ranked by purchases in that state */
    float *state_score;  /* parallel to state_list */
    int64_t *cat_ptr;    /* n_cats + 1 */
    int32_t *cat_list;   /* per category: every item, ranked by all-time purchases */
    uint8_t *tier;       /* per item: price tier within its category */
};

struct algo_ops;

struct model {
    char algorithm[32];
    struct algo_params params;
    const struct algo_ops *ops;
    struct dataset ctx; /* ids, states, categories, prices; no events after load */
    struct csr ui;      /* training purchases, users x items (counts) */
    struct csr iu;      /* its transpose: buyers per item (derived, not stored) */
    struct popularity pop;
    struct knn ucf; /* user-user neighbours */
    struct knn icf; /* item-item neighbours */
    int32_t als_f;
    float *als_u, *als_v; /* users x f, items x f, row-major */
};

struct rec_query {
    int32_t user; /* model user index, -1 when unknown */
    int state;    /* index into ctx.states, -1 when unknown */
    int n;        /* 1..REC_MAX_ITEMS */
    int allow_repurchase;
    int explain;
};

struct scored {
    int32_t item;
    float score;
    const char *source; /* static string */
};

struct rec_list {
    int n;
    struct scored items[REC_MAX_ITEMS];
    char explain[1024];
};

/* Serialisation buffers (implemented in modelstore.c). A writer has three
 * modes: in memory (the default, zero-initialised; grows up to MS_MAX_BLOB),
 * counting (count_only: only len advances, to size a blob before writing it)
 * and streaming (sink set: buf is a fixed chunk of cap bytes handed to sink
 * whenever it fills, and by bw_flush; a sink returning -1 fails the writer).
 * len always counts every byte put. A reader never reads past its end. */
struct blob_writer {
    uint8_t *buf;
    size_t len, cap;
    int failed;
    int count_only;
    int (*sink)(void *ctx, const uint8_t *p, size_t n);
    void *sink_ctx;
    size_t fill; /* streaming: bytes waiting in buf */
};
struct blob_reader {
    const uint8_t *p;
    size_t len, off;
    int failed;
};
void bw_put(struct blob_writer *w, const void *p, size_t n);
void bw_i64(struct blob_writer *w, int64_t v);
void bw_flush(struct blob_writer *w); /* streaming: hands the rest of buf to the sink */
/* count then count * size bytes */
void bw_array(struct blob_writer *w, const void *p, size_t size, int64_t count);
int64_t br_i64(struct blob_reader *r);
void br_get(struct blob_reader *r, void *p, size_t n);
/* Reads an array written by bw_array; fails unless its count equals expect
 * (or any count up to max when expect < 0). Returns malloc'd memory or NULL. */
void *br_array(struct blob_reader *r, size_t size, int64_t expect, int64_t max, int64_t *count);

struct algo_ops {
    const char *name;
    /* Fits the algorithm's own part; ctx, ui, iu and pop are already set. */
    int (*fit)(struct model *m, char *err, size_t errlen);
    /* Appends up to q->n items to out (never owned ones unless allowed). */
    void (*recommend)(const struct model *m, const struct rec_query *q, struct rec_list *out);
    void (*save)(const struct model *m, struct blob_writer *w);
    int (*load)(struct model *m, struct blob_reader *r, char *err, size_t errlen);
};

const struct algo_ops *algo_find(const char *name); /* NULL when unknown */
extern const char *const algo_names[];              /* NULL-terminated */

extern const struct algo_ops algo_popularity, algo_usercf, algo_itemcf, algo_als, algo_content,
    algo_hybrid;

/* --- shared helpers (algo.c) --- */
int model_owns(const struct model *m, int32_t user, int32_t item);
/* 1 when item may be added to out: not owned (unless allowed), not present. */
int rl_allowed(const struct model *m, const struct rec_query *q, const struct rec_list *out,
               int32_t item);
/* Appends when allowed and there is room; returns 1 when added. */
int rl_push(const struct model *m, const struct rec_query *q, struct rec_list *out, int32_t item,
            float score, const char *source);
void rl_explain(struct rec_list *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Candidate accumulation without a dense per-item array: pairs are appended,
 * then merged by item and sorted by score (descending, item ascending). */
struct cand {
    int32_t item;
    float score;
};
struct cand_buf {
    struct cand *c;
    size_t n, cap;
};
int cand_add(struct cand_buf *b, int32_t item, float score); /* -1 on OOM */
void cand_finish(struct cand_buf *b);
void cand_free(struct cand_buf *b);

/* Popularity fill used by every algorithm: state list (when state >= 0 and
 * use_state), then the global list. */
void popularity_fill(const struct model *m, const struct rec_query *q, struct rec_list *out,
                     int use_state);
int popularity_fit_tables(struct model *m, const struct dataset *full, char *err, size_t errlen);
void popularity_free(struct popularity *p);
void popularity_save(const struct popularity *p, int n_items, int n_states, int n_cats,
                     struct blob_writer *w);
int popularity_load(struct popularity *p, int n_items, int n_states, int n_cats,
                    struct blob_reader *r);
/* Content: items like `item` (same category, nearest price tier, popular first). */
int content_similar(const struct model *m, int32_t item, int n, struct scored *out);

/* Model lifecycle (train.c / modelstore.c) */
void model_free(struct model *m);

#endif
