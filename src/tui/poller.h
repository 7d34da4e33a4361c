/* The dashboard's only link to the regions: HTTP over the libcurl multi
 * interface, so a dead or hung region never blocks the screen or the keys.
 * Every interval it GETs /api/v1/health/ and /api/v1/recommendations/stats of
 * each region; lookups (recommendations, user history, models) go through the
 * same multi handle. Results land in struct tui_data, which the views read.
 * Single-threaded: call everything from the UI thread. */
#ifndef RECSYS_TUI_POLLER_H
#define RECSYS_TUI_POLLER_H

#include <stddef.h>
#include <time.h>

#include "conf/regions.h"
#include "tui/series.h"

/* Same numbering as enum chart_status so history strips map directly. */
enum region_status { REGION_UNKNOWN, REGION_UP, REGION_DEGRADED, REGION_DOWN };
#define POLLER_DOWN_AFTER 3 /* consecutive failed checks before DOWN */

/* Health state machine, pure (unit-tested): UP or DEGRADED after any
 * successful check (degraded = the server said so), DOWN after
 * POLLER_DOWN_AFTER failures in a row; a failure before that keeps the
 * previous status. Counts every check for the availability figure. */
struct health_fsm {
    enum region_status status;
    int fails; /* consecutive failed checks */
    long checks, ok_checks;
};
void poller_fsm_init(struct health_fsm *f);
enum region_status poller_fsm_update(struct health_fsm *f, int ok, int degraded);
const char *poller_status_word(enum region_status s); /* "UP", "DEGRADED", "DOWN", "WAIT" */

#define TUI_STR     64
#define TUI_ERR     160
#define RECS_MAX    100
#define HISTORY_MAX 50
#define RECENT_MAX  8
#define MODELS_MAX  32

struct model_stats {
    char algorithm[TUI_STR], fallback[TUI_STR], cutoff[TUI_STR], created_at[TUI_STR];
    int version;
    long users, products, interactions;
    double sparsity, train_seconds;
    char metrics[256], params[256]; /* "k=v k=v" flattened from the JSON objects */
};

struct region_view {
    char name[32], location[64], url[160];
    struct health_fsm fsm;
    int have_health, have_stats;
    char server_status[16]; /* as the region reported it */
    double uptime_s, rps, p50, p99, hit_ratio, rtt_ms;
    /* rps, p50 and p99 cover the last window_s seconds (NAN: a server that reports only
     * lifetime figures there); the life_* figures are since the region started */
    double window_s, life_rps, life_p99;
    long req_total, req_errors, cache_size, cache_hits, cache_misses;
    int model_version;
    char algorithm[TUI_STR], model_status[TUI_STR], model_warning[TUI_ERR];
    char host[128];         /* the machine the region runs on (its gethostname) */
    char model_source[256]; /* where its model came from: a database path, s3://B/P/vN */
    int version_odd;        /* serves another version than the fleet (tui/fleet.h) */
    int db_ok;
    char db_path[512];
    char last_error[TUI_ERR];
    time_t last_error_at;
    struct model_stats stats;
    /* Feedback events and scheduled retraining (health "events", "retrain"). events_rate:
     * events committed per second between the last two health checks, NAN until known. */
    int events_on, retrain_on, retrain_running;
    long events_stored, events_queued, events_capacity;
    double events_rate, events_at; /* events_at: the uptime_s of events_stored */
    double retrain_every_s, retrain_next_s; /* next: NAN while running or unknown */
    char retrain_last[200]; /* "2026-12-02T04:00:00Z activated v7: reason", "" before one */
    /* History, one sample per health check (NAN when it failed). */
    struct series p50_hist, p99_hist, rps_hist, rtt_hist, status_hist;
};

enum { LOOKUP_NONE, LOOKUP_PENDING, LOOKUP_OK, LOOKUP_ERROR };

struct rec_item {
    int rank, n_ratings;
    char product_id[40], category[TUI_STR], source[24];
    double price, avg_rating, score;
};

struct rec_result {
    int state, known, model_version, n;
    double client_ms, server_ms;
    char cache[8], served_by[32], error[TUI_ERR];
    struct rec_item items[RECS_MAX];
};

struct purchase {
    char order_id[40], product_id[40], category[TUI_STR], timestamp[32];
    double price;
};

struct user_history {
    int state, orders, products, n;
    char user_id[40], state_code[8], city[TUI_STR], first[32], last[32], error[TUI_ERR];
    double recency_days, frequency, monetary;
    struct purchase p[HISTORY_MAX];
};

struct recent_lookup {
    char user_id[40];
    int count, n_items;
    double ms;
    time_t at;
};

struct model_entry {
    int version, active;
    long size;
    char algorithm[TUI_STR], cutoff[TUI_STR], created_at[TUI_STR], metrics[128];
};

struct tui_data {
    int n_regions;
    double interval_s;
    struct region_view r[REGIONS_MAX];
    /* The model version most answering regions serve, and how many distinct
     * versions they serve (more than 1: an alert); see tui/fleet.h. */
    int fleet_version, n_versions;
    /* View 3 */
    char user_id[40];
    int count, region; /* region -1: all regions */
    struct rec_result recs[REGIONS_MAX];
    struct user_history hist;
    struct recent_lookup recent[RECENT_MAX];
    int n_recent;
    char lookup_msg[TUI_ERR];
    /* View 4 */
    int models_state, models_active, n_models;
    struct model_entry models[MODELS_MAX];
    char models_msg[TUI_ERR];
};

struct poller;

/* Creates the poller for the regions of conf (copied). Reads the first key of
 * conf->api_keys_file, when set, to send as X-API-Key. NULL on failure. */
struct poller *poller_create(const struct regions_conf *conf, double interval_s, char *err,
                             size_t errlen);
void poller_destroy(struct poller *p);
struct tui_data *poller_data(struct poller *p);
/* The key admin routes need (admin_keys_file's first, else api_keys_file's;
 * "" when neither is set): for the Experiments view's own requests. */
const char *poller_admin_key(const struct poller *p);

/* Starts the checks that are due, waits up to timeout_ms for network activity
 * or for extra_fd (-1: none) to become readable, and processes the answers.
 * *fd_ready tells whether extra_fd is readable. Returns 1 when tui_data
 * changed, 0 when not, -1 on a libcurl failure (err filled). Never blocks
 * longer than timeout_ms or until the next check is due, whichever is first. */
int poller_step(struct poller *p, int extra_fd, int timeout_ms, int *fd_ready, char *err,
                size_t errlen);

/* Asks for recommendations of user_id (count 1..100) from region idx or from
 * every region (idx -1), and for the user's purchase history. Replaces the
 * previous lookup; user_id may be tui_data.user_id itself (redo with another
 * count or region). Returns 0, or -1 when user_id is empty, too long or has
 * characters other than letters, digits, '_' and '-'. */
int poller_lookup(struct poller *p, const char *user_id, int count, int idx);
/* GET /api/v1/users/random?with_history=1 on a healthy region, then looks the
 * user up (count, idx as poller_lookup). The answer is dropped when a
 * poller_lookup starts before it arrives (the user typed an id meanwhile);
 * a failure (404: the model knows no user with history) goes to lookup_msg.
 * 0, or -1 when no job slot is free. */
int poller_random_user(struct poller *p, int count, int idx);
/* GET /api/v1/models; POST activate / rollback (any healthy region). */
int poller_models_refresh(struct poller *p);
int poller_model_activate(struct poller *p, int version);
int poller_model_rollback(struct poller *p);

#endif
