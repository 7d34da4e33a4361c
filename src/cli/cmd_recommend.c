/* `recsys-tui recommend`: top-N products for one user from the active model.
 * Parses the options, calls the engine and prints; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_recommend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "engine/engine.h"
#include "net/render.h"
#include "util/error.h"

int cmd_recommend(int argc, char **argv)
{
    const char *db = OPTS_DEFAULT_DB, *user = NULL;
    struct rec_request req = {.count = 10, .allow_repurchase = REC_REPURCHASE_MODEL};
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui recommend USER [-n N] [--json] [--explain]\n"
                   "                            [--repurchase | --no-repurchase] [--db PATH]\n\n"
                   "Top-N products (default 10, 1..100) for USER, a customer_unique_id or a\n"
                   "customer_id, from the active model, with the user's purchase history.\n"
                   "Unknown users get cold-start recommendations. --explain shows the\n"
                   "neighbours or reasons. Products already bought follow the model's\n"
                   "policy (the hybrid ranks them by the learned repurchase score unless\n"
                   "tuned off); --repurchase keeps them, --no-repurchase leaves them out.\n");
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
        else if (!strcmp(a, "--no-repurchase"))
            req.allow_repurchase = 0;
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
    struct user_profile hist = {0};
    struct sbuf b;
    int rc = EXIT_FAIL, code;
    if (!r)
        return EXIT_FAIL;
    sbuf_init(&b, (size_t)1 << 20);
    if (engine_open(db, &e, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui recommend: %s\n", err);
        goto out;
    }
    if (engine_warning(e))
        fprintf(stderr, "recsys-tui recommend: warning: %s\n", engine_warning(e));
    req.user = user;
    if ((code = engine_recommend(e, &req, r, err, sizeof err)) < 0) {
        fprintf(stderr, "recsys-tui recommend: %s\n", err);
        rc = code == ERR_INVALID ? EXIT_USAGE : EXIT_FAIL;
        goto out;
    }
    /* no history (unknown customer, unreadable purchases) is not an error here */
    int have_hist = engine_user_profile(e, user, &hist, err, sizeof err) == 0;
    if (json) {
        /* the HTTP body's bytes (net/render.c), then what only the CLI adds */
        struct engine_info in;
        engine_get_info(e, &in);
        sbuf_puts(&b, "{");
        render_recs(&b, r, in.version);
        sbuf_puts(&b, ",\"algorithm\":");
        sbuf_json_str(&b, in.algorithm);
        if (have_hist) {
            sbuf_puts(&b, ",");
            render_history(&b, &hist);
        }
        sbuf_puts(&b, "}\n");
        if (b.overflow) {
            fprintf(stderr, "recsys-tui recommend: out of memory rendering JSON\n");
            goto out;
        }
        fwrite(b.p, 1, b.len, stdout);
    } else {
        printf("user %s%s: %s, %d orders, %d products, state %s\n", r->user_id,
               strcmp(r->user_id, user) ? " (mapped from customer_id)" : "",
               r->known ? "known" : "no purchase history in the model (cold start)", hist.orders,
               hist.products, r->state[0] ? r->state : "unknown");
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
    engine_user_profile_free(&hist);
    sbuf_free(&b);
    engine_release(e);
    free(r);
    return rc;
}
