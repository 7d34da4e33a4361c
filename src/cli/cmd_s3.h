/* `recsys-tui s3 put|get|ls|rm`: an operator's check of S3 store credentials
 * and reachability, through the same client the model store uses. */
#ifndef RECSYS_CLI_CMD_S3_H
#define RECSYS_CLI_CMD_S3_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_s3(int argc, char **argv);

#endif
