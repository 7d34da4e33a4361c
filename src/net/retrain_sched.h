/* Scheduled retraining in the serving process (regions.conf retrain_every):
 * one thread of its own (never a region's event loop, never the bio thread,
 * which must stay free for activations) sleeps on the monotonic clock and
 * every interval runs one engine/retrain.h cycle on the serving database.
 * A winning candidate is activated through the background job thread
 * (bio_run BIO_ACTIVATE), the same path as POST /api/v1/models/{v}/activate,
 * so every region swaps its engine pointer at its next request; a losing one
 * is stored inactive and the reason logged ("retrain" events in the
 * structured log). The last and next run show in GET /api/v1/health
 * ("retrain") and in the dashboard's System view. */
#ifndef RECSYS_NET_RETRAIN_SCHED_H
#define RECSYS_NET_RETRAIN_SCHED_H

#include <stddef.h>

struct api_shared;
struct retrain_sched;
struct sbuf;

/* Starts the thread when sh->conf->retrain_every > 0 (*out NULL otherwise,
 * which is no error), unless the regions are fed from a model store
 * (model_store): their database is the store's cached artifact, nothing to
 * train on, so the training host runs `recsys-tui retrain --publish URL`
 * instead (a warning is logged). The first cycle runs one interval after the start.
 * sh (its conf, db_path and bio) must outlive the scheduler. 0, or ERR_FAIL
 * with err. */
int retrain_sched_start(struct api_shared *sh, struct retrain_sched **out, char *err,
                        size_t errlen);

/* Stops the thread: a cycle in progress is finished first (training is not
 * interruptible), then joined and freed. Call before bio_stop. NULL is fine. */
void retrain_sched_stop(struct retrain_sched *s);

/* Appends the scheduler's state as a JSON object to b:
 * {"enabled":true,"every_s":..,"tolerance":..,"running":..,"runs":..,
 *  "next_in_s":..,"last":{"started":"ISO",...,"outcome":"activated"|"kept"|
 *  "failed","reason":"..."}|null}; {"enabled":false} for NULL. Thread-safe,
 * takes the scheduler's mutex for a copy only. */
void retrain_sched_json(struct retrain_sched *s, struct sbuf *b);

#endif
