/* `recsys-tui models`: list, activate or roll back the stored model versions.
 * Parses the options, calls the engine and prints; exit 0 ok, 1 failure, 2 usage. */
#include "cli/cmd_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "engine/recommend.h"
#include "util/error.h"

int cmd_models(int argc, char **argv)
{
    const char *db = OPTS_DEFAULT_DB, *sub = NULL, *arg = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: recsys-tui models list [--json] [--db PATH]\n"
                   "       recsys-tui models activate VERSION [--db PATH]\n"
                   "       recsys-tui models rollback [--db PATH]\n\n"
                   "Lists the stored model versions, makes one active, or goes back to the\n"
                   "previously active one. Running regions pick the change up on SIGHUP.\n");
            return EXIT_OK;
        } else if (!strcmp(a, "--db") && i + 1 < argc)
            db = argv[++i];
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
        return opts_usage_error("models", "missing subcommand (list, activate, rollback)", NULL);
    if (!strcmp(sub, "list")) {
        cJSON *l = models_list_json(db, err, sizeof err);
        if (!l) {
            fprintf(stderr, "recsys-tui models: %s\n", err);
            return EXIT_FAIL;
        }
        if (json) {
            char *s = cJSON_Print(l);
            if (s)
                puts(s);
            free(s);
        } else {
            cJSON *m;
            printf("%7s %-6s %-11s %-10s %-19s %10s %8s  %s\n", "version", "active", "algorithm",
                   "cutoff", "created_at", "size", "HR@10", "sha256");
            cJSON_ArrayForEach(m, cJSON_GetObjectItem(l, "models"))
            {
                cJSON *hr = cJSON_GetObjectItem(
                    cJSON_GetObjectItem(
                        cJSON_GetObjectItem(cJSON_GetObjectItem(m, "metrics"), "model"), "all"),
                    "hit_rate");
                char hrs[16] = "-";
                if (cJSON_IsNumber(hr))
                    snprintf(hrs, sizeof hrs, "%.4f", hr->valuedouble);
                const char *cut = cJSON_GetObjectItem(m, "cutoff")->valuestring;
                printf("%7d %-6s %-11s %-10s %-19s %10.0f %8s  %.16s\n",
                       cJSON_GetObjectItem(m, "version")->valueint,
                       cJSON_IsTrue(cJSON_GetObjectItem(m, "active")) ? "*" : "",
                       cJSON_GetObjectItem(m, "algorithm")->valuestring, cut[0] ? cut : "all",
                       cJSON_GetObjectItem(m, "created_at")->valuestring,
                       cJSON_GetObjectItem(m, "size")->valuedouble, hrs,
                       cJSON_GetObjectItem(m, "sha256")->valuestring);
            }
        }
        cJSON_Delete(l);
        return EXIT_OK;
    }
    if (!strcmp(sub, "activate")) {
        int v;
        if (opts_parse_int(arg, 1, 2000000000, &v) < 0)
            return opts_usage_error("models", "activate needs a version number", arg);
        if (models_activate(db, v, err, sizeof err) < 0) {
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
        if (models_rollback(db, &now, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui models: %s\n", err);
            return EXIT_FAIL;
        }
        printf("rolled back: model version %lld is active\n", (long long)now);
        return EXIT_OK;
    }
    return opts_usage_error("models", "unknown subcommand", sub);
}
