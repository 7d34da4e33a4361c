/* `recsys-tui recommend`: top-N products for one user from the active model.
 * Parses the options, calls the engine and prints; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_recommend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "engine/recommend.h"
#include "util/error.h"

int cmd_recommend(int argc, char **argv)
{
    const char *db = OPTS_DEFAULT_DB, *user = NULL;
    struct rec_request req = {.count = 10};
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui recommend USER [-n N] [--json] [--explain] [--repurchase]\n"
                   "                            [--db PATH]\n\n"
                   "Top-N products (default 10, 1..100) for USER, a customer_unique_id or a\n"
                   "customer_id, from the active model, with the user's purchase history.\n"
                   "Unknown users get cold-start recommendations. --explain shows the\n"
                   "neighbours or reasons; --repurchase keeps products already bought.\n");
            return EXIT_OK;
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--count")) && v) {
            if (opts_parse_int(argv[++i], 1, REC_MAX_ITEMS, &req.count) < 0)
                return opts_usage_error("recommend", "-n must be 1..100", v);
        } else if (!strcmp(a, "--db") && v)
            db = argv[++i];
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--explain"))
            req.explain = 1;
        else if (!strcmp(a, "--repurchase"))
            req.allow_repurchase = 1;
        else if (a[0] == '-' || user)
            return opts_usage_error("recommend", "unknown option or extra argument", a);
        else
            user = a;
    }
    if (!user)
        return opts_usage_error("recommend", "missing USER", NULL);
    char err[ERR_LEN];
    struct engine *e = NULL;
    struct rec_result *r = malloc(sizeof *r);
    int rc = EXIT_FAIL, found = 0;
    cJSON *hist = NULL;
    if (!r)
        return EXIT_FAIL;
    if (engine_open(db, &e, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui recommend: %s\n", err);
        goto out;
    }
    if (engine_warning(e))
        fprintf(stderr, "recsys-tui recommend: warning: %s\n", engine_warning(e));
    req.user = user;
    if (engine_recommend(e, &req, r, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui recommend: %s\n", err);
        rc = EXIT_USAGE;
        goto out;
    }
    hist = engine_user_json(e, user, &found, err, sizeof err);
    if (json) {
        cJSON *o = rec_result_to_json(r);
        struct engine_info in;
        engine_get_info(e, &in);
        cJSON_AddNumberToObject(o, "model_version", (double)in.version);
        cJSON_AddStringToObject(o, "algorithm", in.algorithm);
        if (hist) {
            cJSON *h = cJSON_CreateObject();
            static const char *const keys[] = {"orders", "products", "first_purchase",
                                               "last_purchase", "monetary"};
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                cJSON *x = cJSON_GetObjectItem(hist, keys[k]);
                if (x)
                    cJSON_AddItemToObject(h, keys[k], cJSON_Duplicate(x, 1));
            }
            cJSON_AddItemToObject(o, "history", h);
        }
        char *s = cJSON_Print(o);
        if (s)
            puts(s);
        free(s);
        cJSON_Delete(o);
    } else {
        cJSON *ord = hist ? cJSON_GetObjectItem(hist, "orders") : NULL;
        cJSON *prod = hist ? cJSON_GetObjectItem(hist, "products") : NULL;
        printf("user %s%s: %s, %d orders, %d products, state %s\n", r->user_id,
               strcmp(r->user_id, user) ? " (mapped from customer_id)" : "",
               r->known ? "known" : "no purchase history in the model (cold start)",
               ord ? ord->valueint : 0, prod ? prod->valueint : 0,
               r->state[0] ? r->state : "unknown");
        printf("%4s  %-32s  %-28s %9s %6s %8s  %s\n", "rank", "product_id", "category", "price",
               "rating", "score", "source");
        for (int i = 0; i < r->n_items; i++) {
            const struct rec_item *it = &r->items[i];
            char price[32] = "-", rating[16] = "-";
            if (it->price >= 0)
                snprintf(price, sizeof price, "%.2f", it->price);
            if (it->n_ratings)
                snprintf(rating, sizeof rating, "%.1f", it->avg_rating);
            printf("%4d  %-32s  %-28.28s %9s %6s %8.4f  %s\n", i + 1, it->product_id, it->category,
                   price, rating, it->score, it->source);
        }
        if (req.explain && r->explain[0])
            printf("why: %s\n", r->explain);
    }
    rc = EXIT_OK;
out:
    cJSON_Delete(hist);
    engine_release(e);
    free(r);
    return rc;
}
