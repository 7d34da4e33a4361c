/* Stop signals for the commands, one mechanism for all of them: SIGINT and
 * SIGTERM (and SIGHUP when asked) go to one handler that records a stop
 * signal in an atomic flag and writes every caught signal's number to a
 * self-pipe. Long work polls the flag (ingest gives up between rows: see
 * ingest_options.interrupt); a waiting main thread reads the pipe, which
 * works whichever thread the kernel ran the handler on. A command stopped
 * this way exits 128 + the signal, as a shell reports it (130, 143). */
#ifndef RECSYS_CLI_SIGNALS_H
#define RECSYS_CLI_SIGNALS_H

#include <stdatomic.h>
#include <stddef.h>

enum signals_flags {
    SIGNALS_HUP = 1,     /* catch SIGHUP too (reload); it does not raise the stop flag */
    SIGNALS_ONESHOT = 2, /* SA_RESETHAND: a second Ctrl-C kills at once */
    SIGNALS_RESTART = 4, /* SA_RESTART: interrupted system calls resume */
};

/* Catches SIGINT and SIGTERM (plus SIGHUP with SIGNALS_HUP) and clears the
 * stop flag. Returns 0, or -1 with err when the self-pipe cannot be made. */
int signals_install(int flags, char *err, size_t errlen);

/* Gives SIGINT, SIGTERM (and a caught SIGHUP) their default action back and closes the
 * self-pipe. The stop flag keeps its value. */
void signals_restore(void);

/* Ignores SIGPIPE: a client that hangs up must not kill a server. */
void signals_ignore_pipe(void);

/* The flag the handler sets to the stop signal's number (0: none yet), for
 * work that polls it from any thread. Never NULL. */
const atomic_int *signals_stop_flag(void);

/* The stop signal caught so far (SIGINT or SIGTERM), or 0. */
int signals_stop_signal(void);

/* 128 + the stop signal when one was caught, else `otherwise`. */
int signals_exit_status(int otherwise);

/* Blocks until a caught signal arrives and returns its number; signals that
 * arrived earlier are returned first, none is lost. -1 when
 * signals_install has not run. */
int signals_wait(void);

#endif
