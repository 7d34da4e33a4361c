/* Parsing and checking feedback events from a request (see events_http.h). */
#include "net/events_http.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "util/error.h"

/* Checks one event object into *ev; 0, or -1 with the field at fault and
 * why. */
static int parse_one(const struct engine *e, const cJSON *o, int64_t now, struct feedback_event *ev,
                     const char **field, char *msg, size_t msglen)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "user_id");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "product_id");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
    const cJSON *rq = cJSON_GetObjectItemCaseSensitive(o, "request_id");
    memset(ev, 0, sizeof *ev);
    if (!cJSON_IsObject(o)) {
        *field = "event";
        return err_set(msg, msglen, "must be an object");
    }
    *field = "user_id";
    if (!cJSON_IsString(u) || !feedback_id_valid(u->valuestring))
        return err_set(msg, msglen, "%s", u ? "must be 32 hexadecimal characters" : "is required");
    *field = "product_id";
    if (!cJSON_IsString(p) || !feedback_id_valid(p->valuestring))
        return err_set(msg, msglen, "%s", p ? "must be 32 hexadecimal characters" : "is required");
    if (!engine_product_known(e, p->valuestring, NULL, 0, NULL))
        return err_set(msg, msglen, "unknown product %s (not in the active model's catalogue)",
                       p->valuestring);
    *field = "type";
    if (!t)
        return err_set(msg, msglen, "is required");
    if (!cJSON_IsString(t) || feedback_type_parse(t->valuestring, &ev->type) < 0)
        return err_set(msg, msglen, "must be one of view, click, add_to_cart, purchase");
    *field = "ts";
    ev->ts = now;
    if (cJSON_IsNumber(ts)) {
        double v = ts->valuedouble;
        if (!isfinite(v) || v < 0 || v > 1e11)
            return err_set(msg, msglen, "unix seconds out of range");
        ev->ts = (int64_t)v;
    } else if (cJSON_IsString(ts)) {
        if (feedback_ts_parse(ts->valuestring, &ev->ts, msg, msglen) < 0)
            return ERR_INVALID;
    } else if (ts && !cJSON_IsNull(ts)) {
        return err_set(msg, msglen, "must be unix seconds or an ISO 8601 string");
    }
    if (feedback_ts_check(ev->ts, now, msg, msglen) < 0)
        return ERR_INVALID;
    *field = "request_id";
    if (rq && !cJSON_IsNull(rq)) {
        if (!cJSON_IsString(rq) || !feedback_request_id_valid(rq->valuestring))
            return err_set(msg, msglen, "must be 1..%d characters of A-Z a-z 0-9 . _ : -",
                           FEEDBACK_REQUEST_ID_LEN - 1);
        memcpy(ev->request_id, rq->valuestring, strlen(rq->valuestring) + 1);
    }
    for (int i = 0; i < REC_ID_LEN - 1; i++) { /* stored lower case, as the engine's ids */
        char a = u->valuestring[i], b = p->valuestring[i];
        ev->user_id[i] = (char)(a >= 'A' && a <= 'F' ? a + 32 : a);
        ev->product_id[i] = (char)(b >= 'A' && b <= 'F' ? b + 32 : b);
    }
    return 0;
}

static void error_body(struct sbuf *b, int status, const char *msg)
{
    sbuf_reset(b);
    sbuf_printf(b, "{\"error\":{\"status\":%d,\"message\":", status);
    sbuf_json_str(b, msg);
    sbuf_puts(b, "}}");
}

int events_http_prepare(const struct engine *e, const char *region, const char *body, size_t len,
                        int64_t now, struct sbuf *resp, struct events_batch **out)
{
    struct events_batch *b = NULL;
    struct sbuf errs;
    char msg[256], first[320] = "";
    int status = 0;
    size_t n = 1, rejected = 0;
    *out = NULL;
    sbuf_init(&errs, 1u << 22);
    cJSON *root = cJSON_ParseWithLength(body, len);
    const cJSON *list = root ? cJSON_GetObjectItemCaseSensitive(root, "events") : NULL;
    if (!cJSON_IsObject(root)) {
        error_body(resp, 400, "the body must be a JSON event object or {\"events\":[...]}");
        status = 400;
        goto out;
    }
    if (list) {
        if (!cJSON_IsArray(list)) {
            error_body(resp, 422, "events: must be an array of event objects");
            status = 422;
            goto out;
        }
        n = (size_t)cJSON_GetArraySize(list);
        if (n > EVENTS_BATCH_MAX) {
            snprintf(msg, sizeof msg, "events: %zu events, at most %d in one request", n,
                     EVENTS_BATCH_MAX);
            error_body(resp, 413, msg);
            status = 413;
            goto out;
        }
        if (n == 0) {
            error_body(resp, 422, "events: the array is empty");
            status = 422;
            goto out;
        }
    }
    if (!(b = calloc(1, sizeof *b)) || !(b->ev = malloc(n * sizeof *b->ev))) {
        error_body(resp, 500, "out of memory");
        status = 500;
        goto out;
    }
    snprintf(b->region, sizeof b->region, "%s", region);
    const cJSON *item = list ? list->child : root;
    for (size_t i = 0; i < n && item; i++, item = list ? item->next : NULL) {
        const char *field = "event";
        if (parse_one(e, item, now, &b->ev[b->n], &field, msg, sizeof msg) == 0) {
            b->n++;
            continue;
        }
        if (!first[0])
            snprintf(first, sizeof first, "%s: %s", field, msg);
        sbuf_printf(&errs, "%s{\"index\":%zu,\"field\":\"%s\",\"message\":", rejected ? "," : "", i,
                    field);
        sbuf_json_str(&errs, msg);
        sbuf_puts(&errs, "}");
        rejected++;
    }
    struct sbuf ok;
    sbuf_init(&ok, 1u << 22);
    if (b->n == 0) {
        status = 422;
        sbuf_reset(resp);
        sbuf_puts(resp, "{\"error\":{\"status\":422,\"message\":");
        sbuf_json_str(resp, first);
        sbuf_printf(resp, "},\"accepted\":0,\"rejected\":%zu,\"errors\":[", rejected);
        sbuf_append(resp, errs.p ? errs.p : "", errs.len);
        sbuf_puts(resp, "]}");
    } else {
        sbuf_printf(&ok, "{\"accepted\":%zu,\"rejected\":%zu,\"errors\":[", b->n, rejected);
        sbuf_append(&ok, errs.p ? errs.p : "", errs.len);
        sbuf_puts(&ok, "]}");
        if (ok.overflow || errs.overflow) {
            error_body(resp, 500, "out of memory");
            status = 500;
        } else {
            b->ok_body = ok.p; /* the sbuf's bytes, handed over */
            b->ok_len = ok.len;
            ok.p = NULL;
        }
    }
    sbuf_free(&ok);
out:
    cJSON_Delete(root);
    sbuf_free(&errs);
    if (status) {
        events_batch_free(b);
        return status;
    }
    *out = b;
    return 0;
}
