/* Placeholder until the module lands; replaced by its owner. */
#include <stdio.h>
#include "commands.h"
int cmd_ingest(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "recsys-tui: cmd_ingest is not built yet\n");
    return EXIT_FAIL;
}
int cmd_gen_sample(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "recsys-tui: cmd_gen_sample is not built yet\n");
    return EXIT_FAIL;
}
