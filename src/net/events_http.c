/* Parsing and checking feedback events from a request (see events_http.h). */
#include "net/events_http.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "net/events_json.h"
#include "util/error.h"
#include "util/mem.h"

/* What the walk over a body collects. */
struct prep {
    const struct engine *e;
    int64_t now;
    struct events_batch *b;
    size_t cap;
    struct sbuf errs; /* the failed entries, as JSON array members */
    size_t rejected;
    char first[320]; /* "field: message" of the first failure */
};

/* Checks one event into *ev; 0, or -1 with the field at fault and why. */
static int check_one(const struct prep *pr, const struct events_json_event *o,
                     struct feedback_event *ev, const char **field, char *msg, size_t msglen)
{
    const struct events_json_value *u = &o->user_id, *p = &o->product_id, *t = &o->type;
    const struct events_json_value *ts = &o->ts, *rq = &o->request_id;
    memset(ev, 0, sizeof *ev);
    *field = "event";
    if (!o->is_object)
        return err_set(msg, msglen, "must be an object");
    *field = "user_id";
    if (u->kind != EJ_STRING || !feedback_id_valid(u->s))
        return err_set(msg, msglen, "%s",
                       u->kind <= EJ_NULL ? "is required" : "must be 32 hexadecimal characters");
    *field = "product_id";
    if (p->kind != EJ_STRING || !feedback_id_valid(p->s))
        return err_set(msg, msglen, "%s",
                       p->kind <= EJ_NULL ? "is required" : "must be 32 hexadecimal characters");
    if (!engine_product_known(pr->e, p->s, NULL, 0, NULL))
        return err_set(msg, msglen, "unknown product %s (not in the active model's catalogue)",
                       p->s);
    *field = "type";
    if (t->kind <= EJ_NULL)
        return err_set(msg, msglen, "is required");
    if (t->kind != EJ_STRING || t->too_long || feedback_type_parse(t->s, &ev->type) < 0)
        return err_set(msg, msglen, "must be one of view, click, add_to_cart, purchase");
    *field = "ts";
    ev->ts = pr->now;
    if (ts->kind == EJ_NUMBER) {
        if (!isfinite(ts->num) || ts->num < 0 || ts->num > 1e11)
            return err_set(msg, msglen, "unix seconds out of range");
        ev->ts = (int64_t)ts->num;
    } else if (ts->kind == EJ_STRING) {
        if (ts->too_long || feedback_ts_parse(ts->s, &ev->ts, msg, msglen) < 0)
            return ts->too_long ? err_set(msg, msglen, "not a timestamp") : ERR_INVALID;
    } else if (ts->kind == EJ_OTHER) {
        return err_set(msg, msglen, "must be unix seconds or an ISO 8601 string");
    }
    if (feedback_ts_check(ev->ts, pr->now, msg, msglen) < 0)
        return ERR_INVALID;
    *field = "request_id";
    if (rq->kind > EJ_NULL) {
        if (rq->kind != EJ_STRING || rq->too_long || !feedback_request_id_valid(rq->s))
            return err_set(msg, msglen, "must be 1..%d characters of A-Z a-z 0-9 . _ : -",
                           FEEDBACK_REQUEST_ID_LEN - 1);
        memcpy(ev->request_id, rq->s, strlen(rq->s) + 1);
    }
    for (int i = 0; i < REC_ID_LEN - 1; i++) { /* stored lower case, as the engine's ids */
        char a = u->s[i], b = p->s[i];
        ev->user_id[i] = (char)(a >= 'A' && a <= 'F' ? a + 32 : a);
        ev->product_id[i] = (char)(b >= 'A' && b <= 'F' ? b + 32 : b);
    }
    return 0;
}

/* events_json_walk's callback: keeps a valid event, lists a failed one. */
static int on_event(void *ctx, size_t index, const struct events_json_event *o)
{
    struct prep *pr = ctx;
    struct events_batch *b = pr->b;
    const char *field;
    char msg[256];
    if (mem_grow((void **)&b->ev, sizeof *b->ev, b->n + 1, &pr->cap, EVENTS_BATCH_MAX) < 0)
        return -500;
    if (check_one(pr, o, &b->ev[b->n], &field, msg, sizeof msg) == 0) {
        b->n++;
        return 0;
    }
    if (!pr->first[0])
        snprintf(pr->first, sizeof pr->first, "%s: %s", field, msg);
    sbuf_printf(&pr->errs,
                "%s{\"index\":%zu,\"field\":\"%s\",\"message\":", pr->rejected ? "," : "", index,
                field);
    sbuf_json_str(&pr->errs, msg);
    sbuf_puts(&pr->errs, "}");
    pr->rejected++;
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
    struct prep pr = {.e = e, .now = now};
    struct sbuf ok;
    int status = 0;
    *out = NULL;
    sbuf_init(&pr.errs, 1u << 22);
    sbuf_init(&ok, 1u << 22);
    if (!(pr.b = calloc(1, sizeof *pr.b))) {
        error_body(resp, 500, "out of memory");
        status = 500;
        goto out;
    }
    snprintf(pr.b->region, sizeof pr.b->region, "%s", region);
    int rc = events_json_walk(body, len, EVENTS_BATCH_MAX, on_event, &pr);
    if (rc < 0) {
        char msg[128];
        status = -rc;
        if (rc == -400)
            snprintf(msg, sizeof msg, "the body must be a JSON event object or {\"events\":[...]}");
        else if (rc == -413)
            snprintf(msg, sizeof msg, "events: more than %d events in one request",
                     EVENTS_BATCH_MAX);
        else if (rc == -422)
            snprintf(msg, sizeof msg, "events: must be a non-empty array of event objects");
        else
            snprintf(msg, sizeof msg, "out of memory");
        error_body(resp, status, msg);
        goto out;
    }
    if (pr.b->n == 0) {
        status = 422;
        sbuf_reset(resp);
        sbuf_puts(resp, "{\"error\":{\"status\":422,\"message\":");
        sbuf_json_str(resp, pr.first);
        sbuf_printf(resp, "},\"accepted\":0,\"rejected\":%zu,\"errors\":[", pr.rejected);
        sbuf_append(resp, pr.errs.p ? pr.errs.p : "", pr.errs.len);
        sbuf_puts(resp, "]}");
        goto out;
    }
    sbuf_printf(&ok, "{\"accepted\":%zu,\"rejected\":%zu,\"errors\":[", pr.b->n, pr.rejected);
    sbuf_append(&ok, pr.errs.p ? pr.errs.p : "", pr.errs.len);
    sbuf_puts(&ok, "]}");
    if (ok.overflow || pr.errs.overflow) {
        error_body(resp, 500, "out of memory");
        status = 500;
        goto out;
    }
    pr.b->ok_body = ok.p; /* the sbuf's bytes, handed over */
    pr.b->ok_len = ok.len;
    ok.p = NULL;
out:
    sbuf_free(&ok);
    sbuf_free(&pr.errs);
    if (status) {
        events_batch_free(pr.b);
        return status;
    }
    *out = pr.b;
    return 0;
}
