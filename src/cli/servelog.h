/* What the serving commands (--serve, the main job) log: the effective settings at start,
 * each listener, reloads, the stop. Lines go to the structured log (util/log.h, the `log`
 * key) and, as before, as plain text to stderr -- except when the log itself is on stderr:
 * then only the log line is written, because a stderr nobody reads would block the plain
 * write (and with it SIGHUP and SIGTERM handling), while the log drops instead. */
#ifndef RECSYS_CLI_SERVELOG_H
#define RECSYS_CLI_SERVELOG_H

#include <stddef.h>

#include "conf/regions.h"
#include "util/log.h"

/* Opens the log named by c->log (one reference; "off" opens nothing) and logs a "config"
 * event with the effective settings (db: the database actually served). 0, or a negative
 * enum err_code with err. */
int servelog_open(const struct regions_conf *c, const char *db, char *err, size_t errlen);
/* Logs event (region NULL: process-wide) with field message=text, and prints
 * "<prog>: <text>" to stderr unless the log is on stderr. */
void servelog_note(enum log_level level, const char *prog, const char *event, const char *text);
/* Logs a "start" event for a region's listener. */
void servelog_listening(const char *region, const char *host, int port);
/* Closes the log (the reference servelog_open took): waits at most LOG_CLOSE_WAIT for a
 * stuck sink, so a stop never hangs on it. */
void servelog_close(void);

#endif
