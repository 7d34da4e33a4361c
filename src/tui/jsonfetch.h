/* One request of the dashboard to a region's JSON API over a libcurl multi
 * handle the caller owns, so it never blocks the screen: the headers every
 * request sends (Accept, X-API-Key, Content-Type for a POST), the timeouts,
 * and the answer gathered up to a cap. The poller and the Experiments and
 * Data & evaluation views use it; each parses its own answers, with the
 * small cJSON readers below. Single-threaded (the UI thread). */
#ifndef RECSYS_TUI_JSONFETCH_H
#define RECSYS_TUI_JSONFETCH_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stddef.h>

struct jsonfetch {
    CURL *easy; /* the transfer in flight; NULL when idle */
    struct curl_slist *hdrs;
    char *body; /* the answer so far, NUL-terminated; NULL before its first byte */
    size_t len, cap, max;
    int too_big; /* the answer passed max, so the transfer was cut */
    void *owner; /* the caller's (the poller's job), kept by jsonfetch_end */
};

struct jsonfetch_opts {
    const char *key;  /* sent as X-API-Key unless NULL or "" */
    const char *post; /* a JSON body to POST; NULL: a GET */
    long timeout_ms, connect_ms;
    size_t max; /* the answer's cap in bytes */
};

/* Starts a request for url on multi into the idle j. 0, or -1 (libcurl
 * refused; j is idle again). */
int jsonfetch_start(struct jsonfetch *j, CURLM *multi, const char *url,
                    const struct jsonfetch_opts *o);

/* Removes j's transfer from multi and frees it and its answer: j is idle.
 * Idle j is fine. */
void jsonfetch_end(struct jsonfetch *j, CURLM *multi);

/* The next finished transfer in multi's queue (after curl_multi_perform),
 * its result in *rc; NULL when none is left. Its answer stays in it until
 * jsonfetch_end. */
struct jsonfetch *jsonfetch_done(CURLM *multi, CURLcode *rc);

/* The answer's HTTP status, 0 when there was none. */
long jsonfetch_status(const struct jsonfetch *j);

/* o's field k: a number (NAN otherwise), a string copied into out ("" when
 * absent or not a string). o may be NULL. */
double jsonfetch_num(const cJSON *o, const char *k);
/* o's field k as a whole number (truncated), 0 when it is not a number or
 * out of range: converting NAN or 1e300 to an integer is undefined. */
long jsonfetch_long(const cJSON *o, const char *k);
void jsonfetch_str(const cJSON *o, const char *k, char *out, size_t n);

/* The server's sentence from an error answer {"error":{"message":...}}
 * into out, or fallback when root has none. */
void jsonfetch_error_text(const cJSON *root, const char *fallback, char *out, size_t n);

#endif
