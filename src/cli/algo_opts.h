/* The algorithm options shared by `train` and `eval` (--neighbours,
 * --factors, ...), parsed into struct algo_params. */
#ifndef RECSYS_CLI_ALGO_OPTS_H
#define RECSYS_CLI_ALGO_OPTS_H

#include "engine/train.h" /* struct algo_params, as train_options uses it */

/* Consume argv[*i] (and its value, advancing *i) when it is an algorithm
 * option. Return 1 when consumed, 0 when argv[*i] is not one, -1 when its
 * value is missing or out of range (p is then partly unchanged). */
int algo_opts_parse(int argc, char **argv, int *i, struct algo_params *p);

/* The "Algorithm options:" paragraph of the --help texts. */
const char *algo_opts_help(void);

#endif
