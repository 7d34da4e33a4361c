/* The audience route (see audience_http.h). */
#include "net/audience_http.h"

#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "net/api.h"
#include "net/render.h"
#include "net/reply.h"
#include "util/error.h"
#include "util/sbuf.h"

void audience_http_handle(struct reply *rp, const char *id, size_t id_len)
{
    struct api_region *r = rp->r;
    char pid[REC_ID_LEN], v[16], err[256] = "";
    int count = 10;
    if (!reply_is_hex_id(id, id_len)) {
        reply_error(rp, 400, "product_id must be 32 hexadecimal characters");
        return;
    }
    if (http_query_get(rp->req, "count", v, sizeof v) == 0) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > ENGINE_MAX_AUDIENCE) {
            reply_error(rp, 400, "count must be an integer 1..%d", ENGINE_MAX_AUDIENCE);
            return;
        }
        count = (int)n;
    } else if (rp->req->query && memmem(rp->req->query, rp->req->query_len, "count=", 6)) {
        /* present but too long to be valid */
        reply_error(rp, 400, "count must be an integer 1..%d", ENGINE_MAX_AUDIENCE);
        return;
    }
    if (!r->engine) {
        reply_error(rp, 503, "no model and no fallback: %s", r->sh->engine_err);
        return;
    }
    memcpy(pid, id, 32);
    pid[32] = '\0';
    struct product_audience *a = malloc(sizeof *a);
    if (!a) {
        reply_error(rp, 500, "out of memory");
        return;
    }
    int rc = engine_product_audience(r->engine, pid, count, a, err, sizeof err);
    if (rc < 0) {
        if (rc == ERR_NOT_FOUND)
            reply_error(rp, 404, "unknown product %s", pid);
        else
            reply_error(rp, render_status(rc), "%s", err);
        free(a);
        return;
    }
    struct sbuf *b = &r->body;
    sbuf_reset(b);
    sbuf_puts(b, "{\"product_id\":");
    sbuf_json_str(b, a->product_id);
    sbuf_puts(b, ",\"category\":");
    sbuf_json_str(b, a->category);
    sbuf_printf(b, ",\"count\":%d,\"similar_products\":%d,\"audience\":[", a->n, a->n_similar);
    for (int i = 0; i < a->n; i++) {
        sbuf_puts(b, i ? ",{\"user_id\":" : "{\"user_id\":");
        sbuf_json_str(b, a->entries[i].user_id);
        sbuf_puts(b, ",\"last_purchase\":");
        sbuf_json_str(b, a->entries[i].last_purchase);
        sbuf_puts(b, ",\"via\":");
        sbuf_json_str(b, a->entries[i].via);
        sbuf_puts(b, "}");
    }
    sbuf_puts(b, "]");
    render_close(b, rp->entry->conf->name, r->conf->name);
    free(a);
    rp->status = 200;
}
