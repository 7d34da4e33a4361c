/* storecmd: the model store commands (see storecmd.h). */
#include "cli/storecmd.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "engine/artifact.h"
#include "engine/engine.h"
#include "store/modelrepo.h"
#include "util/clock.h"
#include "util/error.h"

/* Opens the exported artifact like a region would: it must serve version v
 * with no warning, or it is not published. */
static int check_serves(const char *path, int64_t v, char *err, size_t errlen)
{
    struct engine *e = NULL;
    struct engine_info info;
    if (engine_open(path, &e, err, errlen) < 0)
        return ERR_FAIL;
    engine_get_info(e, &info);
    int rc = 0;
    if (engine_warning(e) || info.version != v)
        rc = err_code_set(err, errlen, ERR_CORRUPT,
                          "the artifact of version %lld does not serve: %s", (long long)v,
                          engine_warning(e) ? engine_warning(e) : "wrong version");
    engine_release(e);
    return rc;
}

/* The manifest's metadata from the models table's. */
static void manifest_from_meta(struct manifest *m, const struct model_meta *mm)
{
    memset(m, 0, sizeof *m);
    m->format = MANIFEST_FORMAT;
    m->version = mm->version;
    snprintf(m->algorithm, sizeof m->algorithm, "%s", mm->algorithm);
    snprintf(m->cutoff, sizeof m->cutoff, "%s", mm->cutoff);
    snprintf(m->created_at, sizeof m->created_at, "%s", mm->created_at);
    snprintf(m->model_sha256, sizeof m->model_sha256, "%s", mm->sha256);
    m->train_seconds = mm->train_seconds;
    m->params_json = mm->params_json;   /* borrowed */
    m->metrics_json = mm->metrics_json; /* borrowed */
}

