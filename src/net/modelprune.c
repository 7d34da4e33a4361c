/* Model pruning with experiments' versions pinned (see modelprune.h). */
#include "net/modelprune.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/error.h"
#include "util/mem.h"

/* The versions running experiments serve, from net/expstore.c's tables
 * (a modelstore_pins_fn). A database without those tables has none. */
static int experiment_pins(sqlite3 *db, int64_t **out, int *n, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = 0, s;
    *out = NULL;
    *n = 0;
    /* no experiments tables: nothing is pinned; any other failure to read
     * them is an error, never "nothing pinned" */
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                           " AND name IN ('experiments', 'experiment_variants')",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto sqlerr;
    int tables = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (tables < 2)
        return 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT DISTINCT v.model_version FROM experiment_variants v"
                           " JOIN experiments e ON e.id = v.experiment_id WHERE e.running",
                           -1, &st, NULL) != SQLITE_OK)
        goto sqlerr;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (mem_grow((void **)out, sizeof **out, (size_t)*n + 1, &cap, (size_t)INT32_MAX) < 0) {
            rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory");
            break;
        }
        (*out)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (rc || s == SQLITE_DONE)
        goto out;
sqlerr:
    rc = err_code_set(err, errlen, ERR_FAIL, "cannot read the running experiments: %s",
                      sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int modelprune_run(const char *db_path, int keep, struct modelstore_pruned *out, char *err,
                   size_t errlen)
{
    return modelstore_prune(db_path, keep, experiment_pins, out, err, errlen);
}
