/* One retraining cycle, without sockets or threads: the serving process's
 * scheduler (net/retrain_sched.c) and `recsys-tui retrain` both call
 * retrain_run, so the command line shows exactly what the background job
 * decides.
 *
 * A cycle:
 *  1. loads every purchase of the database plus the purchase events of the
 *     `events` table (when it exists; an event repeating a purchase already
 *     on record for the same user, product and day is not counted twice; a
 *     customer known only from events joins the model's users);
 *  2. picks the holdout: the last RETRAIN_HOLDOUT_DAYS days of data, widened
 *     by the same step (at most RETRAIN_HOLDOUT_STEPS times) until at least
 *     RETRAIN_HOLDOUT_USERS customers bought in it;
 *  3. trains both configurations on the data before the holdout (the same
 *     cutoff, so neither has seen the holdout): the candidate (the default
 *     algorithm and parameters) and the active model's own algorithm and
 *     parameters; evaluates both with eval_model (hit-rate@k over every
 *     customer who bought in the holdout, repurchases excluded);
 *  4. decides with retrain_decide; trains the candidate on all the data and
 *     stores it as a new version, activated only when the decision says so
 *     (and opts->activate is set: the server activates through its own job
 *     thread instead, so every region swaps at once). */
#ifndef RECSYS_ENGINE_RETRAIN_H
#define RECSYS_ENGINE_RETRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

#define RETRAIN_HOLDOUT_DAYS  30
#define RETRAIN_HOLDOUT_STEPS 12
#define RETRAIN_HOLDOUT_USERS 100
#define RETRAIN_K             10

/* How much worse than the active model a candidate may be and still be
 * activated: absolute (candidate >= active - value) or relative
 * (candidate >= active * (1 - value)). A negative value demands an
 * improvement of that size. */
struct retrain_tolerance {
    double value;
    int relative;
};

/* The decision rule: 1 (activate) when candidate is not worse than active
 * by more than the tolerance, else 0. has_active 0 (nothing is active, or
 * the active model could not be evaluated) always activates. reason (may
 * be NULL) receives one sentence with both figures. */
int retrain_decide(double candidate, double active, int has_active,
                   const struct retrain_tolerance *t, char *reason, size_t len);

struct retrain_options {
    const char *db_path;
    struct retrain_tolerance tol;
    int activate; /* 1: a winning candidate is activated in the database here */
    int k;        /* 0: RETRAIN_K */
    /* The candidate's configuration; NULL: "hybrid" and the parameters of the latest
     * `tune` run for it (tunestore.h), else the defaults. */
    const char *algo;
    const struct algo_params *params;
};

struct retrain_report {
    int64_t purchases;       /* purchases trained on, events included */
    int64_t event_purchases; /* of them, from the events table */
    int64_t new_users;       /* customers known only from events, added */
    int64_t events_skipped;  /* purchase events with a malformed id or timestamp or an
                                unknown product */
    char holdout_from[11];   /* first day of the holdout, YYYY-MM-DD */
    char holdout_to[11];     /* last day */
    int64_t holdout_users;   /* customers evaluated */
    int k;
    char candidate_algo[32];
    double candidate_hit_rate;
    int has_active;
    int64_t active_version;
    char active_algo[32];
    double active_hit_rate;
    int activate;     /* the decision */
    char reason[256]; /* why */
    int64_t version;  /* the new stored version; 0 when none was stored */
    double seconds;   /* the whole cycle */
};

/* Runs one cycle (see above). Returns 0 with *rep filled (the decision in
 * rep->activate, whether or not it was applied), or a negative err_code
 * with err: the database cannot be read, there is too little data for a
 * holdout (ERR_INVALID), training or storing failed. */
int retrain_run(const struct retrain_options *opts, struct retrain_report *rep, char *err,
                size_t errlen);

struct sbuf;
/* Appends rep as one JSON object (no newline) to b. */
void retrain_report_json(const struct retrain_report *rep, struct sbuf *b);

#endif
