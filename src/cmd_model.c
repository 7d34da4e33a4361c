/* Placeholder until the module lands; replaced by its owner. */
#include <stdio.h>
#include "commands.h"
int cmd_train(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "recsys-tui: cmd_train is not built yet\n");
    return EXIT_FAIL;
}
int cmd_eval(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "recsys-tui: cmd_eval is not built yet\n");
    return EXIT_FAIL;
}
int cmd_recommend(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "recsys-tui: cmd_recommend is not built yet\n");
    return EXIT_FAIL;
}
int cmd_models(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "recsys-tui: cmd_models is not built yet\n");
    return EXIT_FAIL;
}
