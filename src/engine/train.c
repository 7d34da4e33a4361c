/* Training pipeline (see train.h). */
#include "engine/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dataset_load.h"
#include "engine/eval.h"
#include "engine/model.h"
#include "engine/modelstore.h"
#include "util/error.h"
#include "util/clock.h"
#include "util/progress.h"

int32_t train_all_data_cutoff(const struct dataset *ds)
{
    return ds->n_events ? ds->events[ds->n_events - 1].day + 1 : dataset_parse_day("2000-01-01");
}

/* Evaluation JSON stored with a model: the algorithm and the popularity
 * baseline at the evaluation cutoff, plus the repurchase variant. */
static char *evaluate(const struct dataset *ds, const char *algo, const struct algo_params *p,
                      const struct model *trained, int32_t cutoff_day, const char *cutoff_txt,
                      char *err, size_t errlen)
{
    struct model tmp = {0}, base = {0};
    const struct model *m = trained;
    char *a = NULL, *b = NULL, *rep = NULL, *out = NULL;
    struct eval_result r;
    if (!m) {
        if (model_train(ds, algo, p, cutoff_day, &tmp, err, errlen) < 0)
            return NULL;
        m = &tmp;
    }
    if (model_train(ds, "popularity", p, cutoff_day, &base, err, errlen) < 0)
        goto out;
    if (eval_model(m, ds, cutoff_day, 10, 0, &r, err, errlen) < 0 ||
        !(a = eval_result_json(&r, cutoff_txt)) ||
        eval_model(m, ds, cutoff_day, 10, 1, &r, err, errlen) < 0 ||
        !(rep = eval_result_json(&r, cutoff_txt)) ||
        eval_model(&base, ds, cutoff_day, 10, 0, &r, err, errlen) < 0 ||
        !(b = eval_result_json(&r, cutoff_txt)))
        goto out;
    size_t len = strlen(a) + strlen(b) + strlen(rep) + 64;
    out = malloc(len);
    if (out)
        snprintf(out, len, "{\"model\":%s,\"repurchase\":%s,\"baseline\":%s}", a, rep, b);
out:
    free(a), free(b), free(rep);
    model_free(&tmp);
    model_free(&base);
    return out;
}

int train_run(const struct train_options *o, int64_t *version_out, char *err, size_t errlen)
{
    struct dataset ds = {0};
    struct model m = {0};
    struct model_meta meta = {0};
    struct algo_params params;
    const char *algo = o->algo ? o->algo : "hybrid";
    int rc = -1;
    if (o->params)
        params = *o->params;
    else
        algo_params_default(&params);
    if (!algo_find(algo))
        return err_code_set(err, errlen, ERR_INVALID,
                            "unknown algorithm \"%s\" (popularity, usercf, itemcf, als, "
                            "content, hybrid)",
                            algo);
    int32_t cutoff_day = -1;
    if (o->cutoff && (cutoff_day = dataset_parse_day(o->cutoff)) < 0)
        return err_code_set(err, errlen, ERR_INVALID, "--cutoff \"%s\" is not a date YYYY-MM-DD",
                            o->cutoff);
    progress_set_quiet(o->quiet);
    double t0 = clock_monotonic();
    double ph[4] = {0};
    struct progress pr;
    progress_begin(&pr, "loading interactions", 0);
    if ((rc = dataset_load(o->db_path, &ds, err, errlen)) < 0)
        goto out;
    progress_update(&pr, (uint64_t)ds.n_events, (uint64_t)ds.n_events);
    progress_end(&pr);
    ph[0] = clock_monotonic() - t0;
    if (cutoff_day < 0)
        cutoff_day = train_all_data_cutoff(&ds);
    char label[48];
    snprintf(label, sizeof label, "fitting %s", algo);
    progress_begin(&pr, label, 0);
    /* without an evaluation nothing reads the dataset after the fit: the
     * model takes its tables and its events are freed before the fit */
    if ((rc = o->no_eval ? model_train_take(&ds, algo, &params, cutoff_day, &m, err, errlen)
                         : model_train(&ds, algo, &params, cutoff_day, &m, err, errlen)) < 0)
        goto out;
    progress_update(&pr, (uint64_t)m.ui.nnz, (uint64_t)m.ui.nnz);
    progress_end(&pr);
    meta.train_seconds = clock_monotonic() - t0;
    ph[1] = meta.train_seconds - ph[0];
    snprintf(meta.cutoff, sizeof meta.cutoff, "%s", o->cutoff ? o->cutoff : "");
    meta.params_json = modelstore_params_json(&params);
    if (meta.params_json && o->tuning_json) { /* {...} -> {...,"tuning":{...}} */
        size_t n = strlen(meta.params_json), len = n + strlen(o->tuning_json) + 16;
        char *s = malloc(len);
        if (s)
            snprintf(s, len, "%.*s,\"tuning\":%s}", (int)n - 1, meta.params_json, o->tuning_json);
        free(meta.params_json);
        meta.params_json = s;
    }
    if (!meta.params_json) { /* stored as "{}" it would lose the parameters without a word */
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory for the model's parameters");
        goto out;
    }
    if (!o->no_eval) {
        char eerr[256];
        if (o->cutoff)
            meta.metrics_json =
                evaluate(&ds, algo, &params, &m, cutoff_day, o->cutoff, eerr, sizeof eerr);
        else if (dataset_parse_day(TRAIN_EVAL_CUTOFF) < cutoff_day)
            meta.metrics_json =
                evaluate(&ds, algo, &params, NULL, dataset_parse_day(TRAIN_EVAL_CUTOFF),
                         TRAIN_EVAL_CUTOFF, eerr, sizeof eerr);
        /* no test purchases is not a failure: the model is stored without metrics */
    }
    ph[2] = clock_monotonic() - t0 - meta.train_seconds;
    double ts = clock_monotonic();
    if ((rc = modelstore_save(o->db_path, &m, &meta, !o->no_activate, err, errlen)) < 0)
        goto out;
    ph[3] = clock_monotonic() - ts;
    if (o->phase_seconds)
        memcpy(o->phase_seconds, ph, sizeof ph);
    if (version_out)
        *version_out = meta.version;
    rc = 0;
out:
    modelstore_meta_free(&meta);
    model_free(&m);
    dataset_free(&ds);
    return rc;
}
