/* Request bodies: see body.h. */
#include "net/body.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int body_parse_object(const char *body, size_t len, cJSON **out, char *err, size_t errlen)
{
    const char *end = NULL;
    *out = NULL;
    if (len == 0)
        return err_code_set(err, errlen, ERR_INVALID, "the body is empty (expected a JSON object)");
    /* Not require_null_terminated: the body is not NUL-terminated, so cJSON
     * would always refuse it; the bytes after the value are checked here. */
    cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!j) {
        size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
        return err_code_set(err, errlen, ERR_INVALID, "the body is not valid JSON (at byte %zu)",
                            at);
    }
    int rc = ERR_INVALID;
    if (!cJSON_IsObject(j)) {
        err_code_set(err, errlen, rc, "the body is not a JSON object");
        goto fail;
    }
    size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : len;
    while (at < len && is_json_space(body[at]))
        at++;
    if (at < len) {
        err_code_set(err, errlen, rc,
                     "the body has %zu unexpected byte%s after the JSON object (from byte %zu)",
                     len - at, len - at == 1 ? "" : "s", at);
        goto fail;
    }
    /* Duplicate names: which one counts differs between parsers, so a
     * proxy and this server could read two different requests. */
    int n = 0;
    for (const cJSON *a = j->child; a; a = a->next, n++) {
        if (n >= BODY_MAX_MEMBERS) {
            err_code_set(err, errlen, rc, "the body has more than %d members", BODY_MAX_MEMBERS);
            goto fail;
        }
        for (const cJSON *b = j->child; b != a; b = b->next)
            if (a->string && b->string && !strcmp(a->string, b->string)) {
                err_code_set(err, errlen, rc, "member \"%.40s\" appears more than once", a->string);
                goto fail;
            }
    }
    *out = j;
    return 0;
fail:
    cJSON_Delete(j);
    return rc;
}

int body_parse_rec(const char *body, size_t len, int max_count, struct body_rec *out, char *err,
                   size_t errlen)
{
    cJSON *j;
    int rc = body_parse_object(body, len, &j, err, errlen);
    if (rc < 0)
        return rc;
    rc = ERR_INVALID;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "count");
    if (c) {
        /* Range first: casting 1e300 (or -1e300) to int is undefined. */
        if (!cJSON_IsNumber(c) || !(c->valuedouble >= 1 && c->valuedouble <= max_count) ||
            c->valuedouble != (double)(int)c->valuedouble) {
            err_code_set(err, errlen, rc, "count must be an integer 1..%d", max_count);
            goto out;
        }
        out->count = (int)c->valuedouble;
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "allow_repurchase");
    if (a) {
        if (!cJSON_IsBool(a)) {
            err_code_set(err, errlen, rc, "allow_repurchase must be true or false");
            goto out;
        }
        out->allow_repurchase = cJSON_IsTrue(a);
    }
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}

/* Copies string member name of o into out (size bytes): 0 when absent, 1
 * when copied, ERR_INVALID with err when not a string of 1..max chars. */
static int context_str(const cJSON *o, const char *name, size_t max, char *out, size_t size,
                       char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v)
        return 0;
    size_t n = cJSON_IsString(v) ? strlen(v->valuestring) : 0;
    if (!n || n > max || n >= size)
        return err_code_set(err, errlen, ERR_INVALID,
                            "context.%s must be a string of 1..%zu characters", name, max);
    memcpy(out, v->valuestring, n + 1);
    return 1;
}

int body_parse_context(const char *body, size_t len, struct rec_context *cx, char *err,
                       size_t errlen)
{
    cJSON *j;
    memset(cx, 0, offsetof(struct rec_context, exclude));
    if (!len || !memmem(body, len, "\"context\"", 9)) /* most bodies: no second parse */
        return 0;
    int rc = body_parse_object(body, len, &j, err, errlen);
    if (rc < 0)
        return rc;
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "context"), *a;
    rc = ERR_INVALID;
    if (!o) {
        rc = 0;
        goto out;
    }
    if (!cJSON_IsObject(o)) {
        err_code_set(err, errlen, rc, "context must be an object {state, category, exclude}");
        goto out;
    }
    for (a = o->child; a; a = a->next)
        if (strcmp(a->string, "state") && strcmp(a->string, "category") &&
            strcmp(a->string, "exclude")) {
            err_code_set(err, errlen, rc,
                         "context.%.40s is not a context field (state, category, exclude)",
                         a->string);
            goto out;
        }
    if (context_str(o, "state", 2, cx->state, sizeof cx->state, err, errlen) < 0 ||
        context_str(o, "category", 63, cx->category, sizeof cx->category, err, errlen) < 0)
        goto out;
    if (cx->state[0] && (strlen(cx->state) != 2 || !isupper((unsigned char)cx->state[0]) ||
                         !isupper((unsigned char)cx->state[1]))) {
        err_code_set(err, errlen, rc, "context.state must be two capital letters, as in \"SP\"");
        goto out;
    }
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "exclude");
    if (ex && (!cJSON_IsArray(ex) || cJSON_GetArraySize(ex) > REC_MAX_EXCLUDE)) {
        err_code_set(err, errlen, rc, "context.exclude must be an array of at most %d product ids",
                     REC_MAX_EXCLUDE);
        goto out;
    }
    int k = 0;
    cJSON_ArrayForEach(a, ex)
    {
        const char *s = cJSON_IsString(a) ? a->valuestring : "";
        size_t n = strlen(s);
        for (size_t i = 0; i < n && n == REC_ID_LEN - 1; i++)
            if (!isxdigit((unsigned char)s[i]))
                n = 0;
        if (n != REC_ID_LEN - 1) {
            err_code_set(err, errlen, rc,
                         "context.exclude[%d] must be a product id of 32 hexadecimal characters",
                         k);
            goto out;
        }
        memcpy(cx->exclude[k++], s, REC_ID_LEN);
    }
    cx->n_exclude = k;
    cx->set = 1;
    rc = 0;
out:
    cJSON_Delete(j);
    return rc;
}

int body_query_context(const char *state, const char *category, const char *exclude,
                       struct rec_context *cx, char *err, size_t errlen)
{
    memset(cx, 0, offsetof(struct rec_context, exclude));
    if (!state && !category && !exclude)
        return 0;
    /* built as the JSON body would carry it, so one parser checks both */
    cJSON *o = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(o, "context"), *ex = NULL;
    int rc = ERR_NOMEM;
    if (!c || (state && !cJSON_AddStringToObject(c, "state", state)) ||
        (category && !cJSON_AddStringToObject(c, "category", category)) ||
        (exclude && !(ex = cJSON_AddArrayToObject(c, "exclude"))))
        goto out;
    for (const char *p = exclude; p && *p;) {
        size_t n = strcspn(p, ",");
        char id[REC_ID_LEN + 1];
        snprintf(id, sizeof id, "%.*s", (int)(n < REC_ID_LEN ? n : REC_ID_LEN), p);
        cJSON_AddItemToArray(ex, cJSON_CreateString(id));
        p += n + (p[n] == ',');
    }
    char *txt = cJSON_PrintUnformatted(o);
    if (!txt)
        goto out;
    rc = body_parse_context(txt, strlen(txt), cx, err, errlen);
    cJSON_free(txt);
out:
    if (rc == ERR_NOMEM)
        err_code_set(err, errlen, rc, "out of memory reading the context");
    cJSON_Delete(o);
    return rc;
}
