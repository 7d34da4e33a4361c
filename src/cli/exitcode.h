/* Process exit status of every command: 0 success, 1 the work failed (bad
 * data, I/O, ...), 2 usage error. A command stopped by a signal exits
 * 128 + the signal (see cli/signals.h), as a shell reports it. */
#ifndef RECSYS_CLI_EXITCODE_H
#define RECSYS_CLI_EXITCODE_H

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#endif
