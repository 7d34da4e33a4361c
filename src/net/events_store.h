/* Feedback events and a model store (regions.conf model_store): each
 * serving process ships the events its writer stored to the store as
 * batched objects, and `retrain` imports every other process's objects into
 * its database's events table before training, so hosts learn from each
 * other at the next retrain.
 *
 * Objects: PREFIX/events/DBID/FIRST-LAST.jsonl, one JSON object per line
 * ({"user_id","product_id","type","ts","request_id","region","received_at"}),
 * FIRST and LAST the 12-digit row ids it holds. DBID (16 hex characters,
 * random, kept in the database) names the events table they came from, so
 * an import skips its own and an object is imported once (table
 * events_imported). Imported rows carry region "store:DBID:REGION" and are
 * never shipped again. What was shipped is kept in table events_shipped, so
 * a restart goes on where it stopped; an upload that fails is retried at
 * the next round (objects are whole or absent: a retry rewrites the same key). */
#ifndef RECSYS_NET_EVENTS_STORE_H
#define RECSYS_NET_EVENTS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/regions.h"

#define EVENTS_SHIP_ROWS 50000 /* rows per object at most */

struct events_shipper;

/* Where a process keeps its events: the database, or with a model store
 * (no database on the host) events.db in the store cache directory
 * (store_cache, else the default of store/modelcache.h). 0, or ERR_INVALID
 * with err when no directory can be named. */
int events_store_db_path(const struct regions_conf *conf, const char *db_path, char *out,
                         size_t outlen, char *err, size_t errlen);

/* Starts the thread that ships db_path's new events to conf->model_store
 * every conf->events_ship seconds (and once more when stopped). The AWS
 * environment names the credentials (store/s3config.h). 0, or a negative
 * err_code with err. */
int events_ship_start(const struct regions_conf *conf, const char *db_path,
                      struct events_shipper **out, char *err, size_t errlen);
/* Ships what is left, joins the thread and frees s. NULL is fine. */
void events_ship_stop(struct events_shipper *s);

/* One shipping round, now, from the calling thread: rows of db_path's
 * events table not shipped yet (and not imported) go up in objects of up
 * to EVENTS_SHIP_ROWS rows. *rows counts them. 0, or a negative err_code. */
int events_ship_once(const char *db_path, const char *store_url, int64_t *rows, char *err,
                     size_t errlen);

/* Imports the events objects of store_url that other databases shipped
 * and db_path has not imported yet into its events table (created when
 * missing), one transaction per object. *objects and *rows count them.
 * 0, or a negative err_code with err naming the object. */
int events_store_import(const char *db_path, const char *store_url, int64_t *objects, int64_t *rows,
                        char *err, size_t errlen);

#endif
