/* JSON and Prometheus renderings of experiments (GET /api/v1/experiments,
 * /metrics). Counters are read with relaxed atomics, so a rendering taken
 * while requests run may be a few events apart across variants. */
#ifndef RECSYS_NET_EXPJSON_H
#define RECSYS_NET_EXPJSON_H

#include "net/exp.h"
#include "util/sbuf.h"

/* Appends rec as a JSON object: definition, status, per-variant outcomes
 * with 95% Wilson intervals and the z-test against the first variant. */
void expjson_render(struct experiments *x, const struct exp_record *rec, struct sbuf *b);
/* Appends "experiments":[...] (every record, oldest first). */
void expjson_render_all(struct experiments *x, struct sbuf *b);
/* Appends the Prometheus lines of every experiment (process-wide: no region
 * label, the same in every region's /metrics). x NULL: nothing. */
void expjson_prometheus(struct experiments *x, struct sbuf *b);

#endif
