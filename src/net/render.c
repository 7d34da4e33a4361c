/* JSON renderings of engine results (see render.h). */
#include "net/render.h"
#include "net/bio.h"
#include "net/jsonnum.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

/* Appends ,"key": and then v with jsonnum_fixed (decimals), or null when v
 * is unknown or not a number JSON can carry (NaN, infinities). */
static void fixed_or_null(struct sbuf *b, const char *key, double v, int decimals, int known)
{
    sbuf_puts(b, key);
    if (known && isfinite(v))
        jsonnum_fixed(b, v, decimals);
    else
        sbuf_puts(b, "null");
}

static void str_or_null(struct sbuf *b, const char *s)
{
    if (s[0])
        sbuf_json_str(b, s);
    else
        sbuf_puts(b, "null");
}

void render_item_fixed(struct sbuf *b, const struct rec_item *it)
{
    sbuf_puts(b, ",\"product_id\":");
    sbuf_json_str(b, it->product_id);
    sbuf_puts(b, ",\"category\":");
    sbuf_json_str(b, it->category);
    fixed_or_null(b, ",\"price\":", it->price, 2, it->price >= 0);
    fixed_or_null(b, ",\"avg_rating\":", it->avg_rating, 3, it->n_ratings > 0);
    sbuf_puts(b, ",\"n_ratings\":");
    jsonnum_int(b, it->n_ratings);
}

/* The hot path: no printf (see jsonnum.h); the bytes are those of
 * "%.2f" (price), "%.3f" (avg_rating) and "%.6g" (score). The product's
 * part comes pre-rendered from the engine when it has one (render_item_fixed
 * made it, so the bytes are the same either way). */
void render_recs(struct sbuf *b, const struct rec_result *r, int64_t model_version)
{
    sbuf_puts(b, "\"user_id\":");
    sbuf_json_str(b, r->user_id);
    sbuf_puts(b, r->known ? ",\"known\":true,\"state\":" : ",\"known\":false,\"state\":");
    str_or_null(b, r->state);
    sbuf_puts(b, ",\"model_version\":");
    jsonnum_int(b, (long long)model_version);
    sbuf_puts(b, ",\"recommendations\":[");
    for (int i = 0; i < r->n_items; i++) {
        const struct rec_item *it = &r->items[i];
        if (!it->fixed) { /* no pre-rendered part: field by field */
            sbuf_puts(b, i ? ",{\"rank\":" : "{\"rank\":");
            jsonnum_int(b, i + 1);
            render_item_fixed(b, it);
        } else if (sbuf_reserve(b, it->fixed_len + 32) == 0) { /* one copy, no checks */
            char *o = b->p + b->len;
            if (i)
                *o++ = ',';
            memcpy(o, "{\"rank\":", 8);
            o += 8;
            o += jsonnum_int_buf(o, i + 1);
            memcpy(o, it->fixed, it->fixed_len);
            b->len = (size_t)(o + it->fixed_len - b->p);
        }
        if (isfinite(it->score) && sbuf_reserve(b, 48) == 0) {
            char *o = b->p + b->len;
            memcpy(o, ",\"score\":", 9);
            o += 9;
            o += jsonnum_g6_buf(o, it->score);
            memcpy(o, ",\"source\":", 10);
            b->len = (size_t)(o + 10 - b->p);
        } else {
            sbuf_puts(b, ",\"score\":null,\"source\":");
        }
        sbuf_json_str(b, it->source ? it->source : "");
        sbuf_puts(b, "}");
    }
    sbuf_puts(b, "]");
    if (r->explain[0]) {
        sbuf_puts(b, ",\"explain\":");
        sbuf_json_str(b, r->explain);
    }
}

void render_latency_end(struct sbuf *b, double ms)
{
    sbuf_puts(b, ",\"latency_ms\":");
    jsonnum_fixed(b, ms, 4);
    sbuf_puts(b, "}");
}

void render_close(struct sbuf *b, const char *region, const char *served_by)
{
    sbuf_puts(b, ",\"region\":");
    jsonnum_cjson_str(b, region);
    sbuf_puts(b, ",\"served_by\":");
    jsonnum_cjson_str(b, served_by);
    sbuf_puts(b, "}");
}

void render_head(struct sbuf *out, int status, const char *reason, const char *ctype, size_t len,
                 const char *region)
{
    sbuf_puts(out, "HTTP/1.1 ");
    jsonnum_int(out, status);
    sbuf_puts(out, " ");
    sbuf_puts(out, reason);
    sbuf_puts(out, "\r\nContent-Type: ");
    sbuf_puts(out, ctype);
    sbuf_puts(out, "\r\nContent-Length: ");
    jsonnum_int(out, (long long)len);
    sbuf_puts(out, "\r\nX-Region: ");
    sbuf_puts(out, region);
    sbuf_puts(out, "\r\n");
}

