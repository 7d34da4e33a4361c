/* `recsys-tui retrain`: one scheduled-retraining cycle from the command line. */
#ifndef RECSYS_CLI_CMD_RETRAIN_H
#define RECSYS_CLI_CMD_RETRAIN_H

int cmd_retrain(int argc, char **argv);

#endif
