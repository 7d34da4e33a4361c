/* The common shape of every recommender. A struct model holds the training
 * context every algorithm shares (id maps, states, categories, prices, the
 * training purchase matrix, popularity tables) plus the parts each algorithm
 * fits; struct algo_ops is the small interface: fit, recommend, save, load.
 * A fitted or loaded model is immutable: recommend() only reads it and writes
 * to the caller's struct rec_list, so many threads may share one model.
 *
 * Each algorithm lives in its own file and header (popularity, usercf,
 * itemcf, als, content, hybrid) and declares its `algo_<name>` ops there;
 * algo.c holds the parameters and the registry of all of them. The pieces an
 * algorithm builds on are below it: reclist.h (adding to a list), cand.h
 * (scoring candidates), knn.h (neighbour lists), blob.h (save and load). */
#ifndef RECSYS_ENGINE_ALGO_H
#define RECSYS_ENGINE_ALGO_H

#include <stddef.h>
#include <stdint.h>

#include "engine/blob.h"
#include "engine/cand.h"
#include "engine/dataset.h"
#include "engine/knn.h"
#include "engine/popularity.h"
#include "engine/reclist.h"
#include "engine/repurchase.h"
#include "engine/sources.h"

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
    /* hybrid: weight of the same-seller candidates (sources_seller.h), 0 = off;
     * 0.0001: after the co-purchases, before popularity (chosen on validation) */
    double seller_weight;
    /* hybrid: weight of the learned repurchase boost on owned items (1); 0 = the model's
     * default forbids owned items (a request may still allow them, at weight 1) */
    double repurchase_weight;
    double copurchase_weight; /* hybrid: weight of the co-purchase source (0.001) */
    double itemcf_weight;     /* hybrid: item-item against user-user (1 each at its best) */
    /* hybrid: global popularity as a candidate for users with history, against the
     * collaborative scores (0: popularity only fills what they leave) */
    double popularity_weight;
};
void algo_params_default(struct algo_params *p);

/* The repurchase policy of a model of algorithm algo with params p: 1 when a
 * request that says nothing keeps owned items (a hybrid with a positive
 * learned-repurchase weight; the other algorithms never rank them). One rule
 * for serving (engine.c) and for the validation that chooses it (tune.c). */
int algo_repurchase_default(const char *algo, const struct algo_params *p);

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
    float *als_u, *als_v;  /* users x f, items x f, row-major */
    struct repurchase rep; /* learned repurchase propensity (repurchase.h) */
    struct sources src;    /* co-purchase candidates (sources.h) */
};

struct algo_ops {
    const char *name;
    /* Fits the algorithm's own part; ctx, ui, iu and pop are already set. */
    int (*fit)(struct model *m, char *err, size_t errlen);
    /* Appends up to q->n items to out (never owned ones unless allowed). */
    void (*recommend)(const struct model *m, const struct rec_query *q, struct rec_list *out);
    void (*save)(const struct model *m, struct blob_writer *w);
    /* ERR_CORRUPT with err when the algorithm's part of the blob is malformed. */
    int (*load)(struct model *m, struct blob_reader *r, char *err, size_t errlen);
};

const struct algo_ops *algo_find(const char *name); /* NULL when unknown */
extern const char *const algo_names[];              /* NULL-terminated */

#endif
