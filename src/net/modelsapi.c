/* The models routes (modelsapi.h). */
#include "net/modelsapi.h"

#include <ctype.h>

#include "net/expapi.h"
#include "net/render.h"
#include "net/route.h"

/* The answer of a models route once its background job ended: the stored
 * versions; or the version active now, whether every region serves it
 * (reloaded) and whether anything had to change; or the model-store error. */
void modelsapi_result(struct reply *rp, const struct bio_result *res)
{
    if (rp->job == BIO_CALL) { /* an experiments job */
        char err[600];
        int st = expapi_result(rp->xjob, res, &rp->r->body, err, sizeof err);
        if (st >= 400)
            reply_error(rp, st, "%s", err);
        rp->status = st;
        return;
    }
    cJSON *j = NULL;
    if (res->rc < 0) {
        if (rp->job == BIO_LIST)
            reply_error(rp, render_status(res->rc), "cannot list models: %s", res->err);
        else if (rp->job == BIO_ACTIVATE)
            reply_error(rp, render_status(res->rc), "cannot activate version %lld: %s",
                        (long long)rp->job_version, res->err);
        else
            reply_error(rp, render_status(res->rc), "cannot roll back: %s", res->err);
        return;
    }
    j = rp->job == BIO_LIST ? render_models(&res->list) : render_model_change(res);
    if (j)
        reply_json(rp, j);
    else
        reply_error(rp, 500, "out of memory rendering JSON");
    cJSON_Delete(j);
}

/* The models routes read and write SQLite: api_handle parks the request
 * and bio.c does the work on its thread (modelsapi_result answers). */
void modelsapi_handle(struct reply *rp, int route, const char *ver, size_t ver_len)
{
    if (route == ROUTE_MODELS) {
        sbuf_reset(&rp->r->body);
        if (bio_models_get(rp->r->sh->bio, &rp->r->body) == 0) { /* no change since */
            render_close(&rp->r->body, rp->entry->conf->name, rp->r->conf->name);
            rp->status = 200;
            return;
        }
        rp->job = BIO_LIST;
    } else if (route == ROUTE_MODEL_ROLLBACK) {
        rp->job = BIO_ROLLBACK;
    } else {
        long long v = 0;
        for (size_t i = 0; i < ver_len; i++) {
            if (!isdigit((unsigned char)ver[i]) || v > 1000000000000LL) {
                reply_error(rp, 400, "model version must be a positive integer");
                return;
            }
            v = v * 10 + (ver[i] - '0');
        }
        if (ver_len == 0 || v < 1) {
            reply_error(rp, 400, "model version must be a positive integer");
            return;
        }
        rp->job = BIO_ACTIVATE;
        rp->job_version = v;
    }
}
