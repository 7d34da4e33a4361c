/* `recsys-tui --serve`: the region servers and router without the dashboard. */
#ifndef RECSYS_CLI_CMD_SERVE_H
#define RECSYS_CLI_CMD_SERVE_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_serve(int argc, char **argv);

#endif
