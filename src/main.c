/* recsys-tui: the command table. Each command lives in src/cli/cmd_<name>.c;
 * this file only prints the usage, looks the command up and runs it. */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/cmd_eval.h"
#include "cli/cmd_gen_sample.h"
#include "cli/cmd_haproxy.h"
#include "cli/cmd_ingest.h"
#include "cli/cmd_main.h"
#include "cli/cmd_models.h"
#include "cli/cmd_monitor.h"
#include "cli/cmd_recommend.h"
#include "cli/cmd_retrain.h"
#include "cli/cmd_s3.h"
#include "cli/cmd_simulate.h"
#include "cli/cmd_serve.h"
#include "cli/cmd_train.h"
#include "cli/cmd_tune.h"
#include "cli/conffile.h"
#include "cli/exitcode.h"

#define RECSYS_VERSION "0.1.0"

static const char usage[] =
    "usage: recsys-tui [--data DIR] [--db PATH] [--config FILE]\n"
    "       recsys-tui --serve [--config FILE] [--region NAME ...]\n"
    "       recsys-tui --monitor [--config FILE]\n"
    "       recsys-tui COMMAND [options]\n"
    "\n"
    "With no command: ingest when olist.db is missing (real data from --data, else\n"
    "generated sample data), train when no model is active, start the four region\n"
    "servers and open the dashboard.\n"
    "\n"
    "Commands:\n"
    "  ingest      load the Olist CSVs into SQLite (atomic, cleaned)\n"
    "  gen-sample  write deterministic Olist-shaped sample CSVs\n"
    "  train       train a recommender and store it as a new model version\n"
    "  tune        choose the default configuration on validation cutoffs\n"
    "  eval        evaluate recommenders on a temporal split (--rolling monthly, --paired)\n"
    "  recommend   top-N products for one user\n"
    "  models      list, show, activate, roll back, prune or publish model versions\n"
    "  haproxy-config  write an haproxy.cfg (HAProxy as the global router)\n"
    "  s3          put/get/ls/rm one S3 object: check store credentials and reachability\n"
    "  simulate    replay the real orders after a date against running regions\n"
    "  retrain     one cycle of the scheduled retraining: train, compare, activate\n"
    "\n"
    "  --serve     headless: run the region HTTP servers from regions.conf\n"
    "  --monitor   dashboard only, against regions already running\n"
    "  --help      this text; `recsys-tui COMMAND --help` for a command\n"
    "  --version   print the version\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error. See recsys-tui(1).\n";

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"ingest", cmd_ingest},   {"gen-sample", cmd_gen_sample}, {"train", cmd_train},
    {"eval", cmd_eval},       {"recommend", cmd_recommend},   {"models", cmd_models},
    {"--serve", cmd_serve},   {"serve", cmd_serve},           {"--monitor", cmd_monitor},
    {"monitor", cmd_monitor}, {"haproxy-config", cmd_haproxy},
    {"s3", cmd_s3}, {"simulate", cmd_simulate}, {"retrain", cmd_retrain},
    {"tune", cmd_tune},
};

int main(int argc, char **argv)
{
    /* Once, before any thread starts: the S3 store and the dashboard's poller use curl. */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc >= 2 &&
        (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        fputs(usage, stdout);
        printf("Regions file: --config FILE, else ./regions.conf, else %s\n",
               conffile_installed());
        return EXIT_OK;
    }
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("recsys-tui %s\n", RECSYS_VERSION);
        return EXIT_OK;
    }
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (!strcmp(argv[1], commands[i].name))
                return commands[i].run(argc - 1, argv + 1);
        if (argv[1][0] != '-') {
            fprintf(stderr, "recsys-tui: unknown command '%s'\n%s", argv[1], usage);
            return EXIT_USAGE;
        }
    }
    /* No command (only global options): the main job. argv[0] stays the
     * program name so cmd_main parses the options from argv[1]. */
    return cmd_main(argc, argv);
}
