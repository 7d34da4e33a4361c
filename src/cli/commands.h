/* Subcommand entry points. Each parses its own options, prints to
 * stdout/stderr and returns the process exit status:
 *   0 success, 1 the work failed (bad data, I/O, ...), 2 usage error. */
#ifndef RECSYS_CLI_COMMANDS_H
#define RECSYS_CLI_COMMANDS_H

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_ingest(int argc, char **argv);     /* src/cmd_ingest.c */
int cmd_gen_sample(int argc, char **argv); /* src/cmd_ingest.c */
int cmd_train(int argc, char **argv);      /* src/cmd_model.c */
int cmd_eval(int argc, char **argv);       /* src/cmd_model.c */
int cmd_recommend(int argc, char **argv);  /* src/cmd_model.c */
int cmd_models(int argc, char **argv);     /* src/cmd_model.c */
int cmd_serve(int argc, char **argv);      /* src/cmd_serve.c:  --serve */
int cmd_monitor(int argc, char **argv);    /* src/cmd_dashboard.c: --monitor */
int cmd_main(int argc, char **argv);       /* src/cmd_main.c: no subcommand */

#endif
