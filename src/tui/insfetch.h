/* The Data & evaluation view's link to a region: GET /api/v1/insights over
 * its own libcurl multi handle, never blocking the screen (insfetch_step
 * does what is ready and returns). insfetch_parse is pure and unit-tested.
 * Single-threaded (the UI thread). */
#ifndef RECSYS_TUI_INSFETCH_H
#define RECSYS_TUI_INSFETCH_H

#include <stddef.h>

#define INS_MONTHS  48 /* orders-per-month bars */
#define INS_CATS    10
#define INS_STATES  32
#define INS_CLEAN   24
#define INS_RMONTHS 36 /* months of the rolling evaluation */
#define INS_ALGOS   6  /* algorithms of the rolling evaluation, the oracle included */

enum { INS_NONE, INS_PENDING, INS_OK, INS_ERROR };

struct ins_model_row {
    char name[40];
    double hr_all, hr_warm; /* NAN when absent */
};

struct ins_data {
    int state;     /* INS_*: of the last GET */
    char msg[160]; /* why the last GET failed */
    char dataset[16], ingested_at[24];
    double orders, customers, products, order_items, sellers, interactions;
    int n_months;
    char month[INS_MONTHS][8];
    double month_orders[INS_MONTHS];
    int n_cats;
    char cat[INS_CATS][48];
    double cat_items[INS_CATS];
    int n_states;
    char st[INS_STATES][4];
    double st_customers[INS_STATES], st_orders[INS_STATES];
    int n_clean;
    char clean_rule[INS_CLEAN][40];
    double clean_count[INS_CLEAN];
    /* the active model's stored evaluation: model, +repurchase, baseline */
    long model_version;
    char model_algo[32], model_cutoff[16];
    int n_model;
    struct ins_model_row model[3];
    /* the latest rolling evaluation (run_id 0: none stored) */
    long run_id;
    int k;
    int n_rmonths, n_algos;
    char rmonth[INS_RMONTHS][16];
    char algo[INS_ALGOS][16];
    double hr_all[INS_ALGOS][INS_RMONTHS], hr_warm[INS_ALGOS][INS_RMONTHS]; /* NAN: absent */
    double users_all[INS_ALGOS], hits_all[INS_ALGOS], users_warm[INS_ALGOS],
        hits_warm[INS_ALGOS]; /* summed over the months */
};

struct insfetch;

/* key: sent as X-API-Key when non-empty. NULL on OOM. */
struct insfetch *insfetch_create(const char *key);
void insfetch_destroy(struct insfetch *f);
const struct ins_data *insfetch_data(const struct insfetch *f);
/* GET base_url/api/v1/insights unless one is in flight. 0 or -1. */
int insfetch_refresh(struct insfetch *f, const char *base_url);
/* Moves the transfer on without waiting; 1 when data changed. */
int insfetch_step(struct insfetch *f);

/* Parses a GET /api/v1/insights body into out (state INS_OK), or sets
 * state INS_ERROR and msg (the server's error message, e.g. "being
 * computed"). Returns 0 or -1. */
int insfetch_parse(const char *json, size_t len, struct ins_data *out);

#endif
