/* The main job, `recsys-tui` with no command: make sure there is a database
 * (ingest real data when found, else generated sample data) and an active
 * model (train one), start every region in this process, then open the
 * dashboard; quitting it stops the servers. Without a terminal it serves
 * headless until SIGINT/SIGTERM, like --serve. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd_main.h"

#include "cli/exitcode.h"
#include "ingest/ingest.h"
#include "ingest/sample.h"
#include "engine/train.h"
#include "conf/regions.h"
#include "net/server.h"
#include "tui/dashboard.h"
#include "util/error.h"

#define SAMPLE_CUSTOMERS 20000
#define SAMPLE_SEED      42

static const char main_usage[] =
    "usage: recsys-tui [--data DIR] [--db PATH] [--config FILE] [--interval SECONDS]\n"
    "\n"
    "The main job. When PATH (default: the database named in regions.conf, olist.db)\n"
    "is missing, ingest the Olist CSVs from DIR (default ../shared/olist) or, when DIR\n"
    "has no Olist files, generated sample data; when no model is active, train the\n"
    "hybrid recommender; then start every region of FILE (default ./regions.conf) in\n"
    "this process and open the dashboard. Quitting the dashboard stops the servers.\n"
    "Without a terminal it serves headless until SIGINT or SIGTERM.\n";

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Removes a directory that holds only files (the generated sample). */
static int remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *ent;
    char path[PATH_MAX];
    while ((ent = readdir(d)) != NULL) {
        if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(dir);
}

/* Builds the database when it is missing: real data when present, else a
 * deterministic sample generated into a temporary directory. */
static int ensure_database(const char *data_dir, const char *db_path, char *err, size_t errlen)
{
    if (file_exists(db_path))
        return 0;
    struct ingest_summary summary;
    struct ingest_options opt = {.data_dir = data_dir, .db_path = db_path, .quiet = 0};
    if (data_dir && ingest_data_present(data_dir)) {
        fprintf(stderr, "recsys-tui: %s missing; ingesting the Olist data from %s\n", db_path,
                data_dir);
        return ingest_run(&opt, &summary, err, errlen);
    }
    char tmpl[] = "/tmp/recsys-sample.XXXXXX";
    if (!mkdtemp(tmpl))
        return err_set(err, errlen, "cannot create a temporary directory: %s", strerror(errno));
    fprintf(stderr,
            "recsys-tui: no Olist data in %s; generating sample data (%d customers, seed %d)\n",
            data_dir ? data_dir : "(none)", SAMPLE_CUSTOMERS, SAMPLE_SEED);
    int rc = sample_generate(tmpl, SAMPLE_CUSTOMERS, SAMPLE_SEED, err, errlen);
    if (rc == 0) {
        opt.data_dir = tmpl;
        rc = ingest_run(&opt, &summary, err, errlen);
    }
    if (remove_flat_dir(tmpl) < 0)
        fprintf(stderr, "recsys-tui: warning: could not remove %s: %s\n", tmpl, strerror(errno));
    return rc;
}

static int ensure_model(const char *db_path, char *err, size_t errlen)
{
    int64_t version = 0;
    if (models_active_version(db_path, &version) == 0 && version > 0)
        return 0;
    fprintf(stderr, "recsys-tui: no active model in %s; training the hybrid recommender\n",
            db_path);
    struct train_options opt = {.db_path = db_path, .algo = "hybrid"};
    return train_run(&opt, &version, err, errlen);
}

/* While the database is built, SIGINT/SIGTERM ask the ingest to stop at the
 * next row so it removes its temporary file (the handler only sets a flag). */
static volatile sig_atomic_t stop_requested;
static void on_stop_signal(int sig)
{
    stop_requested = sig; /* the signal number: the exit code is 128 + it */
    ingest_interrupt();
}

static void catch_stop_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int ops_stop(void *ctx, const char *region)
{
    return server_region_stop(ctx, region);
}
static int ops_start(void *ctx, const char *region)
{
    return server_region_start(ctx, region);
}

/* Headless: serve until SIGINT/SIGTERM (the handlers are already set).
 * The signals stay blocked between the test and the wait, so one that
 * arrives in between is not lost. */
static void wait_for_stop_signal(void)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    while (!stop_requested)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int cmd_main(int argc, char **argv)
{
    const char *data_dir = "../shared/olist", *db_path = NULL, *config = "regions.conf";
    double interval = 1.0;
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},   {"db", required_argument, NULL, 'b'},
        {"config", required_argument, NULL, 'c'}, {"interval", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data_dir = optarg;
            break;
        case 'b':
            db_path = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'i': {
            char *end;
            interval = strtod(optarg, &end);
            if (end == optarg || *end || interval < 0.05 || interval > 60) {
                fprintf(stderr, "recsys-tui: --interval must be between 0.05 and 60 seconds\n");
                return EXIT_USAGE;
            }
            break;
        }
        case 'h':
            fputs(main_usage, stdout);
            return EXIT_OK;
        default:
            fputs(main_usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "recsys-tui: unexpected argument '%s'\n%s", argv[optind], main_usage);
        return EXIT_USAGE;
    }

    char err[ERR_LEN] = "";
    struct regions_conf conf;
    if (regions_load(config, &conf, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui: %s\n", err);
        return EXIT_FAIL;
    }
    if (!db_path)
        db_path = conf.database;
    catch_stop_signals();
    signal(SIGPIPE, SIG_IGN); /* a client that hangs up must not kill the servers */
    if (ensure_database(data_dir, db_path, err, sizeof err) < 0 ||
        ensure_model(db_path, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui: %s\n", err);
        return stop_requested ? 128 + stop_requested : EXIT_FAIL;
    }
    if (stop_requested) /* interrupted while training: do not start serving */
        return 128 + stop_requested;

    struct server *srv = NULL;
    if (server_start(&conf, db_path, NULL, 0, &srv, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui: %s\n", err);
        return EXIT_FAIL;
    }
    /* Port 0 in regions.conf means "any free port": give the dashboard (and
     * the listening lines) the ports the regions really bound. */
    for (int i = 0; i < conf.n_regions; i++)
        conf.regions[i].port = server_port(srv, conf.regions[i].name);
    int rc = EXIT_OK;
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
        struct dashboard_ops ops = {.ctx = srv, .region_stop = ops_stop, .region_start = ops_start};
        struct dashboard_options dopt = {
            .conf = &conf, .interval_s = interval, .ops = &ops, .db_path = db_path};
        if (dashboard_run(&dopt, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui: %s\n", err);
            rc = EXIT_FAIL;
        }
    } else {
        for (int i = 0; i < conf.n_regions; i++)
            fprintf(stderr, "region %s listening on %s:%d\n", conf.regions[i].name,
                    conf.regions[i].host, conf.regions[i].port);
        fprintf(stderr, "recsys-tui: no terminal; serving headless until SIGINT/SIGTERM\n");
        wait_for_stop_signal();
    }
    server_stop(srv);
    return rc;
}
