/* manifest: a model version's description in a model store (see manifest.h). */
#include "store/manifest.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Adds the JSON text json (an object) under key; "{}" when it does not parse. */
static int add_raw_object(cJSON *o, const char *key, const char *json)
{
    cJSON *v = json ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsObject(v)) {
        cJSON_Delete(v);
        v = cJSON_CreateObject();
    }
    return v && cJSON_AddItemToObject(o, key, v) ? 0 : -1;
}

char *manifest_to_json(const struct manifest *m)
{
    cJSON *o = cJSON_CreateObject(), *parts = NULL;
    char *s = NULL;
    if (!o || !cJSON_AddNumberToObject(o, "format", m->format ? m->format : MANIFEST_FORMAT) ||
        !cJSON_AddNumberToObject(o, "version", (double)m->version) ||
        !cJSON_AddStringToObject(o, "algorithm", m->algorithm) ||
        add_raw_object(o, "params", m->params_json) < 0 ||
        !cJSON_AddStringToObject(o, "cutoff", m->cutoff) ||
        add_raw_object(o, "metrics", m->metrics_json) < 0 ||
        !cJSON_AddStringToObject(o, "created_at", m->created_at) ||
        !cJSON_AddNumberToObject(o, "train_seconds", m->train_seconds) ||
        !cJSON_AddStringToObject(o, "model_sha256", m->model_sha256) ||
        !(parts = cJSON_AddArrayToObject(o, "parts")))
        goto out;
    for (int i = 0; i < m->n_parts; i++) {
        cJSON *p = cJSON_CreateObject();
        if (!p || !cJSON_AddItemToArray(parts, p) ||
            !cJSON_AddStringToObject(p, "name", m->parts[i].name) ||
            !cJSON_AddNumberToObject(p, "size", (double)m->parts[i].size) ||
            !cJSON_AddStringToObject(p, "sha256", m->parts[i].sha256))
            goto out;
    }
    s = cJSON_Print(o);
out:
    cJSON_Delete(o);
    return s;
}

/* 1 when v is a whole number in [lo, hi]. */
static int is_int(const cJSON *v, double lo, double hi)
{
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi &&
           floor(v->valuedouble) == v->valuedouble;
}

/* 1 when s is 64 lowercase hex characters. */
static int is_sha256(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Copies string member key of o into out (outlen); "" when absent and optional. */
static int get_str(const cJSON *o, const char *key, char *out, size_t outlen, int required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v && !required) {
        out[0] = '\0';
        return 0;
    }
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= outlen)
        return -1;
    snprintf(out, outlen, "%s", v->valuestring);
    return 0;
}

/* The object member key as malloc'd JSON text ("{}" when absent). */
static char *get_object_text(const cJSON *o, const char *key, int *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return strdup("{}");
    if (!cJSON_IsObject(v)) {
        *bad = 1;
        return NULL;
    }
    return cJSON_PrintUnformatted(v);
}

/* A part name is a plain file name: no path, nothing hidden. */
static int name_ok(const char *s)
{
    return s[0] && s[0] != '.' && !strchr(s, '/') && !strchr(s, '\\');
}

static int parse_parts(const cJSON *arr, const char *source, struct manifest *m, char *err,
                       size_t errlen)
{
    const cJSON *p;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 ||
        cJSON_GetArraySize(arr) > MANIFEST_MAX_PARTS)
        return err_code_set(err, errlen, ERR_CORRUPT,
                            "%s: \"parts\" must be an array of 1 to %d parts", source,
                            MANIFEST_MAX_PARTS);
    cJSON_ArrayForEach(p, arr)
    {
        struct manifest_part *mp = &m->parts[m->n_parts];
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(p, "sha256"),
                    *size = cJSON_GetObjectItemCaseSensitive(p, "size");
        if (get_str(p, "name", mp->name, sizeof mp->name, 1) < 0 || !name_ok(mp->name))
            return err_code_set(err, errlen, ERR_CORRUPT, "%s: part %d has no valid \"name\"",
                                source, m->n_parts + 1);
        if (!cJSON_IsString(sha) || !is_sha256(sha->valuestring))
            return err_code_set(err, errlen, ERR_CORRUPT,
                                "%s: part %s: \"sha256\" is not 64 lowercase hex digits", source,
                                mp->name);
        memcpy(mp->sha256, sha->valuestring, 65);
        if (!is_int(size, 0, 9007199254740992.0))
            return err_code_set(err, errlen, ERR_CORRUPT,
                                "%s: part %s: \"size\" is not a byte count", source, mp->name);
        mp->size = (uint64_t)size->valuedouble;
        if (manifest_find(m, mp->name))
            return err_code_set(err, errlen, ERR_CORRUPT, "%s: part %s is listed twice", source,
                                mp->name);
        m->n_parts++;
    }
    return 0;
}

