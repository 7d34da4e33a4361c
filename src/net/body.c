/* Request bodies: see body.h. */
#include "net/body.h"

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
