/* Implicit-feedback matrix factorisation by alternating least squares (see
 * als.c). */
#ifndef RECSYS_ENGINE_ALS_H
#define RECSYS_ENGINE_ALS_H

#include <stddef.h>

#include "engine/algo.h"

extern const struct algo_ops algo_als;

/* ALS factors: malloc'd users x f and items x f, row-major. ERR_INVALID
 * when p->factors is out of range. */
int als_fit_factors(const struct csr *ui, const struct csr *iu, const struct algo_params *p,
                    float **u_out, float **v_out, char *err, size_t errlen);
/* The top `want` items by predicted preference into b (reset first), best
 * first; owned items are skipped unless q->allow_repurchase. -1 on OOM. */
int als_scores(const struct model *m, const struct rec_query *q, int want, struct cand_buf *b);

#endif
