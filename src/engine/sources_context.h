/* A recommendation request's context (struct rec_context in engine.h):
 * "state" boosts that state's popular products for a user without history,
 * "category" keeps only that category's products, "exclude" drops the
 * listed ones. The algorithm ranks as usual (asked for the most items when
 * filtering), then sources_context_apply builds the answer from its list,
 * filling from the category's (or the global) popularity when the filter
 * leaves too few. Read-only on the model: safe from many threads. */
#ifndef RECSYS_ENGINE_SOURCES_CONTEXT_H
#define RECSYS_ENGINE_SOURCES_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"
#include "engine/engine.h"

/* A context resolved against a model: indexes instead of names. */
struct sources_context {
    int state;    /* index into ctx.states, -1: none */
    int category; /* index into ctx.cats, -1: none */
    int n_exclude;
    int32_t exclude[REC_MAX_EXCLUDE]; /* model items; unknown ids left out */
};

/* Resolves cx against m into *out. ERR_INVALID with err naming the field
 * when the state or the category is unknown to the model or an excluded id
 * is not 32 hexadecimal characters. */
int sources_context_resolve(const struct model *m, const struct rec_context *cx,
                            struct sources_context *out, char *err, size_t errlen);

/* 1 when the algorithm must rank more than q->n items for this context. */
int sources_context_filters(const struct sources_context *c);

/* Builds out (q->n items at most, the rules of reclist_push) from ranked,
 * the algorithm's list for the same user: for a user without history
 * (known 0) with a state, that state's popular items first; then ranked's
 * items that pass the filter; then the category's (or the global)
 * popularity. */
void sources_context_apply(const struct model *m, const struct rec_query *q,
                           const struct sources_context *c, int known,
                           const struct rec_list *ranked, struct rec_list *out);

#endif
