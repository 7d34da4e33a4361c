/* net/render.c: the exact bytes of every shape, from hand-made engine
 * structs: unknown values are null, odd characters are escaped, and the
 * error code -> HTTP status table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "net/render.h"
#include "util/error.h"
#include "test.h"

#define UID "0123456789abcdef0123456789abcdef"
#define PID "fedcba9876543210fedcba9876543210"

static struct rec_result *two_items(void)
{
    static struct rec_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.user_id, sizeof r.user_id, UID);
    r.known = 1;
    snprintf(r.state, sizeof r.state, "SP");
    r.n_items = 2;
    r.items[0] = (struct rec_item){.product_id = PID,
                                   .category = "bed_bath_table",
                                   .price = 89.9,
                                   .avg_rating = 4.2,
                                   .n_ratings = 31,
                                   .score = 0.83,
                                   .source = "usercf"};
    /* unknown price and no rating: both null, whatever avg_rating holds */
    r.items[1] = (struct rec_item){.product_id = PID,
                                   .category = "q\"b\\s\n\x01 a\xc3\xa7\xc3\xa3o",
                                   .price = -1,
                                   .avg_rating = 0,
                                   .n_ratings = 0,
                                   .score = 1e-7,
                                   .source = "popularity:global"};
    return &r;
}

static void check_recs(const struct rec_result *r, int64_t version, const char *want)
{
    struct sbuf b;
    sbuf_init(&b, 1 << 16);
    render_recs(&b, r, version);
    CHECK(!b.overflow);
    CHECK_STR(b.p, want);
    /* and it is a valid JSON object body once braced */
    sbuf_reset(&b);
    sbuf_puts(&b, "{");
    render_recs(&b, r, version);
    sbuf_puts(&b, "}");
    cJSON *j = cJSON_Parse(b.p);
    CHECK(cJSON_IsObject(j));
    cJSON_Delete(j);
    sbuf_free(&b);
}

static void test_recs_exact_bytes(void)
{
    check_recs(two_items(), 3,
               "\"user_id\":\"" UID "\",\"known\":true,\"state\":\"SP\",\"model_version\":3,"
               "\"recommendations\":["
               "{\"rank\":1,\"product_id\":\"" PID "\",\"category\":\"bed_bath_table\","
               "\"price\":89.90,\"avg_rating\":4.200,\"n_ratings\":31,\"score\":0.83,"
               "\"source\":\"usercf\"},"
               "{\"rank\":2,\"product_id\":\"" PID "\","
               "\"category\":\"q\\\"b\\\\s\\u000a\\u0001 a\xc3\xa7\xc3\xa3o\","
               "\"price\":null,\"avg_rating\":null,\"n_ratings\":0,\"score\":1e-07,"
               "\"source\":\"popularity:global\"}]");
}

/* An unknown user: state null (never ""), no items; explain only when set. */
/* The engine's pre-rendered product parts (render_item_fixed, as the
 * server registers it) give the same bytes as rendering field by field. */
static void test_recs_prerendered_same_bytes(void)
{
    struct rec_result *r = two_items();
    struct sbuf plain, parts[2], pre;
    sbuf_init(&plain, 1 << 16);
    sbuf_init(&pre, 1 << 16);
    render_recs(&plain, r, 7);
    for (int i = 0; i < 2; i++) {
        sbuf_init(&parts[i], 1 << 12);
        render_item_fixed(&parts[i], &r->items[i]);
        r->items[i].fixed = parts[i].p;
        r->items[i].fixed_len = parts[i].len;
    }
    r->items[1].score = NAN; /* and the null score on that path */
    render_recs(&pre, r, 7);
    r->items[0].fixed = r->items[1].fixed = NULL;
    sbuf_reset(&plain);
    render_recs(&plain, r, 7);
    CHECK(pre.len > 0);
    CHECK_STR(pre.p, plain.p);
    for (int i = 0; i < 2; i++)
        sbuf_free(&parts[i]);
    sbuf_free(&plain);
    sbuf_free(&pre);
}

static void test_recs_unknown_state_and_explain(void)
{
    struct rec_result *r = two_items();
    r->known = 0;
    r->state[0] = 0;
    r->n_items = 0;
    check_recs(r, 0,
               "\"user_id\":\"" UID "\",\"known\":false,\"state\":null,\"model_version\":0,"
               "\"recommendations\":[]");
    snprintf(r->explain, sizeof r->explain, "popular in \"SP\"");
    check_recs(r, 0,
               "\"user_id\":\"" UID "\",\"known\":false,\"state\":null,\"model_version\":0,"
               "\"recommendations\":[],\"explain\":\"popular in \\\"SP\\\"\"");
}

