/* `recsys-tui models`: list, activate or roll back the stored model versions. */
#ifndef RECSYS_CLI_CMD_MODELS_H
#define RECSYS_CLI_CMD_MODELS_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_models(int argc, char **argv);

#endif
