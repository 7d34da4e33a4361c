/* `recsys-tui simulate`: replay the real orders after a date against the
 * running regions over HTTP (recommendations, click and purchase events). */
#ifndef RECSYS_CLI_CMD_SIMULATE_H
#define RECSYS_CLI_CMD_SIMULATE_H

int cmd_simulate(int argc, char **argv);

#endif
