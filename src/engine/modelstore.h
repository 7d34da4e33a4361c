/* Model versions in the `models` table of olist.db: a versioned binary
 * serialisation of struct model (little-endian, format MS_FORMAT), its
 * sha256, and activate / rollback with an activation log so rollback returns
 * to the previously active version. The blob itself lives in `model_parts`
 * (version, part, blob), in parts of at most MS_PART bytes, written
 * incrementally; blobs in models.blob (databases from before) still load. */
#ifndef RECSYS_ENGINE_MODELSTORE_H
#define RECSYS_ENGINE_MODELSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

#define MS_FORMAT   2 /* 2: user neighbour lists without similarities, binary ids */
#define MS_MAX_BLOB ((size_t)16 << 30)   /* 16 GiB: refuse anything larger */
#define MS_PART     ((int64_t)256 << 20) /* bytes per stored part (model_parts) */

struct model_meta {
    int64_t version;
    char algorithm[32];
    char cutoff[20];
    char created_at[24];
    double train_seconds;
    char sha256[65];
    int64_t size;
    int active;
    char *params_json;  /* malloc'd */
    char *metrics_json; /* malloc'd */
};
void model_meta_free(struct model_meta *mm);

/* Serialises m into a malloc'd blob. */
int modelstore_serialize(const struct model *m, uint8_t **blob, size_t *len, char *err,
                         size_t errlen);
/* Parses a blob (bounds- and index-checked) into *m; -1 with err when it is
 * malformed. */
int modelstore_deserialize(const uint8_t *blob, size_t len, struct model *m, char *err,
                           size_t errlen);

/* Stores m as a new version (and activates it when activate); fills
 * meta->version, sha256, size, created_at. */
int modelstore_save(const char *db_path, const struct model *m, struct model_meta *meta,
                    int activate, char *err, size_t errlen);

/* Loads the active model from an open connection. Returns 0 when loaded,
 * 1 when there is no active model, -1 when it is broken (err says why; the
 * meta is still filled when the row exists). */
struct sqlite3;
int modelstore_load_active(struct sqlite3 *db, struct model *m, struct model_meta *meta, char *err,
                           size_t errlen);

/* JSON text of params (for the models table). */
char *algo_params_json(const struct algo_params *p);

#endif
