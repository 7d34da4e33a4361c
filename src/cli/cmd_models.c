/* `recsys-tui models`: list, show, activate, roll back, prune or publish model versions.
 * Parses the options, calls the engine and prints; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "cli/cmd_tune.h"
#include "cli/storecmd.h"
#include "engine/modelstore.h"
#include "net/modelprune.h"
#include "net/render.h"
#include "util/error.h"

/* `models show V`: one version's parameters and, when `tune` chose them,
 * the validation table that did (the params' "tuning" member). */
static int models_show(const char *db, const char *arg, int json)
{
    int v;
    char err[ERR_LEN];
    struct modelstore_list l;
    if (opts_parse_int(arg, 1, 2000000000, &v) < 0)
        return opts_usage_error("models", "show needs a version number", arg);
    if (modelstore_list(db, &l, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui models: %s\n", err);
        return EXIT_FAIL;
    }
    const struct model_meta *m = NULL;
    for (int i = 0; i < l.n; i++)
        if (l.models[i].version == v)
            m = &l.models[i];
    if (!m) {
        fprintf(stderr, "recsys-tui models: no model version %d in %s\n", v, db);
        modelstore_list_free(&l);
        return EXIT_FAIL;
    }
    cJSON *params = cJSON_Parse(m->params_json), *it;
    const cJSON *tuning = cJSON_GetObjectItemCaseSensitive(params, "tuning");
    if (json) {
        printf("{\"version\":%d,\"algorithm\":\"%s\",\"cutoff\":\"%s\",\"active\":%s,"
               "\"params\":%s,\"metrics\":%s}\n",
               v, m->algorithm, m->cutoff, m->active ? "true" : "false", m->params_json,
               m->metrics_json);
    } else {
        printf("model version %d%s: %s, cutoff %s, created %s, sha256 %.16s\nparams:", v,
               m->active ? " (active)" : "", m->algorithm, m->cutoff[0] ? m->cutoff : "all",
               m->created_at, m->sha256);
        cJSON_ArrayForEach(it, params) if (cJSON_IsNumber(it))
            printf(" %s=%g", it->string, it->valuedouble);
        printf("\nmetrics: %s\n", m->metrics_json);
        const cJSON *rep = cJSON_GetObjectItemCaseSensitive(tuning, "report");
        char *text = rep ? cJSON_PrintUnformatted(rep) : NULL;
        if (text) {
            printf("chosen by tune run %.0f (%s):\n",
                   cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(tuning, "run")),
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(tuning, "created_at")));
            cmd_tune_print_report(stdout, text);
        } else
            printf("not tuned: the built-in defaults and the options given to train\n");
        free(text);
    }
    cJSON_Delete(params);
    modelstore_list_free(&l);
    return EXIT_OK;
}

