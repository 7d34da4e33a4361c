/* `recsys-tui eval`: evaluate recommenders on a temporal split and print the metrics. */
#ifndef RECSYS_CLI_CMD_EVAL_H
#define RECSYS_CLI_CMD_EVAL_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_eval(int argc, char **argv);

#endif
