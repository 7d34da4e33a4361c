/* The temporary database an ingest builds beside its target, and the ones
 * a killed ingest left behind. Each is named "<db>.tmp-XXXXXX" (mkstemp's
 * six letters and digits) and is held under an exclusive flock(2) for as
 * long as its ingest runs. The kernel drops that lock when the process
 * ends, however it ends (kill -9, OOM killer), so a file of that exact name
 * that nobody holds is stale and can be removed; a live ingest's file never
 * is. flock(2) and SQLite's fcntl(2) locks are independent on Linux, so the
 * lock does not disturb SQLite. */
#ifndef RECSYS_INGEST_TMPDB_H
#define RECSYS_INGEST_TMPDB_H

#include <stddef.h>

#define TMPDB_SUFFIX ".tmp-"

/* Creates "<db_path>.tmp-XXXXXX" (mode 0644), locks it and returns the
 * locked descriptor in *fd and the name in path. Keep *fd open until the
 * file is renamed or unlinked, and close it only after SQLite has closed
 * the file (closing any descriptor of a file drops the process's fcntl
 * locks on it). 0, or ERR_FAIL with err. */
int tmpdb_create(const char *db_path, char *path, size_t pathlen, int *fd, char *err,
                 size_t errlen);

/* 1 when name (a directory entry, no slash) is a temporary file of the
 * database whose base name is db_base: db_base + ".tmp-" + six characters
 * of [A-Za-z0-9]; else 0. */
int tmpdb_name_matches(const char *db_base, const char *name);

/* What tmpdb_remove_stale did: the names it removed and those it could not,
 * each list ", "-separated (cut short, with "...", when it is long). */
struct tmpdb_stale {
    int removed, failed;
    char names[512];
    char failures[512]; /* "NAME: reason, ..." */
};

/* Removes every temporary file of db_path (tmpdb_name_matches) in its
 * directory that no live ingest holds. Never fails the caller: problems are
 * listed in out->failures. */
void tmpdb_remove_stale(const char *db_path, struct tmpdb_stale *out);

#endif