/* Values JSON cannot carry are null rather than "nan" (invalid JSON). */
static void test_recs_non_finite_is_null(void)
{
    struct rec_result *r = two_items();
    r->n_items = 1;
    r->items[0].price = NAN;
    r->items[0].avg_rating = INFINITY;
    check_recs(r, 1,
               "\"user_id\":\"" UID "\",\"known\":true,\"state\":\"SP\",\"model_version\":1,"
               "\"recommendations\":["
               "{\"rank\":1,\"product_id\":\"" PID "\",\"category\":\"bed_bath_table\","
               "\"price\":null,\"avg_rating\":null,\"n_ratings\":31,\"score\":0.83,"
               "\"source\":\"usercf\"}]");
}

static void test_history_and_error(void)
{
    struct sbuf b;
    struct user_profile p = {.orders = 2, .products = 3, .monetary = 150.5};
    sbuf_init(&b, 4096);
    render_history(&b, &p);
    CHECK_STR(b.p, "\"history\":{\"orders\":2,\"products\":3,\"first_purchase\":null,"
                   "\"last_purchase\":null,\"monetary\":150.50}");
    snprintf(p.first_purchase, sizeof p.first_purchase, "2017-10-01 10:00:00");
    snprintf(p.last_purchase, sizeof p.last_purchase, "2018-01-02 09:00:00");
    sbuf_reset(&b);
    render_history(&b, &p);
    CHECK_STR(b.p, "\"history\":{\"orders\":2,\"products\":3,"
                   "\"first_purchase\":\"2017-10-01 10:00:00\","
                   "\"last_purchase\":\"2018-01-02 09:00:00\",\"monetary\":150.50}");
    sbuf_puts(&b, "junk before the error");
    render_error(&b, 404, "no route for GET /a\"b\\c\td");
    CHECK_STR(b.p, "{\"error\":{\"status\":404,\"message\":"
                   "\"no route for GET /a\\\"b\\\\c\\u0009d\"}}");
    sbuf_free(&b);
}

static void test_status_of_every_code(void)
{
    static const struct {
        int code, status;
    } t[] = {{ERR_INVALID, 400}, {ERR_NOT_FOUND, 404},   {ERR_CONFLICT, 409},
             {ERR_CORRUPT, 409}, {ERR_BUSY, 503},        {ERR_FAIL, 500},
             {ERR_NOMEM, 500},   {ERR_INTERRUPTED, 500}, {-99, 500}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (render_status(t[i].code) != t[i].status)
            printf("#   code %d (%s)\n", t[i].code, err_code_name(t[i].code));
        CHECK_INT(render_status(t[i].code), t[i].status);
    }
}

/* Prints a cJSON tree unformatted, frees it, and compares. */
static void check_tree(cJSON *j, const char *want)
{
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    CHECK_STR(s, want);
    free(s);
    cJSON_Delete(j);
}

/* An object left open by fn, closed, compared (and checked to parse). */
static void check_members(void (*fn)(struct sbuf *, const void *), const void *arg,
                          const char *want)
{
    struct sbuf b;
    sbuf_init(&b, 1 << 16);
    fn(&b, arg);
    sbuf_puts(&b, "}");
    CHECK(!b.overflow);
    CHECK_STR(b.p, want);
    cJSON *j = cJSON_Parse(b.p);
    CHECK(cJSON_IsObject(j));
    cJSON_Delete(j);
    sbuf_free(&b);
}

static void user_fn(struct sbuf *b, const void *p)
{
    render_user(b, p);
}

static void product_fn(struct sbuf *b, const void *d)
{
    render_product(b, d);
}

static void test_user_shape(void)
{
    struct user_purchase rows[2] = {{.order_id = "o1",
                                     .product_id = PID,
                                     .category = "",
                                     .price = 10.5,
                                     .timestamp = "2017-10-01 10:00:00"},
                                    {.order_id = "o2",
                                     .product_id = PID,
                                     .category = "toys",
                                     .price = 20,
                                     .timestamp = "2017-11-01 10:00:00"}};
    struct user_profile p = {.user_id = UID,
                             .city = "s\xc3\xa3o paulo",
                             .has_city = 1,
                             .orders = 2,
                             .products = 1,
                             .first_purchase = "2017-10-01 10:00:00",
                             .last_purchase = "2017-11-01 10:00:00",
                             .has_recency = 1,
                             .recency_days = 42,
                             .monetary = 30.5,
                             .n_purchases = 2,
                             .purchases = rows};
    check_members(user_fn, &p,
               "{\"user_id\":\"" UID "\",\"state\":null,\"city\":\"s\xc3\xa3o paulo\","
               "\"orders\":2,\"products\":1,\"first_purchase\":\"2017-10-01 10:00:00\","
               "\"last_purchase\":\"2017-11-01 10:00:00\",\"recency_days\":42,\"frequency\":2,"
               "\"monetary\":30.5,\"known\":true,\"purchases\":["
               "{\"order_id\":\"o1\",\"product_id\":\"" PID "\",\"category\":\"\",\"price\":10.5,"
               "\"timestamp\":\"2017-10-01 10:00:00\"},"
               "{\"order_id\":\"o2\",\"product_id\":\"" PID "\",\"category\":\"toys\","
               "\"price\":20,\"timestamp\":\"2017-11-01 10:00:00\"}]}");
    struct user_profile none = {.user_id = UID, .state = "RJ"};
    check_members(user_fn, &none,
               "{\"user_id\":\"" UID "\",\"state\":\"RJ\",\"city\":null,\"orders\":0,"
               "\"products\":0,\"first_purchase\":null,\"last_purchase\":null,"
               "\"recency_days\":null,\"frequency\":0,\"monetary\":0,\"known\":false,"
               "\"purchases\":[]}");
}

