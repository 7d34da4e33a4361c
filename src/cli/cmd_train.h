/* `recsys-tui train`: train a recommender and store it as a new, active model version. */
#ifndef RECSYS_CLI_CMD_TRAIN_H
#define RECSYS_CLI_CMD_TRAIN_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_train(int argc, char **argv);

#endif