int storecmd_publish(const char *cmd, const char *db_path, int64_t v, const char *url, int activate,
                     int quiet)
{
    struct modelrepo *r = NULL;
    struct model_meta mm = {0};
    struct manifest m;
    char err[ERR_LEN], dir[512], path[600];
    const char *tmp = getenv("TMPDIR");
    int rc = EXIT_FAIL, existed = 0;
    dir[0] = '\0';
    if (modelrepo_open(url, &r, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui %s: %s\n", cmd, err);
        return EXIT_USAGE;
    }
    snprintf(dir, sizeof dir, "%s/recsys-tui-publish.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "recsys-tui %s: cannot create a temporary directory %s\n", cmd, dir);
        dir[0] = '\0';
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s", dir, MANIFEST_ARTIFACT);
    double t0 = clock_monotonic();
    if (artifact_export(db_path, v, path, &mm, err, sizeof err) < 0 ||
        check_serves(path, v, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui %s: %s\n", cmd, err);
        goto out;
    }
    double t1 = clock_monotonic();
    manifest_from_meta(&m, &mm);
    if (!quiet)
        fprintf(stderr, "recsys-tui %s: exported version %lld in %.2f s; uploading to %s/v%lld\n",
                cmd, (long long)v, t1 - t0, modelrepo_url(r), (long long)v);
    if (modelrepo_publish(r, path, &m, activate, &existed, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui %s: %s\n", cmd, err);
        goto out;
    }
    const struct manifest_part *p = manifest_find(&m, MANIFEST_ARTIFACT);
    double up = clock_monotonic() - t1;
    if (existed)
        printf("version %lld is already in %s (unchanged)", (long long)v, modelrepo_url(r));
    else
        printf("published version %lld to %s/v%lld: %.1f MB in %.2f s", (long long)v,
               modelrepo_url(r), (long long)v, p ? (double)p->size / 1e6 : 0.0, up);
    printf(activate ? "; active\n" : "\n");
    rc = EXIT_OK;
out:
    if (dir[0]) {
        unlink(path);
        rmdir(dir);
    }
    modelstore_meta_free(&mm);
    modelrepo_close(r);
    return rc;
}

/* The hit rate @10 of a manifest's metrics, "-" when it has none. */
static void hit_rate(const struct manifest *m, char *out, size_t len)
{
    cJSON *metrics = cJSON_Parse(m->metrics_json);
    cJSON *hr = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(metrics, "model"), "all"), "hit_rate");
    snprintf(out, len, "-");
    if (cJSON_IsNumber(hr))
        snprintf(out, len, "%.4f", hr->valuedouble);
    cJSON_Delete(metrics);
}

static int list(struct modelrepo *r, int json, char *err, size_t errlen)
{
    struct pointer p;
    int64_t *v = NULL;
    int n = 0, rc;
    if ((rc = modelrepo_read_pointer(r, &p, err, errlen)) < 0 ||
        (rc = modelrepo_list(r, &v, &n, err, errlen)) < 0)
        return rc;
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (!json)
        printf("%7s %-6s %-11s %-10s %-19s %10s %8s  %s\n", "version", "active", "algorithm",
               "cutoff", "created_at", "size", "HR@10", "sha256");
    for (int i = 0; i < n && rc == 0; i++) {
        struct manifest m;
        char hrs[16];
        if ((rc = modelrepo_read_manifest(r, v[i], &m, err, errlen)) < 0)
            break;
        const struct manifest_part *a = manifest_find(&m, MANIFEST_ARTIFACT);
        if (json) {
            char *s = manifest_to_json(&m);
            cJSON *o = s ? cJSON_Parse(s) : NULL;
            free(s);
            if (o) {
                cJSON_AddBoolToObject(o, "active", v[i] == p.active);
                cJSON_AddItemToArray(arr, o);
            }
        } else {
            hit_rate(&m, hrs, sizeof hrs);
            printf("%7lld %-6s %-11s %-10s %-19s %10llu %8s  %.16s\n", (long long)m.version,
                   v[i] == p.active ? "*" : "", m.algorithm, m.cutoff[0] ? m.cutoff : "all",
                   m.created_at, a ? (unsigned long long)a->size : 0ull, hrs, a ? a->sha256 : "-");
        }
        manifest_free(&m);
    }
    if (json && rc == 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "store", modelrepo_url(r));
        cJSON_AddNumberToObject(o, "active", (double)p.active);
        cJSON_AddItemToObject(o, "models", arr);
        arr = NULL;
        char *s = cJSON_Print(o);
        if (s)
            puts(s);
        free(s);
        cJSON_Delete(o);
    }
    cJSON_Delete(arr);
    free(v);
    return rc;
}

int storecmd_models(const char *sub, const char *arg, const char *url, int json)
{
    struct modelrepo *r = NULL;
    char err[ERR_LEN];
    int rc = 0, changed = 0, v = 0;
    int64_t now = 0;
    if (!strcmp(sub, "activate") && opts_parse_int(arg, 1, 2000000000, &v) < 0)
        return opts_usage_error("models", "activate needs a version number", arg);
    if (!strcmp(sub, "rollback") && arg)
        return opts_usage_error("models", "rollback takes no argument", arg);
    if (strcmp(sub, "list") && strcmp(sub, "activate") && strcmp(sub, "rollback"))
        return opts_usage_error("models", "unknown subcommand", sub);
    if (modelrepo_open(url, &r, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui models: %s\n", err);
        return EXIT_USAGE;
    }
    if (!strcmp(sub, "list")) {
        rc = list(r, json, err, sizeof err);
    } else if (!strcmp(sub, "activate")) {
        if ((rc = modelrepo_activate(r, v, &changed, err, sizeof err)) == 0)
            printf("model version %d is active in %s%s\n", v, modelrepo_url(r),
                   changed ? "" : " (it was already)");
    } else if ((rc = modelrepo_rollback(r, &now, err, sizeof err)) == 0) {
        printf("rolled back: model version %lld is active in %s\n", (long long)now,
               modelrepo_url(r));
    }
    if (rc < 0)
        fprintf(stderr, "recsys-tui models: %s\n", err);
    modelrepo_close(r);
    return rc < 0 ? EXIT_FAIL : EXIT_OK;
}
