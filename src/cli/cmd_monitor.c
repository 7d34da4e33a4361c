/* `recsys-tui --monitor`: the dashboard alone, watching regions that are
 * already running (possibly on other hosts); starts no server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_monitor.h"

#include "cli/conffile.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "conf/regions.h"
#include "tui/dashboard.h"
#include "util/error.h"

static const char monitor_usage[] =
    "usage: recsys-tui --monitor [--config FILE] [--interval SECONDS]\n"
    "\n"
    "Opens the dashboard against regions that are already running (their URLs\n"
    "come from the config file); starts no server. Fault injection keys are\n"
    "disabled in this mode.\n"
    "\n"
    "  --config FILE       regions file (default: ./regions.conf, else the installed\n"
    "                      one named below)\n"
    "  --interval SECONDS  poll interval, 0.05..3600 (default: 1)\n"
    "  --help              this text\n"
    "\n"
    "Keys: 1-5/Tab views (5: A/B experiments), ? help, q quit. Environment: NO_COLOR\n"
    "disables colour,\n"
    "RECSYS_TUI_GLYPHS=braille|block|ascii picks the chart glyphs.\n";

int cmd_monitor(int argc, char **argv)
{
    const char *config = NULL; /* NULL: conffile_load looks it up */
    double interval = 1.0;
    char err[ERR_LEN];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(monitor_usage, stdout);
            printf("Installed regions file: %s\n", conffile_installed());
            return EXIT_OK;
        } else if (!strcmp(a, "--config") && i + 1 < argc) {
            config = argv[++i];
        } else if (!strcmp(a, "--interval") && i + 1 < argc) {
            if (opts_parse_interval(argv[++i], &interval) < 0) {
                fprintf(stderr,
                        "recsys-tui --monitor: --interval '%s' is not a number of seconds in "
                        "%g..%g\n",
                        argv[i], OPTS_INTERVAL_MIN, OPTS_INTERVAL_MAX);
                return EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "recsys-tui --monitor: unknown or incomplete option '%s'\n%s", a,
                    monitor_usage);
            return EXIT_USAGE;
        }
    }
    static struct regions_conf conf;
    if (conffile_load(config, &conf, NULL, 0, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui --monitor: %s\n", err);
        return EXIT_FAIL;
    }
    struct dashboard_options o = {
        .conf = &conf, .interval_s = interval, .ops = NULL, .db_path = NULL};
    if (dashboard_run(&o, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui --monitor: %s\n", err);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}
