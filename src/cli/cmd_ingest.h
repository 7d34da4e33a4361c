/* `recsys-tui ingest`: load the Olist CSVs into SQLite. */
#ifndef RECSYS_CLI_CMD_INGEST_H
#define RECSYS_CLI_CMD_INGEST_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_ingest(int argc, char **argv);

#endif
