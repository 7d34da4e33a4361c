/* `recsys-tui tune`: the default configuration chosen on validation cutoffs. */
#ifndef RECSYS_CLI_CMD_TUNE_H
#define RECSYS_CLI_CMD_TUNE_H

#include <stdio.h>

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_tune(int argc, char **argv);

/* Prints a tuning report (tune_result_json text) as the validation table,
 * the chosen parameters and why, to f. -1 when it is not such a report.
 * Shared with `models show`. */
int cmd_tune_print_report(FILE *f, const char *report);

#endif
