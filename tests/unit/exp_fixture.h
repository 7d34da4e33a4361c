/* The A/B experiments tests' shop (engine_fixture.h's tiny shop with a
 * popularity model, version 1, and an active hybrid, version 2) and their
 * stored running experiments on both versions. Header-only, static inline,
 * as engine_fixture.h. */
#ifndef RECSYS_EXP_FIXTURE_H
#define RECSYS_EXP_FIXTURE_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "net/exp.h"
#include "net/expstore.h"
#include "test.h"

static struct engine *base; /* version 2 (hybrid), active */

static inline void setup(void)
{
    char err[512];
    int64_t v = 0;
    struct train_options o = {.db_path = db_path, .algo = "popularity", .quiet = 1};
    fixture_make_db();
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    o.algo = "hybrid";
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
    CHECK_INT(engine_open(db_path, &base, err, sizeof err), 0);
}

/* A running experiment "name" (not stored): A on version 1, B on 2, 50/50. */
static inline struct exp_record *record(const char *name, int traffic)
{
    struct exp_record *rec = calloc(1, sizeof *rec);
    snprintf(rec->name, sizeof rec->name, "%s", name);
    rec->n_variants = 2;
    snprintf(rec->v[0].name, sizeof rec->v[0].name, "A");
    snprintf(rec->v[1].name, sizeof rec->v[1].name, "B");
    rec->v[0].version = 1;
    rec->v[1].version = 2;
    rec->v[0].share = rec->v[1].share = 50;
    rec->traffic = traffic;
    rec->running = 1;
    snprintf(rec->created_at, sizeof rec->created_at, "2026-01-01 00:00:00");
    return rec;
}

/* Adds a stored running experiment on versions 1 and 2. */
static inline struct exp_record *start(struct experiments *x, const char *name, int traffic)
{
    struct exp_record *rec = record(name, traffic);
    struct engine *eng[2];
    char err[512];
    pthread_mutex_lock(&x->mu);
    rec->traffic_from = exp_free_range(x, traffic);
    pthread_mutex_unlock(&x->mu);
    CHECK_INT(engine_open_variant(base, 1, &eng[0], err, sizeof err), 0);
    engine_retain(eng[1] = base);
    CHECK_INT(expstore_insert(db_path, rec, err, sizeof err), 0);
    CHECK_INT(exp_add(x, rec, eng, err, sizeof err), 0);
    return rec;
}

/* A user id of 32 hex digits, spread by i. */
static inline void uid_of(char out[33], int i)
{
    snprintf(out, 33, "%08x%024x", (unsigned)i * 2654435761u, (unsigned)i);
}

#endif
