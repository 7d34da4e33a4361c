/* Error and JSON bodies of a region's replies. */
#include "net/reply.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "net/render.h"

/* The body of an error reply: {"error":{"status":N,"message":"..."}}. */
void reply_error(struct reply *rp, int status, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rp->status = status;
    rp->ctype = REPLY_JSON_CT;
    rp->static_body = NULL;
    render_error(&rp->r->body, status, msg);
}

int reply_is_hex_id(const char *s, size_t n)
{
    if (n != 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Prints a cJSON object into the body after adding region and served_by. */
void reply_json(struct reply *rp, cJSON *j)
{
    cJSON_AddStringToObject(j, "region", rp->entry->conf->name);
    cJSON_AddStringToObject(j, "served_by", rp->r->conf->name);
    char *s = cJSON_PrintUnformatted(j);
    if (!s) {
        reply_error(rp, 500, "out of memory rendering JSON");
        return;
    }
    sbuf_reset(&rp->r->body);
    sbuf_puts(&rp->r->body, s);
    free(s);
    rp->status = 200;
}
