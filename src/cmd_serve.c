/* Placeholder until the module lands; replaced by its owner. */
#include <stdio.h>
#include "commands.h"
int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "recsys-tui: cmd_serve is not built yet\n");
    return EXIT_FAIL;
}
