/* cJSON parsers for the API answers the dashboard reads (docs/API.md). Each
 * takes a NUL-terminated body, fills its target and returns 0, or -1 when the
 * body is not the expected JSON object. Missing fields keep neutral values
 * (NAN, 0, ""), so an older or newer server still shows what it can. */
#ifndef RECSYS_TUI_POLLER_JSON_H
#define RECSYS_TUI_POLLER_JSON_H

#include <stddef.h>

#include "tui/poller.h"

int poller_json_health(const char *body, struct region_view *r);
int poller_json_stats(const char *body, struct model_stats *m);
int poller_json_recs(const char *body, struct rec_result *rr, char *err, size_t errlen);
int poller_json_user(const char *body, struct user_history *h, char *err, size_t errlen);
int poller_json_random_user(const char *body, char *uid, size_t n);
int poller_json_models(const char *body, struct tui_data *d);
int poller_json_active(const char *body, int *active);
/* "HTTP 404: no route for ..." from an error body, or "HTTP 404" alone. */
void poller_json_error_message(const char *body, long status, char *out, size_t n);

#endif
