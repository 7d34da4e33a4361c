/* `recsys-tui --monitor`: the dashboard alone, against regions already running. */
#ifndef RECSYS_CLI_CMD_MONITOR_H
#define RECSYS_CLI_CMD_MONITOR_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_monitor(int argc, char **argv);

#endif
