/* JSON renderings of engine results (see render.h). */
#include "net/render.h"
#include "net/bio.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>

#include "util/error.h"

/* Appends printf(fmt, v), or null_text when v is unknown or not a number
 * JSON can carry (NaN, infinities). fmt holds the key too: one call per
 * value on the hot path. */
static void num_or_null(struct sbuf *b, const char *fmt, const char *null_text, double v, int known)
{
    if (known && isfinite(v))
        sbuf_printf(b, fmt, v);
    else
        sbuf_puts(b, null_text);
}

static void str_or_null(struct sbuf *b, const char *s)
{
    if (s[0])
        sbuf_json_str(b, s);
    else
        sbuf_puts(b, "null");
}

void render_recs(struct sbuf *b, const struct rec_result *r, int64_t model_version)
{
    sbuf_puts(b, "\"user_id\":");
    sbuf_json_str(b, r->user_id);
    sbuf_printf(b, ",\"known\":%s,\"state\":", r->known ? "true" : "false");
    str_or_null(b, r->state);
    sbuf_printf(b, ",\"model_version\":%lld,\"recommendations\":[", (long long)model_version);
    for (int i = 0; i < r->n_items; i++) {
        const struct rec_item *it = &r->items[i];
        sbuf_printf(b, "%s{\"rank\":%d,\"product_id\":", i ? "," : "", i + 1);
        sbuf_json_str(b, it->product_id);
        sbuf_puts(b, ",\"category\":");
        sbuf_json_str(b, it->category);
        num_or_null(b, ",\"price\":%.2f", ",\"price\":null", it->price, it->price >= 0);
        num_or_null(b, ",\"avg_rating\":%.3f", ",\"avg_rating\":null", it->avg_rating,
                    it->n_ratings > 0);
        if (isfinite(it->score))
            sbuf_printf(b, ",\"n_ratings\":%d,\"score\":%.6g,\"source\":", it->n_ratings,
                        it->score);
        else
            sbuf_printf(b, ",\"n_ratings\":%d,\"score\":null,\"source\":", it->n_ratings);
        sbuf_json_str(b, it->source ? it->source : "");
        sbuf_puts(b, "}");
    }
    sbuf_puts(b, "]");
    if (r->explain[0]) {
        sbuf_puts(b, ",\"explain\":");
        sbuf_json_str(b, r->explain);
    }
}

void render_history(struct sbuf *b, const struct user_profile *p)
{
    sbuf_printf(b, "\"history\":{\"orders\":%d,\"products\":%d,\"first_purchase\":", p->orders,
                p->products);
    str_or_null(b, p->first_purchase);
    sbuf_puts(b, ",\"last_purchase\":");
    str_or_null(b, p->last_purchase);
    num_or_null(b, ",\"monetary\":%.2f", ",\"monetary\":null", p->monetary, 1);
    sbuf_puts(b, "}");
}

void render_error(struct sbuf *b, int status, const char *message)
{
    sbuf_reset(b);
    sbuf_printf(b, "{\"error\":{\"status\":%d,\"message\":", status);
    sbuf_json_str(b, message);
    sbuf_puts(b, "}}");
}

int render_status(int err_code)
{
    switch (err_code) {
    case ERR_INVALID:
        return 400;
    case ERR_NOT_FOUND:
        return 404;
    case ERR_CONFLICT:
    case ERR_CORRUPT:
        return 409;
    case ERR_BUSY:
        return 503;
    default:
        return 500;
    }
}

/* ---- cJSON shapes: not on the hot path ---- */

