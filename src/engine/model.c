/* Model lifecycle (see model.h). */
#include "engine/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Frees the events and sellers of a dataset whose context a model took
 * (model_train_take), and forgets the rest, which the model now owns. */
static void drop_taken(struct dataset *ds)
{
    free(ds->events);
    dataset_idmap_free(&ds->sellers);
    memset(ds, 0, sizeof *ds);
}

/* Everything but the algorithm's own fit. take: m->ctx is ds's context
 * itself (shared until drop_taken), not a copy; it is taken whenever m->ops
 * is set, even when a later step fails. */
static int model_setup(const struct dataset *ds, const char *algo, const struct algo_params *p,
                       int32_t cutoff_day, int take, struct model *m, char *err, size_t errlen)
{
    int rc;
    memset(m, 0, sizeof *m);
    m->ops = algo_find(algo);
    if (!m->ops)
        return err_code_set(err, errlen, ERR_INVALID,
                            "unknown algorithm \"%s\" (popularity, usercf, itemcf, "
                            "als, content, hybrid)",
                            algo ? algo : "");
    snprintf(m->algorithm, sizeof m->algorithm, "%s", algo);
    if (p)
        m->params = *p;
    else
        algo_params_default(&m->params);
    m->pop.cutoff_day = cutoff_day;
    if (take) { /* a model's context has no events and no sellers */
        m->ctx = *ds;
        m->ctx.n_events = 0;
        m->ctx.events = NULL;
        memset(&m->ctx.sellers, 0, sizeof m->ctx.sellers);
    } else if ((rc = dataset_copy_context(ds, &m->ctx, err, errlen)) < 0)
        return rc;
    if ((rc = dataset_train_matrix(ds, cutoff_day, &m->ui, err, errlen)) < 0 ||
        (rc = csr_transpose(&m->ui, &m->iu, err, errlen)) < 0 ||
        (rc = repurchase_fit(&m->rep, ds, &m->ui, cutoff_day, err, errlen)) < 0 ||
        (rc = sources_fit(&m->src, ds, cutoff_day, err, errlen)) < 0 ||
        (rc = popularity_fit_tables(m, ds, err, errlen)) < 0)
        return rc;
    return 0;
}

int model_train(const struct dataset *ds, const char *algo, const struct algo_params *p,
                int32_t cutoff_day, struct model *m, char *err, size_t errlen)
{
    int rc = model_setup(ds, algo, p, cutoff_day, 0, m, err, errlen);
    if (rc < 0 || (rc = m->ops->fit(m, err, errlen)) < 0) {
        model_free(m);
        return rc;
    }
    return 0;
}

int model_train_take(struct dataset *ds, const char *algo, const struct algo_params *p,
                     int32_t cutoff_day, struct model *m, char *err, size_t errlen)
{
    int rc = model_setup(ds, algo, p, cutoff_day, 1, m, err, errlen);
    if (m->ops) /* taken: the model frees the context, the fit needs no events */
        drop_taken(ds);
    else
        dataset_free(ds); /* an unknown algorithm: refused before anything was taken */
    if (rc < 0 || (rc = m->ops->fit(m, err, errlen)) < 0) {
        model_free(m);
        return rc;
    }
    return 0;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    dataset_free(&m->ctx);
    csr_free(&m->ui);
    csr_free(&m->iu);
    popularity_free(&m->pop);
    knn_free(&m->ucf);
    knn_free(&m->icf);
    free(m->als_u);
    free(m->als_v);
    repurchase_free(&m->rep);
    sources_free(&m->src);
    memset(m, 0, sizeof *m);
}