/* `models prune --keep N`: the versions deleted, newest first. */
static int models_prune(const char *db, const char *keep_arg, int json)
{
    int keep;
    char err[ERR_LEN];
    struct modelstore_pruned p;
    if (!keep_arg)
        return opts_usage_error("models", "prune needs --keep N", NULL);
    if (opts_parse_int(keep_arg, 1, 1000000, &keep) < 0)
        return opts_usage_error("models", "--keep needs a number from 1 to 1000000", keep_arg);
    if (modelprune_run(db, keep, &p, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui models: %s\n", err);
        return EXIT_FAIL;
    }
    if (json) {
        printf("{\"removed\":[");
        for (int i = 0; i < p.n_removed; i++)
            printf("%s%lld", i ? "," : "", (long long)p.removed[i]);
        printf("],\"kept\":%d}\n", p.kept);
    } else {
        printf("removed %d model version%s", p.n_removed, p.n_removed == 1 ? "" : "s");
        for (int i = 0; i < p.n_removed; i++)
            printf("%s%lld", i ? ", " : ": ", (long long)p.removed[i]);
        printf("; %d kept\n", p.kept);
    }
    modelstore_pruned_free(&p);
    return EXIT_OK;
}

int cmd_models(int argc, char **argv)
{
    const char *db = OPTS_DEFAULT_DB, *sub = NULL, *arg = NULL, *store = NULL, *keep = NULL;
    int json = 0, activate = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf(
                "usage: recsys-tui models list [--json] [--db PATH | --store URL]\n"
                "       recsys-tui models show VERSION [--json] [--db PATH]\n"
                "       recsys-tui models activate VERSION [--db PATH | --store URL]\n"
                "       recsys-tui models rollback [--db PATH | --store URL]\n"
                "       recsys-tui models prune --keep N [--json] [--db PATH]\n"
                "       recsys-tui models publish VERSION [--db PATH] --store URL [--activate]\n\n"
                "Lists the stored model versions, makes one active, or goes back to the\n"
                "previously active one. Running regions pick the change up on SIGHUP.\n"
                "prune deletes every version but the N newest, the active one and those\n"
                "running A/B experiments serve (scheduled retraining does it itself:\n"
                "retrain_keep in regions.conf).\n"
                "show prints a version's parameters and, when `recsys-tui tune` chose\n"
                "them, the validation table that did and why.\n\n"
                "With --store s3://BUCKET/PREFIX the same act on an S3 model store (AWS_*\n"
                "variables: recsys-tui(1)); regions with model_store set follow its active\n"
                "version within store_poll seconds. publish uploads VERSION of the database\n"
                "as an artifact (everything a region serves it from) with its manifest, and\n"
                "with --activate makes it the store's active version.\n");
            return EXIT_OK;
        } else if (!strcmp(a, "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strcmp(a, "--store") && i + 1 < argc)
            store = argv[++i];
        else if (!strcmp(a, "--keep") && i + 1 < argc)
            keep = argv[++i];
        else if (!strcmp(a, "--activate"))
            activate = 1;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (a[0] == '-')
            return opts_usage_error("models", "unknown option", a);
        else if (!sub)
            sub = a;
        else if (!arg)
            arg = a;
        else
            return opts_usage_error("models", "extra argument", a);
    }
    char err[ERR_LEN];
    if (!sub)
        return opts_usage_error(
            "models", "missing subcommand (list, show, activate, rollback, prune, publish)", NULL);
    if (!strcmp(sub, "publish")) {
        int v;
        if (opts_parse_int(arg, 1, 2000000000, &v) < 0)
            return opts_usage_error("models", "publish needs a version number", arg);
        if (!store)
            return opts_usage_error("models", "publish needs --store URL", NULL);
        return storecmd_publish("models", db, v, store, activate, 0);
    }
    if (keep && strcmp(sub, "prune"))
        return opts_usage_error("models", "--keep goes with prune", keep);
    if (store && !strcmp(sub, "prune"))
        return opts_usage_error("models", "prune works on a database (--db), not --store", store);
    if (store)
        return storecmd_models(sub, arg, store, json);
    if (!strcmp(sub, "prune")) {
        if (arg)
            return opts_usage_error("models", "prune takes no argument", arg);
        return models_prune(db, keep, json);
    }
    if (!strcmp(sub, "show"))
        return models_show(db, arg, json);
    if (!strcmp(sub, "list")) {
        struct modelstore_list l;
        if (modelstore_list(db, &l, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui models: %s\n", err);
            return EXIT_FAIL;
        }
        if (json) {
            cJSON *j = render_models(&l);
            char *s = j ? cJSON_Print(j) : NULL;
            if (s)
                puts(s);
            free(s);
            cJSON_Delete(j);
        } else {
            printf("%7s %-6s %-11s %-10s %-19s %10s %8s  %s\n", "version", "active", "algorithm",
                   "cutoff", "created_at", "size", "HR@10", "sha256");
            for (int i = 0; i < l.n; i++) {
                const struct model_meta *m = &l.models[i];
                cJSON *metrics = cJSON_Parse(m->metrics_json);
                cJSON *hr = cJSON_GetObjectItem(
                    cJSON_GetObjectItem(cJSON_GetObjectItem(metrics, "model"), "all"), "hit_rate");
                char hrs[16] = "-";
                if (cJSON_IsNumber(hr))
                    snprintf(hrs, sizeof hrs, "%.4f", hr->valuedouble);
                cJSON_Delete(metrics);
                printf("%7lld %-6s %-11s %-10s %-19s %10lld %8s  %.16s\n", (long long)m->version,
                       m->active ? "*" : "", m->algorithm, m->cutoff[0] ? m->cutoff : "all",
                       m->created_at, (long long)m->size, hrs, m->sha256);
            }
        }
        modelstore_list_free(&l);
        return EXIT_OK;
    }
    if (!strcmp(sub, "activate")) {
        int v;
        if (opts_parse_int(arg, 1, 2000000000, &v) < 0)
            return opts_usage_error("models", "activate needs a version number", arg);
        if (modelstore_activate(db, v, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui models: %s\n", err);
            return EXIT_FAIL;
        }
        printf("model version %d is active\n", v);
        return EXIT_OK;
    }
    if (!strcmp(sub, "rollback")) {
        int64_t now = 0;
        if (arg)
            return opts_usage_error("models", "rollback takes no argument", arg);
        if (modelstore_rollback(db, &now, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui models: %s\n", err);
            return EXIT_FAIL;
        }
        printf("rolled back: model version %lld is active\n", (long long)now);
        return EXIT_OK;
    }
    return opts_usage_error("models", "unknown subcommand", sub);
}