static void add_num_or_null(cJSON *o, const char *key, double v, int known)
{
    if (known && isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_str_or_null(cJSON *o, const char *key, const char *s, int known)
{
    if (known)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

/* Stored JSON text as a tree; {} when missing or unparsable. */
static cJSON *parse_or_empty(const char *s)
{
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    return j ? j : cJSON_CreateObject();
}

/* cJSON_Add* return NULL when memory runs out: the tree is then incomplete,
 * so every renderer checks the last allocation it made and the array it
 * filled, and gives up as a whole (the caller answers 500). */
static cJSON *done(cJSON *o, int ok)
{
    if (ok)
        return o;
    cJSON_Delete(o);
    return NULL;
}

cJSON *render_user(const struct user_profile *p)
{
    cJSON *o = cJSON_CreateObject(), *arr;
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "user_id", p->user_id);
    add_str_or_null(o, "state", p->state, p->state[0] != 0);
    add_str_or_null(o, "city", p->city, p->has_city);
    cJSON_AddNumberToObject(o, "orders", p->orders);
    cJSON_AddNumberToObject(o, "products", p->products);
    add_str_or_null(o, "first_purchase", p->first_purchase, p->first_purchase[0] != 0);
    add_str_or_null(o, "last_purchase", p->last_purchase, p->last_purchase[0] != 0);
    add_num_or_null(o, "recency_days", p->recency_days, p->has_recency);
    cJSON_AddNumberToObject(o, "frequency", p->orders);
    cJSON_AddNumberToObject(o, "monetary", p->monetary);
    cJSON_AddBoolToObject(o, "known", p->n_purchases > 0);
    arr = cJSON_AddArrayToObject(o, "purchases");
    int n = 0;
    for (; arr && n < p->n_purchases; n++) {
        const struct user_purchase *u = &p->purchases[n];
        cJSON *x = cJSON_CreateObject();
        if (!x)
            break;
        cJSON_AddItemToArray(arr, x);
        cJSON_AddStringToObject(x, "order_id", u->order_id);
        cJSON_AddStringToObject(x, "product_id", u->product_id);
        cJSON_AddStringToObject(x, "category", u->category);
        cJSON_AddNumberToObject(x, "price", u->price);
        if (!cJSON_AddStringToObject(x, "timestamp", u->timestamp))
            break;
    }
    return done(o, arr && n == p->n_purchases);
}

cJSON *render_product(const struct product_detail *d)
{
    cJSON *o = cJSON_CreateObject(), *arr;
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "product_id", d->product_id);
    cJSON_AddStringToObject(o, "category", d->category);
    add_str_or_null(o, "category_pt", d->category_pt, d->has_category_pt);
    add_num_or_null(o, "price", d->price, d->price >= 0);
    add_num_or_null(o, "avg_rating", d->avg_rating, d->n_ratings > 0);
    cJSON_AddNumberToObject(o, "n_ratings", d->n_ratings);
    cJSON_AddNumberToObject(o, "purchases", d->purchases);
    add_num_or_null(o, "popularity_rank", d->popularity_rank, d->popularity_rank > 0);
    arr = cJSON_AddArrayToObject(o, "similar");
    int n = 0;
    for (; arr && n < d->n_similar; n++) {
        const struct product_similar *s = &d->similar[n];
        cJSON *x = cJSON_CreateObject();
        if (!x)
            break;
        cJSON_AddItemToArray(arr, x);
        cJSON_AddStringToObject(x, "product_id", s->product_id);
        cJSON_AddStringToObject(x, "category", s->category);
        cJSON_AddNumberToObject(x, "score", s->score);
        if (!cJSON_AddStringToObject(x, "source", s->source ? s->source : ""))
            break;
    }
    return done(o, arr && n == d->n_similar);
}

cJSON *render_engine_info(const struct engine_info *in, const char *warning)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "algorithm", in->algorithm);
    cJSON_AddNumberToObject(o, "version", (double)in->version);
    cJSON_AddBoolToObject(o, "fallback", in->fallback);
    add_str_or_null(o, "warning", warning ? warning : "", warning != NULL);
    cJSON_AddStringToObject(o, "cutoff", in->cutoff);
    cJSON_AddStringToObject(o, "created_at", in->created_at);
    cJSON_AddNumberToObject(o, "users", (double)in->users);
    cJSON_AddNumberToObject(o, "products", (double)in->products);
    cJSON_AddNumberToObject(o, "interactions", (double)in->interactions);
    cJSON_AddNumberToObject(o, "sparsity", in->sparsity);
    cJSON_AddNumberToObject(o, "train_seconds", in->train_seconds);
    int ok = cJSON_AddItemToObject(o, "metrics", parse_or_empty(in->metrics_json));
    return done(o, cJSON_AddItemToObject(o, "params", parse_or_empty(in->params_json)) && ok);
}

cJSON *render_model_change(const struct bio_result *res)
{
    cJSON *j = cJSON_CreateObject();
    int ok = cJSON_AddNumberToObject(j, "active", (double)res->active) &&
             cJSON_AddBoolToObject(j, "reloaded", res->reloaded) &&
             cJSON_AddBoolToObject(j, "changed", res->changed) &&
             (res->reloaded || cJSON_AddStringToObject(j, "reload_error", res->err));
    return done(j, ok);
}

cJSON *render_models(const struct modelstore_list *l)
{
    cJSON *root = cJSON_CreateObject(), *arr;
    if (!root)
        return NULL;
    arr = cJSON_AddArrayToObject(root, "models");
    int n = 0;
    for (; arr && n < l->n; n++) {
        const struct model_meta *m = &l->models[n];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToArray(arr, o);
        cJSON_AddNumberToObject(o, "version", (double)m->version);
        cJSON_AddStringToObject(o, "algorithm", m->algorithm);
        cJSON_AddStringToObject(o, "cutoff", m->cutoff);
        cJSON_AddStringToObject(o, "created_at", m->created_at);
        cJSON_AddBoolToObject(o, "active", m->active);
        cJSON_AddStringToObject(o, "sha256", m->sha256);
        cJSON_AddNumberToObject(o, "size", (double)m->size);
        int ok = cJSON_AddItemToObject(o, "metrics", parse_or_empty(m->metrics_json));
        cJSON_AddNumberToObject(o, "train_seconds", m->train_seconds);
        if (!cJSON_AddItemToObject(o, "params", parse_or_empty(m->params_json)) || !ok)
            break;
    }
    int ok = arr && n == l->n;
    if (ok)
        add_num_or_null(root, "active", (double)l->active, l->active != 0);
    return done(root, ok);
}
