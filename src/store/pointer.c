/* pointer: the active version of a model store and its history (see pointer.h). */
#include "store/pointer.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/error.h"

char *pointer_to_json(const struct pointer *p)
{
    cJSON *o = cJSON_CreateObject(), *h = NULL;
    char *s = NULL;
    if (!o || !cJSON_AddNumberToObject(o, "format", POINTER_FORMAT) ||
        !cJSON_AddNumberToObject(o, "active", (double)p->active) ||
        !(h = cJSON_AddArrayToObject(o, "history")) ||
        !cJSON_AddStringToObject(o, "updated_at", p->updated_at))
        goto out;
    for (int i = 0; i < p->n; i++) {
        cJSON *v = cJSON_CreateNumber((double)p->history[i]);
        if (!v || !cJSON_AddItemToArray(h, v)) {
            cJSON_Delete(v);
            goto out;
        }
    }
    s = cJSON_Print(o);
out:
    cJSON_Delete(o);
    return s;
}

/* 1 when v is a whole number in [lo, 2^53]. */
static int is_version(const cJSON *v, double lo)
{
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= 9007199254740992.0 &&
           floor(v->valuedouble) == v->valuedouble;
}

int pointer_parse(const char *text, size_t len, const char *source, struct pointer *p, char *err,
                  size_t errlen)
{
    int rc = ERR_CORRUPT;
    const char *field = NULL;
    const cJSON *v, *e;
    memset(p, 0, sizeof *p);
    if (len > POINTER_MAX_BYTES)
        return err_code_set(err, errlen, ERR_CORRUPT, "%s: a pointer over %d bytes", source,
                            POINTER_MAX_BYTES);
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(o)) {
        err_code_set(err, errlen, ERR_CORRUPT, "%s is not a JSON object", source);
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "format");
    if (!is_version(v, 1)) {
        field = "format";
        goto out;
    }
    if (v->valueint != POINTER_FORMAT) {
        rc = err_code_set(err, errlen, ERR_INVALID,
                          "%s has pointer format %d; this build reads format %d only"
                          " (upgrade recsys-tui)",
                          source, v->valueint, POINTER_FORMAT);
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "active");
    if (!is_version(v, 0)) {
        field = "active";
        goto out;
    }
    p->active = (int64_t)v->valuedouble;
    v = cJSON_GetObjectItemCaseSensitive(o, "history");
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > POINTER_HISTORY_MAX) {
        field = "history";
        goto out;
    }
    cJSON_ArrayForEach(e, v)
    {
        if (!is_version(e, 1)) {
            field = "history";
            goto out;
        }
        p->history[p->n++] = (int64_t)e->valuedouble;
    }
    if (p->active ? p->n == 0 || p->history[p->n - 1] != p->active : p->n != 0) {
        field = "active"; /* must be the last activation */
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(o, "updated_at");
    if (cJSON_IsString(v))
        snprintf(p->updated_at, sizeof p->updated_at, "%s", v->valuestring);
    rc = 0;
out:
    if (field)
        err_code_set(err, errlen, ERR_CORRUPT, "%s: \"%s\" is missing or malformed", source, field);
    cJSON_Delete(o);
    if (rc < 0)
        memset(p, 0, sizeof *p);
    return rc;
}

static void stamp(struct pointer *p)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(p->updated_at, sizeof p->updated_at, "%Y-%m-%d %H:%M:%S", &tm);
}

int pointer_activate(struct pointer *p, int64_t v)
{
    if (p->active == v)
        return 1;
    if (p->n == POINTER_HISTORY_MAX) {
        memmove(p->history, p->history + 1, (POINTER_HISTORY_MAX - 1) * sizeof *p->history);
        p->n--;
    }
    p->history[p->n++] = v;
    p->active = v;
    stamp(p);
    return 0;
}

int pointer_rollback(struct pointer *p, int64_t *now, char *err, size_t errlen)
{
    if (p->active == 0)
        return err_code_set(err, errlen, ERR_CONFLICT,
                            "no version is active: nothing to roll back");
    /* the entries before the active one that name another version */
    int k = p->n - 1;
    while (k > 0 && p->history[k - 1] == p->active)
        k--;
    if (k == 0)
        return err_code_set(err, errlen, ERR_CONFLICT,
                            "version %lld is the first one activated: nothing to roll back to",
                            (long long)p->active);
    p->n = k;
    p->active = p->history[k - 1];
    *now = p->active;
    stamp(p);
    return 0;
}
