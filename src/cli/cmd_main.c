/* The main job, `recsys-tui` with no command: make sure there is a database
 * (ingest real data when found, else generated sample data) and an active
 * model (train one), start every region in this process, then open the
 * dashboard; quitting it stops the servers. Without a terminal it serves
 * headless until SIGINT/SIGTERM, like --serve, and SIGHUP reloads the model
 * as it does for --serve. */
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

#include "cli/conffile.h"
#include "cli/exitcode.h"
#include "cli/opts.h"
#include "cli/servelog.h"
#include "cli/signals.h"
#include "ingest/ingest.h"
#include "ingest/sample.h"
#include "engine/modelstore.h"
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
    "hybrid recommender; then start every region of FILE (default ./regions.conf,\n"
    "else the installed one named below) in this process and open the dashboard.\n"
    "Quitting the dashboard stops the servers.\n"
    "Without a terminal it serves headless until SIGINT or SIGTERM; there SIGHUP\n"
    "reloads the active model (no request fails), as with --serve.\n"
    "--interval is the dashboard's poll interval, 0.05..3600 seconds (default 1).\n";

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

/* Names the temporary files of a killed earlier ingest that ingest_run removed. */
static void report_stale(const struct ingest_summary *s)
{
    if (s->stale_removed)
        fprintf(stderr,
                "recsys-tui: removed stale temporary file%s %s (left by an ingest that "
                "was killed)\n",
                s->stale_removed == 1 ? "" : "s", s->stale);
    if (s->stale_failed[0])
        fprintf(stderr, "recsys-tui: warning: cannot remove stale temporary file %s\n",
                s->stale_failed);
}

/* Builds the database when it is missing: real data when present, else a
 * deterministic sample generated into a temporary directory. */
static int ensure_database(const char *data_dir, const char *db_path, char *err, size_t errlen)
{
    if (file_exists(db_path))
        return 0;
    struct ingest_summary summary;
    /* SIGINT/SIGTERM stop the ingest at the next row, so it removes its
     * temporary file (cli/signals.h). */
    struct ingest_options opt = {
        .data_dir = data_dir, .db_path = db_path, .quiet = 0, .interrupt = signals_stop_flag()};
    if (data_dir && ingest_data_present(data_dir)) {
        fprintf(stderr, "recsys-tui: %s missing; ingesting the Olist data from %s\n", db_path,
                data_dir);
        int rc = ingest_run(&opt, &summary, err, errlen);
        report_stale(&summary);
        return rc;
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
        report_stale(&summary);
    }
    if (remove_flat_dir(tmpl) < 0)
        fprintf(stderr, "recsys-tui: warning: could not remove %s: %s\n", tmpl, strerror(errno));
    return rc;
}

static int ensure_model(const char *db_path, char *err, size_t errlen)
{
    int64_t version = 0;
    if (modelstore_active_version(db_path, &version) == 0 && version > 0)
        return 0;
    fprintf(stderr, "recsys-tui: no active model in %s; training the hybrid recommender\n",
            db_path);
    struct train_options opt = {.db_path = db_path, .algo = "hybrid"};
    return train_run(&opt, &version, err, errlen);
}

static int ops_stop(void *ctx, const char *region)
{
    return server_region_stop(ctx, region);
}
static int ops_start(void *ctx, const char *region)
{
    return server_region_start(ctx, region);
}

int cmd_main(int argc, char **argv)
{
    const char *data_dir = "../shared/olist", *db_path = NULL, *config = NULL;
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
        case 'i':
            if (opts_parse_interval(optarg, &interval) < 0) {
                fprintf(stderr, "recsys-tui: --interval must be between %g and %g seconds\n",
                        OPTS_INTERVAL_MIN, OPTS_INTERVAL_MAX);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(main_usage, stdout);
            printf("Installed regions file: %s\n", conffile_installed());
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
    if (conffile_load(config, &conf, NULL, 0, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui: %s\n", err);
        return EXIT_FAIL;
    }
    if (!db_path)
        db_path = conf.database;
    /* Headless, SIGHUP reloads the model as --serve does (caught from the
     * start, so one sent while building is not fatal); with the dashboard it
     * keeps its default (the terminal hung up). */
    int tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (signals_install(tty ? 0 : SIGNALS_HUP | SIGNALS_RESTART, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui: %s\n", err);
        return EXIT_FAIL;
    }
    signals_ignore_pipe(); /* a client that hangs up must not kill the servers */
    /* with model_store the regions serve the store's model: no database to build */
    if (!conf.model_store[0] && (ensure_database(data_dir, db_path, err, sizeof err) < 0 ||
                                 ensure_model(db_path, err, sizeof err) < 0)) {
        fprintf(stderr, "recsys-tui: %s\n", err);
        return signals_exit_status(EXIT_FAIL);
    }
    if (signals_stop_signal()) /* interrupted while training: do not start serving */
        return signals_exit_status(EXIT_FAIL);

    if (servelog_open(&conf, db_path, err, sizeof err) < 0) {
        fprintf(stderr, "recsys-tui: %s\n", err);
        return EXIT_FAIL;
    }
    struct server *srv = NULL;
    if (server_start(&conf, db_path, NULL, 0, &srv, err, sizeof err) < 0) {
        log_error(NULL, "error", "message=%s", err);
        fprintf(stderr, "recsys-tui: %s\n", err);
        servelog_close();
        return EXIT_FAIL;
    }
    /* Port 0 in regions.conf means "any free port": give the dashboard (and
     * the listening lines) the ports the regions really bound. */
    for (int i = 0; i < conf.n_regions; i++)
        conf.regions[i].port = server_port(srv, conf.regions[i].name);
    int rc = EXIT_OK;
    if (tty) {
        struct dashboard_ops ops = {.ctx = srv, .region_stop = ops_stop, .region_start = ops_start};
        struct dashboard_options dopt = {
            .conf = &conf, .interval_s = interval, .ops = &ops, .db_path = db_path};
        if (dashboard_run(&dopt, err, sizeof err) < 0) {
            fprintf(stderr, "recsys-tui: %s\n", err);
            rc = EXIT_FAIL;
        }
    } else {
        for (int i = 0; i < conf.n_regions; i++) {
            fprintf(stderr, "region %s listening on %s:%d\n", conf.regions[i].name,
                    conf.regions[i].host, conf.regions[i].port);
            servelog_listening(conf.regions[i].name, conf.regions[i].host, conf.regions[i].port);
        }
        fprintf(stderr, "recsys-tui: no terminal; serving headless until SIGINT/SIGTERM "
                        "(SIGHUP reloads the model)\n");
        while (!signals_stop_signal()) {
            if (signals_wait() != SIGHUP)
                continue;
            if (server_reload(srv, err, sizeof err) < 0)
                servelog_note(LOG_LEVEL_ERROR, "recsys-tui", "reload", err);
            else
                servelog_note(LOG_LEVEL_INFO, "recsys-tui", "reload", "model reloaded");
        }
    }
    log_info(NULL, "drain", NULL);
    server_stop(srv);
    log_info(NULL, "stop", "exit=%d", rc);
    servelog_close();
    return rc;
}
