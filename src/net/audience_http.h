/* GET /api/v1/products/{id}/audience?count=N: the customers most likely to
 * buy a product (engine_product_audience), rendered as JSON. */
#ifndef RECSYS_NET_AUDIENCE_HTTP_H
#define RECSYS_NET_AUDIENCE_HTTP_H

#include <stddef.h>

struct reply;

/* Answers rp for product id (id_len bytes, the path parameter): 200 with
 * {"product_id", "category", "count", "similar_products", "audience":
 * [{"user_id", "last_purchase", "via"}], "region", "served_by"}; 400 for a
 * malformed id or count (1..100, default 10), 404 for an unknown product,
 * 503 without an engine. */
void audience_http_handle(struct reply *rp, const char *id, size_t id_len);

#endif