int manifest_parse(const char *text, size_t len, const char *source, struct manifest *m, char *err,
                   size_t errlen)
{
    int rc = ERR_CORRUPT, bad = 0;
    const char *field = NULL;
    memset(m, 0, sizeof *m);
    if (len > MANIFEST_MAX_BYTES)
        return err_code_set(err, errlen, ERR_CORRUPT, "%s: a manifest over %d bytes", source,
                            MANIFEST_MAX_BYTES);
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *v;
    if (!cJSON_IsObject(o)) {
        err_code_set(err, errlen, ERR_CORRUPT, "%s is not a JSON object", source);
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "format");
    if (!is_int(v, 1, 1e9)) {
        field = "format";
        goto bad;
    }
    if (v->valueint != MANIFEST_FORMAT) {
        rc = err_code_set(err, errlen, ERR_INVALID,
                          "%s has manifest format %d; this build reads format %d only"
                          " (upgrade recsys-tui)",
                          source, v->valueint, MANIFEST_FORMAT);
        goto out;
    }
    m->format = v->valueint;
    v = cJSON_GetObjectItemCaseSensitive(o, "version");
    if (!is_int(v, 1, 9007199254740992.0)) {
        field = "version";
        goto bad;
    }
    m->version = (int64_t)v->valuedouble;
    v = cJSON_GetObjectItemCaseSensitive(o, "train_seconds");
    m->train_seconds = cJSON_IsNumber(v) ? v->valuedouble : 0;
    if (get_str(o, "algorithm", m->algorithm, sizeof m->algorithm, 1) < 0 || !m->algorithm[0])
        field = "algorithm";
    else if (get_str(o, "cutoff", m->cutoff, sizeof m->cutoff, 0) < 0)
        field = "cutoff";
    else if (get_str(o, "created_at", m->created_at, sizeof m->created_at, 0) < 0)
        field = "created_at";
    else if (get_str(o, "model_sha256", m->model_sha256, sizeof m->model_sha256, 0) < 0)
        field = "model_sha256";
    else if (!(m->params_json = get_object_text(o, "params", &bad)))
        field = bad ? "params" : NULL;
    else if (!(m->metrics_json = get_object_text(o, "metrics", &bad)))
        field = bad ? "metrics" : NULL;
    if (field)
        goto bad;
    if (!m->params_json || !m->metrics_json) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory reading %s", source);
        goto out;
    }
    if ((rc = parse_parts(cJSON_GetObjectItemCaseSensitive(o, "parts"), source, m, err, errlen)) <
        0)
        goto out;
    rc = 0;
    goto out;
bad:
    rc =
        err_code_set(err, errlen, ERR_CORRUPT, "%s: \"%s\" is missing or malformed", source, field);
out:
    cJSON_Delete(o);
    if (rc < 0)
        manifest_free(m);
    return rc;
}

void manifest_free(struct manifest *m)
{
    free(m->params_json);
    free(m->metrics_json);
    m->params_json = m->metrics_json = NULL;
}

const struct manifest_part *manifest_find(const struct manifest *m, const char *name)
{
    for (int i = 0; i < m->n_parts; i++)
        if (!strcmp(m->parts[i].name, name))
            return &m->parts[i];
    return NULL;
}