static void test_product_shape(void)
{
    struct product_detail d = {.product_id = PID,
                               .category = "telephony",
                               .price = -1,
                               .n_ratings = 0,
                               .avg_rating = 3,
                               .purchases = 7,
                               .popularity_rank = 0,
                               .n_similar = 1};
    d.similar[0] = (struct product_similar){
        .product_id = UID, .category = "toys", .score = 0.5, .source = "itemcf"};
    check_members(product_fn, &d,
               "{\"product_id\":\"" PID "\",\"category\":\"telephony\",\"category_pt\":null,"
               "\"price\":null,\"avg_rating\":null,\"n_ratings\":0,\"purchases\":7,"
               "\"popularity_rank\":null,\"similar\":[{\"product_id\":\"" UID "\","
               "\"category\":\"toys\",\"score\":0.5,\"source\":\"itemcf\"}]}");
    d.has_category_pt = 1;
    snprintf(d.category_pt, sizeof d.category_pt, "telefonia");
    d.price = 12.5;
    d.n_ratings = 2;
    d.popularity_rank = 4;
    d.n_similar = 0;
    check_members(product_fn, &d,
               "{\"product_id\":\"" PID "\",\"category\":\"telephony\","
               "\"category_pt\":\"telefonia\",\"price\":12.5,\"avg_rating\":3,\"n_ratings\":2,"
               "\"purchases\":7,\"popularity_rank\":4,\"similar\":[]}");
}

static void test_models_and_info_shapes(void)
{
    struct model_meta m[2] = {{.version = 1,
                               .algorithm = "popularity",
                               .size = 100,
                               .params_json = "{\"window_days\":30}",
                               .metrics_json = "not json"},
                              {.version = 2,
                               .algorithm = "hybrid",
                               .cutoff = "2018-01-01",
                               .created_at = "2026-01-01 00:00:00",
                               .sha256 = "ab",
                               .size = 200,
                               .active = 1,
                               .train_seconds = 1.5,
                               .params_json = "{}",
                               .metrics_json = "{\"k\":10}"}};
    struct modelstore_list l = {.models = m, .n = 2, .active = 2};
    check_tree(render_models(&l),
               "{\"models\":[{\"version\":1,\"algorithm\":\"popularity\",\"cutoff\":\"\","
               "\"created_at\":\"\",\"active\":false,\"sha256\":\"\",\"size\":100,"
               "\"metrics\":{},\"train_seconds\":0,\"params\":{\"window_days\":30}},"
               "{\"version\":2,\"algorithm\":\"hybrid\",\"cutoff\":\"2018-01-01\","
               "\"created_at\":\"2026-01-01 00:00:00\",\"active\":true,\"sha256\":\"ab\","
               "\"size\":200,\"metrics\":{\"k\":10},\"train_seconds\":1.5,\"params\":{}}],"
               "\"active\":2}");
    struct modelstore_list empty = {0};
    check_tree(render_models(&empty), "{\"models\":[],\"active\":null}");
    struct engine_info in = {.algorithm = "hybrid",
                             .version = 2,
                             .users = 5,
                             .products = 7,
                             .interactions = 9,
                             .sparsity = 0.75,
                             .metrics_json = "{}",
                             .params_json = "{\"factors\":32}"};
    check_tree(render_engine_info(&in, NULL),
               "{\"algorithm\":\"hybrid\",\"version\":2,\"fallback\":false,\"warning\":null,"
               "\"cutoff\":\"\",\"created_at\":\"\",\"users\":5,\"products\":7,"
               "\"interactions\":9,\"sparsity\":0.75,\"train_seconds\":0,\"metrics\":{},"
               "\"params\":{\"factors\":32}}");
    in.fallback = 1;
    cJSON *j = render_engine_info(&in, "model is \"broken\"");
    CHECK_STR(cJSON_GetObjectItem(j, "warning")->valuestring, "model is \"broken\"");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "fallback")));
    cJSON_Delete(j);
}

int main(void)
{
    RUN(test_recs_exact_bytes);
    RUN(test_recs_prerendered_same_bytes);
    RUN(test_recs_unknown_state_and_explain);
    RUN(test_recs_non_finite_is_null);
    RUN(test_history_and_error);
    RUN(test_status_of_every_code);
    RUN(test_user_shape);
    RUN(test_product_shape);
    RUN(test_models_and_info_shapes);
    return TEST_SUMMARY();
}
