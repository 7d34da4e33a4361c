/* Where the commands find regions.conf, in one place: the file --config
 * names, else ./regions.conf, else the installed copy
 * (SYSCONFDIR/recsys-tui/regions.conf, compiled in from the Makefile's
 * PREFIX or SYSCONFDIR). Every command that reads the regions file loads it
 * with conffile_load, so they all agree and all name the same paths. */
#ifndef RECSYS_CLI_CONFFILE_H
#define RECSYS_CLI_CONFFILE_H

#include <stddef.h>

#include "conf/regions.h"

/* The regions file in the working directory, tried first. */
#define CONFFILE_LOCAL "regions.conf"

/* The installed regions file, e.g. "/etc/recsys-tui/regions.conf" for
 * `make install PREFIX=/usr`, "/usr/local/etc/recsys-tui/regions.conf" for
 * the default PREFIX. */
const char *conffile_installed(void);

/* The first of paths[0..n) that exists (stat succeeds: a file that exists
 * but cannot be read is still picked, so its own error is reported rather
 * than a different file read silently), copied into out. given non-NULL
 * (an explicit --config) is taken as it is, existing or not. Returns 0, or
 * ERR_NOT_FOUND with err listing every path tried, in order. */
int conffile_pick(const char *given, const char *const *paths, int n, char *out, size_t outlen,
                  char *err, size_t errlen);

/* conffile_pick over ./regions.conf and conffile_installed(), then
 * regions_load. path (outlen bytes, may be NULL) receives the file used,
 * for messages. 0, or a negative enum err_code with err filled. */
int conffile_load(const char *given, struct regions_conf *conf, char *path, size_t outlen,
                  char *err, size_t errlen);

#endif
