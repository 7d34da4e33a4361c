/* JSON renderings of what the engine returns, each shape written in exactly
 * one place, for the HTTP API (src/net/api.c) and the command line
 * (`recommend --json`, `models list --json`) alike, so the two can never
 * disagree. Unknown values are null, never "" or 0.
 *
 * The recommendation list, the user profile and the product are on the
 * serving hot path: they are appended to an sbuf with no allocation beyond
 * the buffer's own growth and no printf (net/jsonnum.h). The other shapes
 * are built as cJSON trees (callers add their own members, print, and free
 * with cJSON_Delete); they return NULL when memory runs out. */
#ifndef RECSYS_NET_RENDER_H
#define RECSYS_NET_RENDER_H

#include <stdint.h>

#include "engine/modelstore.h"
#include "engine/engine.h"
#include "util/sbuf.h"

struct cJSON;

/* Appends the members every recommendation body shares, without braces:
 *   "user_id":"…","known":true,"state":"SP"|null,"model_version":N,
 *   "recommendations":[{"rank","product_id","category","price"|null,
 *   "avg_rating"|null,"n_ratings","score","source"},…][,"explain":"…"]
 * explain only when r->explain is set. The HTTP API caches exactly these
 * bytes; per-reply members (region, cache, latency_ms) go around them. */
void render_recs(struct sbuf *b, const struct rec_result *r, int64_t model_version);
/* The part of a recommendation entry that depends on the product alone:
 * ,"product_id":…,"category":…,"price":…|null,"avg_rating":…|null,
 * "n_ratings":N. The server hands it to engine_set_item_renderer, so each
 * engine renders it once per product (rec_item.fixed) and render_recs
 * copies it. */
void render_item_fixed(struct sbuf *b, const struct rec_item *it);

/* Ends a recommendation body: ,"latency_ms":ms (4 decimals, as "%.4f"),
 * then the closing brace. */
void render_latency_end(struct sbuf *b, double ms);
/* Ends an object left open (render_user, render_product, the models list
 * copy) with ,"region":…,"served_by":…} as cJSON wrote them. */
void render_close(struct sbuf *b, const char *region, const char *served_by);
/* Every response's status line and first headers (Content-Type,
 * Content-Length, X-Region), each ending in CRLF, without printf. */
void render_head(struct sbuf *out, int status, const char *reason, const char *ctype, size_t len,
                 const char *region);
/* The recommendation cache key "r:<uid>:<count>:<rep>" as "r:%s:%d:%d"
 * prints it: uid is 32 characters, count 1..999, rep 0 or 1 ('d' for
 * REC_REPURCHASE_MODEL, the model's policy); key holds at
 * least 42 bytes. */
void render_rec_key(char *key, const char *uid, int count, int rep);

/* Appends "history":{"orders","products","first_purchase"|null,
 * "last_purchase"|null,"monetary"}: the summary `recommend --json` adds. */
void render_history(struct sbuf *b, const struct user_profile *p);

/* Replaces b's contents with {"error":{"status":N,"message":"…"}}. */
void render_error(struct sbuf *b, int status, const char *message);

/* The HTTP status for a negative enum err_code: 400 invalid, 404 not found,
 * 409 conflict or corrupt, 503 busy, 500 for anything else. */
int render_status(int err_code);

/* GET /api/v1/users/{id}: appends the profile object without its closing
 * brace (the caller adds region and served_by: render_close): "user_id","state"|null,
 * "city"|null,"orders","products","first_purchase"|null,
 * "last_purchase"|null,"recency_days"|null,"frequency","monetary","known",
 * "purchases":[{"order_id","product_id","category","price","timestamp"},…].
 * Numbers and strings are written as cJSON prints them. */
void render_user(struct sbuf *b, const struct user_profile *p);
/* GET /api/v1/products/{id}: appends "product_id","category",
 * "category_pt"|null,"price"|null,"avg_rating"|null,"n_ratings","purchases",
 * "popularity_rank"|null,"similar":[{"product_id","category","score",
 * "source"},…], without the closing brace, as render_user does. */
void render_product(struct sbuf *b, const struct product_detail *d);
/* The "model" object of GET /api/v1/recommendations/stats; warning is
 * engine_warning() (NULL: none). */
struct cJSON *render_engine_info(const struct engine_info *in, const char *warning);
/* GET /api/v1/models and `models list --json`: {"models":[…],"active":N|null}. */
struct cJSON *render_models(const struct modelstore_list *l);
struct bio_result;
/* POST /api/v1/models/{v}/activate and /rollback once their job ended (rc
 * 0): {"active":N,"reloaded":bool,"changed":bool[,"reload_error":"..."]}. */
struct cJSON *render_model_change(const struct bio_result *res);

#endif
