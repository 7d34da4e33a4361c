/* A dashboard request to a region's JSON API (see jsonfetch.h). */
#include "tui/jsonfetch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct jsonfetch *j = ud;
    size_t n = size * nmemb;
    if (j->len + n + 1 > j->max) {
        j->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    void *body = j->body;
    if (mem_grow(&body, 1, j->len + n + 1, &j->cap, j->max) < 0)
        return 0;
    j->body = body;
    memcpy(j->body + j->len, ptr, n);
    j->len += n;
    j->body[j->len] = '\0';
    return n;
}

int jsonfetch_start(struct jsonfetch *j, CURLM *multi, const char *url,
                    const struct jsonfetch_opts *o)
{
    j->max = o->max;
    if (!(j->easy = curl_easy_init()))
        return -1;
    j->hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (o->post)
        j->hdrs = curl_slist_append(j->hdrs, "Content-Type: application/json");
    if (o->key && o->key[0]) {
        /* Sized to the key: a fixed buffer would cut a long key and send a
         * wrong one, which the region counts as a failed attempt. */
        static const char name[] = "X-API-Key: ";
        size_t n = sizeof name + strlen(o->key);
        char *h = malloc(n);
        if (!h) {
            jsonfetch_end(j, multi);
            return -1;
        }
        snprintf(h, n, "%s%s", name, o->key);
        j->hdrs = curl_slist_append(j->hdrs, h);
        free(h);
    }
    curl_easy_setopt(j->easy, CURLOPT_URL, url);
    curl_easy_setopt(j->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(j->easy, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_ms);
    curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "recsys-tui-dashboard");
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->hdrs);
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
    if (o->post)
        curl_easy_setopt(j->easy, CURLOPT_COPYPOSTFIELDS, o->post);
    if (curl_multi_add_handle(multi, j->easy) != CURLM_OK) {
        jsonfetch_end(j, multi);
        return -1;
    }
    return 0;
}

void jsonfetch_end(struct jsonfetch *j, CURLM *multi)
{
    void *owner = j->owner;
    if (j->easy) {
        curl_multi_remove_handle(multi, j->easy);
        curl_easy_cleanup(j->easy);
    }
    curl_slist_free_all(j->hdrs);
    free(j->body);
    memset(j, 0, sizeof *j);
    j->owner = owner;
}

struct jsonfetch *jsonfetch_done(CURLM *multi, CURLcode *rc)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(multi, &left))) {
        struct jsonfetch *j = NULL;
        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        if (!j)
            continue;
        *rc = m->data.result;
        return j;
    }
    return NULL;
}

long jsonfetch_status(const struct jsonfetch *j)
{
    long code = 0;
    if (j->easy)
        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

double jsonfetch_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

long jsonfetch_long(const cJSON *o, const char *k)
{
    double v = jsonfetch_num(o, k);
    return v > -9e18 && v < 9e18 ? (long)v : 0; /* false for NAN too */
}

void jsonfetch_str(const cJSON *o, const char *k, char *out, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    snprintf(out, n, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

void jsonfetch_error_text(const cJSON *root, const char *fallback, char *out, size_t n)
{
    char m[120];
    jsonfetch_str(cJSON_GetObjectItemCaseSensitive(root, "error"), "message", m, sizeof m);
    snprintf(out, n, "%s", m[0] ? m : fallback);
}
