/* What committed feedback events change in memory (see events.h): the
 * overlay of purchases posted as events, every region's cached answers
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

/* The newest purchases a restart replays. */
#define EVENTS_REBUILD_MAX 1000000

/* Replays the newest EVENTS_REBUILD_MAX purchases of db's events table, in
 * the order they were stored, into sh->overlay, so a restarted process
 * answers as the one before it did. Not only those since the active model
 * was trained: a retrained model learns the purchases posted as events, but
 * a buyer's profile comes from the database's orders, which never hold them,
 * so only the overlay lists them (and a customer known only from events has
 * a profile only through it). The overlay's own bounds (overlay.h) keep what
 * fits. Returns how many went in (0 without an overlay). */
uint64_t events_apply_rebuild(struct api_shared *sh, sqlite3 *db);

#endif