void render_rec_key(char *key, const char *uid, int count, int rep)
{
    char *o = key;
    memcpy(o, "r:", 2);
    memcpy(o + 2, uid, 32);
    o += 34;
    *o++ = ':';
    if (count >= 100)
        *o++ = (char)('0' + count / 100 % 10);
    if (count >= 10)
        *o++ = (char)('0' + count / 10 % 10);
    *o++ = (char)('0' + count % 10);
    *o++ = ':';
    *o++ = rep == REC_REPURCHASE_MODEL ? 'd' : rep ? '1' : '0'; /* d: the model's policy */
    *o = '\0';
}

void render_history(struct sbuf *b, const struct user_profile *p)
{
    sbuf_printf(b, "\"history\":{\"orders\":%d,\"products\":%d,\"first_purchase\":", p->orders,
                p->products);
    str_or_null(b, p->first_purchase);
    sbuf_puts(b, ",\"last_purchase\":");
    str_or_null(b, p->last_purchase);
    fixed_or_null(b, ",\"monetary\":", p->monetary, 2, 1);
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

/* ---- large bodies, written straight into the buffer ----
 * The bytes are exactly those cJSON_PrintUnformatted gave for the trees
 * these shapes used to be (numbers through jsonnum_cjson, strings through
 * jsonnum_cjson_str), without a tree: a malloc per member and a printf and
 * sscanf per number made the heaviest user's profile cost 60 us. */

/* ,"key": then a string (cJSON escaping) or null. */
static void cj_str(struct sbuf *b, const char *key, const char *s, int known)
{
    sbuf_puts(b, key);
    if (known)
        jsonnum_cjson_str(b, s);
    else
        sbuf_puts(b, "null");
}

/* ,"key": then a number as cJSON prints it, or null. */
static void cj_num(struct sbuf *b, const char *key, double v, int known)
{
    sbuf_puts(b, key);
    if (known && isfinite(v))
        jsonnum_cjson(b, v);
    else
        sbuf_puts(b, "null");
}

void render_user(struct sbuf *b, const struct user_profile *p)
{
    sbuf_puts(b, "{\"user_id\":");
    jsonnum_cjson_str(b, p->user_id);
    cj_str(b, ",\"state\":", p->state, p->state[0] != 0);
    cj_str(b, ",\"city\":", p->city, p->has_city);
    cj_num(b, ",\"orders\":", p->orders, 1);
    cj_num(b, ",\"products\":", p->products, 1);
    cj_str(b, ",\"first_purchase\":", p->first_purchase, p->first_purchase[0] != 0);
    cj_str(b, ",\"last_purchase\":", p->last_purchase, p->last_purchase[0] != 0);
    cj_num(b, ",\"recency_days\":", p->recency_days, p->has_recency);
    cj_num(b, ",\"frequency\":", p->orders, 1);
    cj_num(b, ",\"monetary\":", p->monetary, 1);
    sbuf_puts(b, p->n_purchases > 0 ? ",\"known\":true,\"purchases\":["
                                    : ",\"known\":false,\"purchases\":[");
    for (int n = 0; n < p->n_purchases; n++) {
        const struct user_purchase *u = &p->purchases[n];
        sbuf_puts(b, n ? ",{\"order_id\":" : "{\"order_id\":");
        jsonnum_cjson_str(b, u->order_id);
        cj_str(b, ",\"product_id\":", u->product_id, 1);
        cj_str(b, ",\"category\":", u->category, 1);
        cj_num(b, ",\"price\":", u->price, 1);
        cj_str(b, ",\"timestamp\":", u->timestamp, 1);
        sbuf_puts(b, "}");
    }
    sbuf_puts(b, "]");
}

void render_product(struct sbuf *b, const struct product_detail *d)
{
    sbuf_puts(b, "{\"product_id\":");
    jsonnum_cjson_str(b, d->product_id);
    cj_str(b, ",\"category\":", d->category, 1);
    cj_str(b, ",\"category_pt\":", d->category_pt, d->has_category_pt);
    cj_num(b, ",\"price\":", d->price, d->price >= 0);
    cj_num(b, ",\"avg_rating\":", d->avg_rating, d->n_ratings > 0);
    cj_num(b, ",\"n_ratings\":", d->n_ratings, 1);
    cj_num(b, ",\"purchases\":", d->purchases, 1);
    cj_num(b, ",\"popularity_rank\":", d->popularity_rank, d->popularity_rank > 0);
    sbuf_puts(b, ",\"similar\":[");
    for (int n = 0; n < d->n_similar; n++) {
        const struct product_similar *x = &d->similar[n];
        sbuf_puts(b, n ? ",{\"product_id\":" : "{\"product_id\":");
        jsonnum_cjson_str(b, x->product_id);
        cj_str(b, ",\"category\":", x->category, 1);
        cj_num(b, ",\"score\":", x->score, 1);
        cj_str(b, ",\"source\":", x->source ? x->source : "", 1);
        sbuf_puts(b, "}");
    }
    sbuf_puts(b, "]");
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
