/* The S3 model store from the command line: `models publish|list|activate|
 * rollback --store URL` and `train --publish URL`. Glue between the engine
 * (the artifact export) and the store layer (which may not see SQLite);
 * prints results on stdout, progress and errors on stderr. */
#ifndef RECSYS_CLI_STORECMD_H
#define RECSYS_CLI_STORECMD_H

#include <stdint.h>

/* Exports version v of db_path as an artifact, checks that it serves
 * (engine_open on it), uploads it with its manifest to the store at url,
 * and makes it the store's active version when activate. Progress on
 * stderr unless quiet. Returns an exit status (cli/exitcode.h), the error
 * printed as "recsys-tui CMD: ...". */
int storecmd_publish(const char *cmd, const char *db_path, int64_t v, const char *url, int activate,
                     int quiet);

/* `models SUB [ARG] --store URL` for SUB list, activate and rollback.
 * Returns an exit status. */
int storecmd_models(const char *sub, const char *arg, const char *url, int json);

#endif
