/* The models routes: GET /api/v1/models, POST .../models/{v}/activate and
 * .../models/rollback. They read and write SQLite (or the model store), so
 * modelsapi_handle only validates and names the background job (rp->job);
 * api.c parks the request and bio.c runs the job; modelsapi_result answers. */
#ifndef RECSYS_NET_MODELSAPI_H
#define RECSYS_NET_MODELSAPI_H

#include <stddef.h>

#include "net/bio.h"
#include "net/reply.h"

void modelsapi_handle(struct reply *rp, int route, const char *ver, size_t ver_len);
void modelsapi_result(struct reply *rp, const struct bio_result *res);

#endif
