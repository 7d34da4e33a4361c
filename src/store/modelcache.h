/* The local cache of a region fed from a model store: the last artifact it
 * verified and served, with its manifest, so a restart with the store
 * unreachable still serves. One directory per store:
 *   BASE/s3/BUCKET/PREFIX/artifact.db      the last good artifact
 *   BASE/s3/BUCKET/PREFIX/manifest.json    its manifest (written after it)
 * Downloads go to a temporary name beside them (artifact.db.tmp.PID), so
 * processes sharing the cache never see each other's half files, and are
 * renamed into place only once verified and opened. */
#ifndef RECSYS_STORE_MODELCACHE_H
#define RECSYS_STORE_MODELCACHE_H

#include <stddef.h>

#include "store/manifest.h"
#include "store/s3config.h"

struct modelcache {
    char dir[1024];
    char artifact[1100]; /* dir/artifact.db */
    char manifest[1100]; /* dir/manifest.json */
    char tmp[1200];      /* dir/artifact.db.tmp.PID: where downloads go */
};

/* The default base directory: $CACHE_DIRECTORY (systemd's CacheDirectory=;
 * its first entry), else $XDG_CACHE_HOME/recsys-tui, else
 * $HOME/.cache/recsys-tui. ERR_INVALID when none of them is set. */
int modelcache_default_dir(char *out, size_t len, char *err, size_t errlen);

/* Fills c for the store at loc under base and creates the directories.
 * ERR_FAIL naming the directory when it cannot be created. */
int modelcache_open(const char *base, const struct s3_location *loc, struct modelcache *c,
                    char *err, size_t errlen);

/* The cached version: reads the manifest and checks the artifact against it
 * (size and sha256). 0 and *m (free with manifest_free); ERR_NOT_FOUND when
 * nothing is cached; ERR_CORRUPT when the files do not match. */
int modelcache_load(const struct modelcache *c, struct manifest *m, char *err, size_t errlen);

/* Moves the verified download at c->tmp into place as artifact.db and
 * writes m beside it (each by rename, after fsync). */
int modelcache_commit(const struct modelcache *c, const struct manifest *m, char *err,
                      size_t errlen);

#endif
