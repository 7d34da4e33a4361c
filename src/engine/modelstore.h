/* Model versions in the `models` table of olist.db: the serialised model
 * (engine/modelformat.h), its sha256, and activate / rollback with an activation log so rollback
 * returns to the previously active version. The blob itself lives in `model_parts` (version, part,
 * blob), in parts of at most MS_PART bytes, written incrementally; blobs in models.blob (databases
 * from before) still load.
 *
 * Errors are negative enum err_code values (util/error.h) with a sentence in
 * the caller's err buffer. Nothing here renders JSON: src/net/render.c does. */
#ifndef RECSYS_ENGINE_MODELSTORE_H
#define RECSYS_ENGINE_MODELSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"
#include "engine/modelformat.h"

#define MS_PART ((int64_t)256 << 20) /* bytes per stored part (model_parts) */

struct model_meta {
    int64_t version;
    char algorithm[32];
    char cutoff[20];
    char created_at[24];
    double train_seconds;
    char sha256[65];
    int64_t size;
    int active;
    char *params_json;  /* malloc'd JSON object text ("{}" when none stored) */
    char *metrics_json; /* malloc'd JSON object text ("{}" when none stored) */
};
/* Frees the JSON strings of mm (not mm itself); safe to call twice. */
void modelstore_meta_free(struct model_meta *mm);

/* Every stored version, oldest first (GET /api/v1/models, `models list`). */
struct modelstore_list {
    struct model_meta *models; /* malloc'd, n of them */
    int n;
    int64_t active; /* the active version, 0 when none */
};

/* Stores m as a new version (and activates it when activate); fills
 * meta->version, sha256, size, created_at. */
int modelstore_save(const char *db_path, const struct model *m, struct model_meta *meta,
                    int activate, char *err, size_t errlen);

/* Loads the active model from an open connection. Returns 0 when loaded,
 * 1 when there is no active model, a negative err_code when it is broken
 * (ERR_CORRUPT: truncated, fails its sha256 or does not parse; ERR_NOMEM;
 * ERR_FAIL: the table cannot be read). err says why; the meta is still
 * filled when the row exists. */
struct sqlite3;
int modelstore_load_active(struct sqlite3 *db, struct model *m, struct model_meta *meta, char *err,
                           size_t errlen);

/* Loads stored version `version` (active or not) as modelstore_load_active
 * does: 0, 1 when there is no such version, or a negative err_code. */
int modelstore_load_version(struct sqlite3 *db, int64_t version, struct model *m,
                            struct model_meta *meta, char *err, size_t errlen);

/* JSON text of params, malloc'd (stored in the models table). */
char *modelstore_params_json(const struct algo_params *p);

/* The models table of db_path. The functions below open db_path themselves
 * (read-write: they create the tables when missing); a serving region reloads
 * afterwards. They fail with ERR_FAIL when the database cannot be opened or
 * read, ERR_BUSY when another writer holds it past the busy timeout. */

/* Fills *out (free with modelstore_list_free) with every stored version. */
int modelstore_list(const char *db_path, struct modelstore_list *out, char *err, size_t errlen);
void modelstore_list_free(struct modelstore_list *l);

/* Makes `version` active. ERR_NOT_FOUND when there is no such version,
 * ERR_CORRUPT when its stored blob is missing, truncated or fails its sha256
 * check (so a region never reloads onto a model it would reject). */
int modelstore_activate(const char *db_path, int64_t version, char *err, size_t errlen);

/* Re-activates the version that was active before the current one;
 * *now_active is it. ERR_CONFLICT when no model is active or there is no
 * earlier version to go back to. */
int modelstore_rollback(const char *db_path, int64_t *now_active, char *err, size_t errlen);

/* What modelstore_prune did: the versions it deleted (malloc'd, newest
 * first; free with modelstore_pruned_free) and how many it kept. */
struct modelstore_pruned {
    int64_t *removed;
    int n_removed;
    int kept;
};

/* The versions that must survive a prune whatever their age, read on the
 * prune's own connection inside its transaction: 0 with *pinned malloc'd
 * (n of them; NULL when none), or a negative err_code with err. */
typedef int (*modelstore_pins_fn)(struct sqlite3 *db, int64_t **pinned, int *n, char *err,
                                  size_t errlen);

/* Deletes stored versions to bound the database's growth (each version
 * holds its whole model): every version except the `keep` newest (keep >=
 * 1, else ERR_INVALID), the active one, and those pins names (NULL: none;
 * net/modelprune.h pins what running experiments serve). Deleted versions
 * drop out of rollback, which skips versions no longer stored. SQLite
 * reuses the freed pages for the next versions; the file does not shrink.
 * One transaction: all of it or nothing. */
int modelstore_prune(const char *db_path, int keep, modelstore_pins_fn pins,
                     struct modelstore_pruned *out, char *err, size_t errlen);
void modelstore_pruned_free(struct modelstore_pruned *p);

/* *v = the active version, 0 when none (or no models table, or no database).
 * Always returns 0: "no model" is an answer, not an error. */
int modelstore_active_version(const char *db_path, int64_t *v);

#endif
