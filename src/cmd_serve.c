/* `recsys-tui --serve`: the region servers without the dashboard.
 * The main thread only waits for signals: SIGHUP reloads the active model,
 * SIGINT/SIGTERM drain and exit 0. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "net/regions.h"
#include "net/server.h"
#include "util/error.h"

static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t r = write(sig_pipe[1], &b, 1); /* full pipe: a signal is pending anyway */
    (void)r;
    errno = saved;
}

static const char serve_usage[] =
    "usage: recsys-tui --serve [--config FILE] [--region NAME ...] [--db PATH]\n"
    "\n"
    "Runs one HTTP server thread per region of FILE (default regions.conf), or only\n"
    "the regions named with --region (repeatable). --db overrides the database of\n"
    "the [global] section. Prints `region NAME listening on HOST:PORT` for each region\n"
    "once it accepts connections (port 0 in the file picks a free port).\n"
    "\n"
    "Signals: SIGHUP reloads the active model (no request fails), SIGINT/SIGTERM\n"
    "finish in-flight requests and exit 0. API: docs/API.md, GET /docs.\n"
    "Exit status: 0 stopped by a signal, 1 failure to start, 2 usage error.\n";

int cmd_serve(int argc, char **argv)
{
    const char *config = "regions.conf", *db = NULL;
    const char *names[REGIONS_MAX];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(serve_usage, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
            config = argv[++i];
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "--region") && i + 1 < argc) {
            if (n == REGIONS_MAX) {
                fprintf(stderr, "recsys-tui --serve: more than %d --region options\n",
                        REGIONS_MAX);
                return EXIT_USAGE;
            }
            names[n++] = argv[++i];
        } else {
            fprintf(stderr, "recsys-tui --serve: unknown or incomplete option '%s'\n%s", argv[i],
                    serve_usage);
            return EXIT_USAGE;
        }
    }
    struct regions_conf conf;
    char err[ERR_LEN];
    if (regions_load(config, &conf, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui --serve: %s\n", err);
        return EXIT_FAIL;
    }
    for (int i = 0; i < n; i++)
        if (!regions_find(&conf, names[i])) {
            fprintf(stderr, "recsys-tui --serve: no region '%s' in %s\n", names[i], config);
            return EXIT_USAGE;
        }
    /* Signals arrive through a self-pipe rather than sigwait: a handler runs
     * in whatever thread the kernel picks (sanitizer runtimes own threads that
     * do not block signals), and only the pipe reaches this thread. The
     * region threads are created with every signal blocked. */
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        fprintf(stderr, "recsys-tui --serve: pipe: %s\n", strerror(errno));
        return EXIT_FAIL;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct server *s;
    if (server_start(&conf, db, names, n, &s, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui --serve: %s\n", err);
        return EXIT_FAIL;
    }
    if (conf.router_port)
        fprintf(stderr, "recsys-tui --serve: router_port is not implemented yet; send "
                        "Region-Hint to any region instead\n");
    for (int i = 0; i < conf.n_regions; i++) {
        int port = server_port(s, conf.regions[i].name);
        if (port >= 0)
            fprintf(stderr, "region %s listening on %s:%d\n", conf.regions[i].name,
                    conf.regions[i].host, port);
    }
    fflush(stderr);
    for (;;) {
        unsigned char sig = 0;
        struct pollfd pfd = {.fd = sig_pipe[0], .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0 || read(sig_pipe[0], &sig, 1) != 1)
            continue;
        if (sig == SIGHUP) {
            if (server_reload(s, err, sizeof err) < 0)
                fprintf(stderr, "recsys-tui --serve: %s\n", err);
            else
                fprintf(stderr, "recsys-tui --serve: model reloaded\n");
            continue;
        }
        fprintf(stderr, "recsys-tui --serve: %s, draining\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
        server_stop(s);
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        fprintf(stderr, "recsys-tui --serve: stopped\n");
        return EXIT_OK;
    }
}
