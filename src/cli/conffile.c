/* The regions file lookup (see conffile.h). */
#include "cli/conffile.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"

/* Set by the Makefile (SYSCONFDIR); a build without it looks where a
 * default `make install` puts the file. */
#ifndef RECSYS_SYSCONFDIR
#define RECSYS_SYSCONFDIR "/usr/local/etc"
#endif

const char *conffile_installed(void)
{
    return RECSYS_SYSCONFDIR "/recsys-tui/regions.conf";
}

int conffile_pick(const char *given, const char *const *paths, int n, char *out, size_t outlen,
                  char *err, size_t errlen)
{
    if (given) {
        snprintf(out, outlen, "%s", given);
        return 0;
    }
    char tried[1024] = "";
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0) {
            snprintf(out, outlen, "%s", paths[i]);
            return 0;
        }
        /* "./regions.conf" reads better than "regions.conf" in a list of paths */
        const char *dot = paths[i][0] == '/' || paths[i][0] == '.' ? "" : "./";
        int w =
            snprintf(tried + used, sizeof tried - used, "%s%s%s", used ? ", " : "", dot, paths[i]);
        if (w > 0 && (size_t)w < sizeof tried - used)
            used += (size_t)w;
    }
    return err_code_set(err, errlen, ERR_NOT_FOUND,
                        "no regions file: tried %s (name one with --config FILE)",
                        used ? tried : "nothing");
}

int conffile_load(const char *given, struct regions_conf *conf, char *path, size_t outlen,
                  char *err, size_t errlen)
{
    const char *paths[] = {CONFFILE_LOCAL, conffile_installed()};
    char buf[1024];
    int rc = conffile_pick(given, paths, 2, buf, sizeof buf, err, errlen);
    if (rc < 0)
        return rc;
    if (path && outlen)
        snprintf(path, outlen, "%s", buf);
    return regions_load(buf, conf, err, errlen);
}
