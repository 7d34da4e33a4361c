/* What committed feedback events change in memory (see events.h): the
 * overlay of purchases not yet in a model, every region's cached answers
 * for the buyers, the experiments' counts; and the overlay's rebuild from
 * the events table at start. Runs on the events writer or syncer thread, one at a time. */
#ifndef RECSYS_NET_EVENTS_APPLY_H
#define RECSYS_NET_EVENTS_APPLY_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct api_shared;
struct events_batch;

/* Applies the committed batches (rc 0) chained from list (b->next) to sh's
 * overlay, regions' caches and on_events hook. */
void events_apply(struct api_shared *sh, struct events_batch *list);

/* Replays the purchases of db's events table stored since the active model
 * was trained into sh->overlay, so a restart forgets nothing the model does
 * not know. Returns how many went in (0 without an overlay). */
uint64_t events_apply_rebuild(struct api_shared *sh, sqlite3 *db);

#endif
