/* Model lifecycle (see model.h). */
#include "engine/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int model_train(const struct dataset *ds, const char *algo, const struct algo_params *p,
                int32_t cutoff_day, struct model *m, char *err, size_t errlen)
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
    if ((rc = dataset_copy_context(ds, &m->ctx, err, errlen)) < 0 ||
        (rc = dataset_train_matrix(ds, cutoff_day, &m->ui, err, errlen)) < 0 ||
        (rc = csr_transpose(&m->ui, &m->iu, err, errlen)) < 0 ||
        (rc = repurchase_fit(&m->rep, ds, &m->ui, cutoff_day, err, errlen)) < 0 ||
        (rc = sources_fit(&m->src, ds, cutoff_day, err, errlen)) < 0 ||
        (rc = popularity_fit_tables(m, ds, err, errlen)) < 0 ||
        (rc = m->ops->fit(m, err, errlen)) < 0) {
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
