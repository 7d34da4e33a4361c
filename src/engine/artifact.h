/* Model artifacts: one model version exported from olist.db into a new,
 * self-contained SQLite file that engine_open() serves on its own. A region
 * fed from a model store (store/modelrepo.h) downloads this file and opens
 * it: no olist.db and no CSVs on its host.
 *
 * The file holds exactly what engine_open reads: the catalogue (products,
 * category names), customers, orders and order items (purchase histories and
 * popularity inputs), review scores, the `meta` table, the product_catalog
 * and interactions views as the source defines them, and the models tables
 * with only the exported version, active. Review texts, sellers, payments,
 * geolocation and indexes are left out: nothing serving reads them. */
#ifndef RECSYS_ENGINE_ARTIFACT_H
#define RECSYS_ENGINE_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/modelstore.h"

/* Writes version `version` of db_path's models into a new file at out_path,
 * atomically: it is built under a temporary name in the same directory,
 * fsync'ed and renamed, so out_path is either the old file or a whole
 * artifact. Fills *meta (free with modelstore_meta_free) with the version's
 * metadata. ERR_NOT_FOUND when there is no such version, ERR_FAIL (err names
 * the file) when a database cannot be read or the file written. */
int artifact_export(const char *db_path, int64_t version, const char *out_path,
                    struct model_meta *meta, char *err, size_t errlen);

#endif
