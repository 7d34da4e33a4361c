/* `recsys-tui recommend`: top-N products for one user from the active model. */
#ifndef RECSYS_CLI_CMD_RECOMMEND_H
#define RECSYS_CLI_CMD_RECOMMEND_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_recommend(int argc, char **argv);

#endif
