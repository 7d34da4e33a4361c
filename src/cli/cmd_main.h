/* The main job, `recsys-tui` with no command: ingest, train, serve, dashboard. */
#ifndef RECSYS_CLI_CMD_MAIN_H
#define RECSYS_CLI_CMD_MAIN_H

/* argv[0] is the program name (options start at argv[1]); returns the process exit status
 * (cli/exitcode.h). */
int cmd_main(int argc, char **argv);

#endif
