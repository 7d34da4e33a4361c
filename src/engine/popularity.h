/* Popularity: global and contextual (customer state, category), counted over
 * a recency window before the training cutoff (see popularity.c). Its tables
 * are fitted for every model: they are the cold-start answer, the fallback
 * that fills every list, and the categories and price tiers of content. */
#ifndef RECSYS_ENGINE_POPULARITY_H
#define RECSYS_ENGINE_POPULARITY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/blob.h"
#include "engine/dataset.h"
#include "engine/reclist.h"

struct model;
struct algo_ops;

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

extern const struct algo_ops algo_popularity;

/* Fits m->pop from the events of full before m->pop.cutoff_day (m->ctx and
 * m->params set). ERR_NOMEM with err when memory runs out. */
int popularity_fit_tables(struct model *m, const struct dataset *full, char *err, size_t errlen);
/* Frees the tables; keeps cutoff_day. */
void popularity_free(struct popularity *p);
/* Popularity fill used by every algorithm: state list (when state >= 0 and
 * use_state), then the global list, then any item, until out is full. */
void popularity_fill(const struct model *m, const struct rec_query *q, struct rec_list *out,
                     int use_state);
void popularity_save(const struct popularity *p, int n_items, int n_states, int n_cats,
                     struct blob_writer *w);
/* Reads and checks (every index in range) tables written by popularity_save;
 * ERR_CORRUPT when they are malformed. */
int popularity_load(struct popularity *p, int n_items, int n_states, int n_cats,
                    struct blob_reader *r);

#endif
