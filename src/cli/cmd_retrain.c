/* `recsys-tui retrain`: runs one cycle of the serving process's scheduled
 * retraining (engine/retrain.h, the same code), prints the comparison and
 * the decision. Exit 0 when the cycle ran (whatever it decided), 1 when it
 * failed, 2 for a usage error. */
#include "cli/cmd_retrain.h"

#include <stdio.h>
#include <string.h>

#include "cli/conffile.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "cli/storecmd.h"
#include "conf/retrainconf.h"
#include "engine/retrain.h"
#include "net/events_store.h"
#include "util/error.h"
#include "util/sbuf.h"

static const char help[] =
    "usage: recsys-tui retrain [--db PATH] [--config FILE] [--tolerance T] [--dry-run]\n"
    "                          [--events-from URL] [--publish URL] [--json]\n\n"
    "One cycle of the scheduled retraining that regions.conf's retrain_every runs\n"
    "in the serving process: trains the default algorithm (hybrid, default\n"
    "parameters) on every purchase plus the purchase events of the events table;\n"
    "compares it with the active model on the most recent holdout month (the\n"
    "last %d days, widened until %d customers bought in it): both configurations\n"
    "are trained on the data before the holdout and scored by hit-rate@%d, as\n"
    "`eval` does; stores the candidate (trained on all the data) as a new\n"
    "version and activates it when it is not worse than the tolerance.\n\n"
    "  --db PATH        the database (default: regions.conf's database, else olist.db)\n"
    "  --config FILE    regions.conf for database and retrain_tolerance\n"
    "  --tolerance T    0.01 = at most one hit-rate point worse (absolute, the\n"
    "                   default); 5%% = at most 5%% worse (relative); a negative\n"
    "                   value demands an improvement\n"
    "  --dry-run        store the candidate but never activate it\n"
    "  --publish URL    when activated, also publish it to the model store\n"
    "                   s3://BUCKET/PREFIX and make it the store's active version\n"
    "                   (regions with model_store do not retrain themselves: run\n"
    "                   this on the training host, e.g. from a timer)\n"
    "  --events-from URL  first import the events other hosts shipped to the model\n"
    "                   store s3://BUCKET/PREFIX (default: regions.conf's model_store)\n"
    "  --json           print the report as JSON\n\n"
    "Exit status: 0 the cycle ran (activated or kept), 1 it failed, 2 usage.\n";

/* The comparison and the decision, for people. */
static void print_report(const struct retrain_report *r, int dry)
{
    printf("purchases: %lld (%lld from events, %lld new customers, %lld events skipped)\n",
           (long long)r->purchases, (long long)r->event_purchases, (long long)r->new_users,
           (long long)r->events_skipped);
    printf("holdout: %s .. %s, %lld customers, hit-rate@%d\n", r->holdout_from, r->holdout_to,
           (long long)r->holdout_users, r->k);
    printf("  candidate  %-10s            %.4f\n", r->candidate_algo, r->candidate_hit_rate);
    if (r->has_active)
        printf("  active     %-10s (v%lld)%*s %.4f\n", r->active_algo, (long long)r->active_version,
               r->active_version < 10 ? 6 : 5, "", r->active_hit_rate);
    else
        printf("  active     none\n");
    printf("decision: %s: %s\n",
           r->activate ? (dry ? "activate (dry run: not activated)" : "activated")
                       : "kept inactive",
           r->reason);
    printf("stored as version %lld in %.2f s\n", (long long)r->version, r->seconds);
}

int cmd_retrain(int argc, char **argv)
{
    const char *db = NULL, *config = NULL, *tol = NULL, *events_from = NULL, *publish = NULL;
    int json = 0, dry = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf(help, RETRAIN_HOLDOUT_DAYS, RETRAIN_HOLDOUT_USERS, RETRAIN_K);
            return EXIT_OK;
        } else if (!strcmp(a, "--db") && v)
            db = argv[++i];
        else if (!strcmp(a, "--config") && v)
            config = argv[++i];
        else if (!strcmp(a, "--tolerance") && v)
            tol = argv[++i];
        else if (!strcmp(a, "--events-from") && v)
            events_from = argv[++i];
        else if (!strcmp(a, "--publish") && v)
            publish = argv[++i];
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--dry-run"))
            dry = 1;
        else
            return opts_usage_error("retrain", "unknown option or missing value", a);
    }
    char err[ERR_LEN];
    struct regions_conf conf;
    regions_defaults(&conf);
    if (config || !db) {
        char path[512];
        int rc = conffile_load(config, &conf, path, sizeof path, err, sizeof err);
        if (rc < 0 && (config || rc != ERR_NOT_FOUND)) {
            fprintf(stderr, "recsys-tui retrain: %s\n", err);
            return config && rc == ERR_NOT_FOUND ? EXIT_USAGE : EXIT_FAIL;
        }
        if (rc < 0) /* no regions.conf anywhere: the defaults */
            regions_defaults(&conf);
    }
    struct retrain_options o = {.db_path = db ? db : conf.database,
                                .tol = {conf.retrain_tolerance, conf.retrain_tolerance_relative},
                                .activate = !dry};
    if (tol && retrainconf_tolerance(tol, &o.tol.value, &o.tol.relative, err, sizeof err) < 0)
        return opts_usage_error("retrain", err, NULL);
    struct retrain_report rep;
    if (!json)
        fprintf(stderr, "recsys-tui retrain: %s: training and comparing...\n", o.db_path);
    const char *store = events_from ? events_from : conf.model_store;
    int64_t objs = 0, rows = 0;
    if (store[0] && events_store_import(o.db_path, store, &objs, &rows, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui retrain: importing events from %s: %s\n", store, err);
        return EXIT_FAIL;
    }
    if (store[0] && !json)
        fprintf(stderr, "recsys-tui retrain: imported %lld events in %lld objects from %s\n",
                (long long)rows, (long long)objs, store);
    if (retrain_run(&o, &rep, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui retrain: %s\n", err);
        return EXIT_FAIL;
    }
    if (json) {
        struct sbuf b;
        sbuf_init(&b, 1 << 16);
        retrain_report_json(&rep, &b);
        printf("%s\n", b.p ? b.p : "{}");
        sbuf_free(&b);
    } else
        print_report(&rep, dry);
    if (publish && rep.activate && !dry) {
        fflush(stdout);
        return storecmd_publish("retrain", o.db_path, rep.version, publish, 1, json);
    }
    return EXIT_OK;
}
