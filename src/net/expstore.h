/* The experiments and experiment_variants tables of the database: what
 * survives a restart (definitions, status, counters, the users sketch).
 * Every call opens the database itself, read-write, creating the tables
 * when missing; servers call them on the bio thread (or at start and
 * stop, when no loop runs). Errors: ERR_FAIL (cannot open or read),
 * ERR_BUSY (locked past the busy timeout), ERR_CONFLICT (the name exists),
 * ERR_NOMEM, with a sentence in err. */
#ifndef RECSYS_NET_EXPSTORE_H
#define RECSYS_NET_EXPSTORE_H

#include <stddef.h>

struct engine;
struct exp_record;

/* Calls fn(arg, rec, base) for every stored experiment, oldest first; rec
 * is malloc'd and fn owns it. A database without the tables has none.
 * fn's errors do not stop the walk. 0 or a negative err_code. */
int expstore_load(const char *db_path,
                  int (*fn)(void *arg, struct exp_record *rec, struct engine *base), void *arg,
                  struct engine *base, char *err, size_t errlen);
/* Inserts rec (its definition and variants) and sets rec->id. */
int expstore_insert(const char *db_path, struct exp_record *rec, char *err, size_t errlen);
/* Saves rec's status (running, stopped_at, promoted) and counters. */
int expstore_update(const char *db_path, const struct exp_record *rec, char *err, size_t errlen);
/* Saves the counters and users sketch of recs[0..n) (not their status) in
 * one transaction: the periodic save of running experiments. */
int expstore_save_counters(const char *db_path, const struct exp_record *const *recs, int n,
                           char *err, size_t errlen);

#endif
