/* `recsys-tui --serve`: the region servers without the dashboard.
 * The main thread only waits for signals: SIGHUP reloads the active model,
 * SIGINT/SIGTERM drain and exit 0. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd_serve.h"

#include "cli/conffile.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "cli/servelog.h"
#include "cli/signals.h"
#include "conf/regions.h"
#include "net/server.h"
#include "util/error.h"

static const char serve_usage[] =
    "usage: recsys-tui --serve [--config FILE] [--region NAME ...] [--db PATH]\n"
    "\n"
    "Runs one HTTP server thread per region of FILE (default ./regions.conf, else the\n"
    "installed one named below), or only the regions named with --region\n"
    "(repeatable). --db overrides the database of the [global] section. Prints\n"
    "`region NAME listening on HOST:PORT` for each region once it accepts\n"
    "connections (port 0 in the file picks a free port).\n"
    "\n"
    "Regions on their own hosts sit behind HAProxy as the global router:\n"
    "`recsys-tui haproxy-config` writes its configuration from FILE.\n"
    "\n"
    "Signals: SIGHUP reloads the active model (no request fails), SIGINT/SIGTERM\n"
    "finish in-flight requests and exit 0. API: docs/API.md, GET /docs.\n"
    "Feedback: POST /api/v1/events (one event or {\"events\":[...]}, up to 1,000) answers\n"
    "202 once the events are in the database's events table (one writer thread, group\n"
    "commit; events_queue in FILE bounds its queue: 503 when full); purchases count at once\n"
    "in every region (the buyer known, the product not recommended again).\n"
    "The `log` key of FILE (stderr, off or a file) receives JSON lines: the settings,\n"
    "listeners, requests, reloads, errors and the stop; a stuck log drops lines.\n"
    "Exit status: 0 stopped by a signal, 1 failure to start, 2 usage error.\n";

struct serve_opts {
    const char *config, *db;
    const char *names[REGIONS_MAX];
    int n;
};

/* Parses the options into o. -1 when the command may go on, else the exit
 * status (--help: 0, a usage error: 2, with the message printed). */
static int serve_parse_args(int argc, char **argv, struct serve_opts *o)
{
    memset(o, 0, sizeof *o);
    o->config = NULL; /* conffile_load looks for it */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(serve_usage, stdout);
            printf("Installed regions file: %s\n", conffile_installed());
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            o->config = argv[++i];
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            o->db = argv[++i];
        } else if (!strcmp(argv[i], "--region") && i + 1 < argc) {
            if (o->n == REGIONS_MAX) {
                fprintf(stderr, "recsys-tui --serve: more than %d --region options\n", REGIONS_MAX);
                return EXIT_USAGE;
            }
            o->names[o->n++] = argv[++i];
        } else {
            fprintf(stderr, "recsys-tui --serve: unknown or incomplete option '%s'\n%s", argv[i],
                    serve_usage);
            return EXIT_USAGE;
        }
    }
    return -1;
}

int cmd_serve(int argc, char **argv)
{
    struct serve_opts opt;
    int st = serve_parse_args(argc, argv, &opt);
    if (st >= 0)
        return st;
    const char *db = opt.db;
    char config[1024]; /* the regions file used, for messages */
    const char *const *names = opt.names;
    int n = opt.n;
    struct regions_conf conf;
    char err[ERR_LEN];
    if (conffile_load(opt.config, &conf, config, sizeof config, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui --serve: %s\n", err);
        return EXIT_FAIL;
    }
    for (int i = 0; i < n; i++)
        if (!regions_find(&conf, names[i])) {
            fprintf(stderr, "recsys-tui --serve: no region '%s' in %s\n", names[i], config);
            return EXIT_USAGE;
        }
    /* Signals arrive through cli/signals.c's self-pipe rather than sigwait: a
     * handler runs in whatever thread the kernel picks (sanitizer runtimes
     * own threads that do not block signals), and only the pipe reaches this
     * thread. The region threads are created with every signal blocked. */
    if (signals_install(SIGNALS_HUP | SIGNALS_RESTART, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui --serve: %s\n", err);
        return EXIT_FAIL;
    }
    signals_ignore_pipe();
    if (servelog_open(&conf, db, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui --serve: %s\n", err);
        return EXIT_FAIL;
    }
    struct server *s = NULL;
    if (server_start(&conf, db, names, n, &s, err, sizeof err) < 0) {
        log_error(NULL, "error", "message=%s", err);
        fprintf(stderr, "recsys-tui --serve: %s\n", err);
        servelog_close();
        return EXIT_FAIL;
    }
    /* the listening lines are the interface scripts wait for: always printed (once, at
     * start, before any request could fill a stderr pipe) */
    for (int i = 0; s && i < conf.n_regions; i++) {
        int port = server_port(s, conf.regions[i].name);
        if (port >= 0) {
            fprintf(stderr, "region %s listening on %s:%d\n", conf.regions[i].name,
                    conf.regions[i].host, port);
            servelog_listening(conf.regions[i].name, conf.regions[i].host, port);
        }
    }
    fflush(stderr);
    for (;;) {
        int sig = signals_wait();
        if (sig == SIGHUP) {
            if (!s)
                continue;
            if (server_reload(s, err, sizeof err) < 0)
                servelog_note(LOG_LEVEL_ERROR, "recsys-tui --serve", "reload", err);
            else
                servelog_note(LOG_LEVEL_INFO, "recsys-tui --serve", "reload", "model reloaded");
            continue;
        }
        servelog_note(LOG_LEVEL_INFO, "recsys-tui --serve", "drain",
                      sig == SIGINT ? "SIGINT, draining" : "SIGTERM, draining");
        server_stop(s);
        servelog_note(LOG_LEVEL_INFO, "recsys-tui --serve", "stop", "stopped");
        servelog_close();
        return EXIT_OK;
    }
}
