/* `recsys-tui gen-sample`: write deterministic Olist-shaped sample CSVs. */
#ifndef RECSYS_CLI_CMD_GEN_SAMPLE_H
#define RECSYS_CLI_CMD_GEN_SAMPLE_H

/* argv[0] is the command name; returns the process exit status (cli/exitcode.h). */
int cmd_gen_sample(int argc, char **argv);

#endif
