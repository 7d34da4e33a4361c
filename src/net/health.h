/* GET /api/v1/health and GET /api/v1/recommendations/stats: what a region
 * says about itself (status, rolling-window and lifetime figures, cache,
 * model and its source, store, retraining). */
#ifndef RECSYS_NET_HEALTH_H
#define RECSYS_NET_HEALTH_H

#include "net/reply.h"

void health_handle(struct reply *rp);
void health_stats(struct reply *rp);

#endif
