/* A recommendation list under construction: the query it answers, the
 * scored items so far, and the rules every algorithm applies when it adds
 * one (no duplicates, nothing the user already bought unless repurchase is
 * allowed, never more than asked). */
#ifndef RECSYS_ENGINE_RECLIST_H
#define RECSYS_ENGINE_RECLIST_H

#include <stdint.h>

#include "engine/engine.h" /* REC_MAX_ITEMS */

struct model;

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

/* 1 when the model's training purchases have user buying item. */
int reclist_owned(const struct model *m, int32_t user, int32_t item);
/* 1 when item may be added to out: a valid index, not owned (unless
 * allowed), not present. */
int reclist_allowed(const struct model *m, const struct rec_query *q, const struct rec_list *out,
                    int32_t item);
/* Appends when allowed and there is room; returns 1 when added. */
int reclist_push(const struct model *m, const struct rec_query *q, struct rec_list *out,
                 int32_t item, float score, const char *source);
/* Appends printf-style text to out->explain, silently truncated. */
void reclist_explain(struct rec_list *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
