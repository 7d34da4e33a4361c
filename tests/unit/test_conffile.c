/* cli/conffile.c: which regions file the commands read, and the error that
 * names every path tried. Runs in a fresh temporary directory. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/conffile.h"
#include "test.h"
#include "util/error.h"

static char dir[] = "/tmp/recsys-conffile.XXXXXX";

static void touch(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_installed_path(void)
{
    const char *p = conffile_installed();
    CHECK(p[0] == '/');
    const char *tail = "/recsys-tui/regions.conf";
    CHECK(strlen(p) > strlen(tail) && !strcmp(p + strlen(p) - strlen(tail), tail));
}

static void test_pick(void)
{
    char a[256], b[256], c[256], out[256], err[512];
    snprintf(a, sizeof a, "%s/a.conf", dir);
    snprintf(b, sizeof b, "%s/b.conf", dir);
    snprintf(c, sizeof c, "%s/c.conf", dir);
    const char *paths[] = {a, b, c};
    /* none exists: ERR_NOT_FOUND naming each path, in order */
    CHECK_INT(conffile_pick(NULL, paths, 3, out, sizeof out, err, sizeof err), ERR_NOT_FOUND);
    const char *pa = strstr(err, a), *pb = strstr(err, b), *pc = strstr(err, c);
    CHECK(pa && pb && pc && pa < pb && pb < pc);
    CHECK(strstr(err, "--config") != NULL);
    /* the first that exists wins */
    touch("c.conf", "");
    CHECK_INT(conffile_pick(NULL, paths, 3, out, sizeof out, err, sizeof err), 0);
    CHECK_STR(out, c);
    touch("b.conf", "");
    CHECK_INT(conffile_pick(NULL, paths, 3, out, sizeof out, err, sizeof err), 0);
    CHECK_STR(out, b);
    /* an explicit --config is taken as it is, even when it does not exist */
    CHECK_INT(conffile_pick(a, paths, 3, out, sizeof out, err, sizeof err), 0);
    CHECK_STR(out, a);
    /* a relative name is shown as ./NAME in the list */
    const char *rel[] = {"no-such-regions.conf"};
    CHECK_INT(conffile_pick(NULL, rel, 1, out, sizeof out, err, sizeof err), ERR_NOT_FOUND);
    CHECK(strstr(err, "tried ./no-such-regions.conf") != NULL);
}

static void test_load(void)
{
    struct regions_conf conf;
    char used[256], err[512];
    /* no ./regions.conf here: the error lists it and the installed path (which a
     * test machine may have: then it is what gets loaded) */
    int rc = conffile_load(NULL, &conf, used, sizeof used, err, sizeof err);
    struct stat st;
    if (stat(conffile_installed(), &st) != 0) {
        CHECK_INT(rc, ERR_NOT_FOUND);
        CHECK(strstr(err, "./regions.conf") != NULL);
        CHECK(strstr(err, conffile_installed()) != NULL);
    }
    touch("regions.conf", "[region here]\nport = 8123\n");
    CHECK_INT(conffile_load(NULL, &conf, used, sizeof used, err, sizeof err), 0);
    CHECK_STR(used, "regions.conf");
    CHECK_INT(conf.n_regions, 1);
    CHECK_STR(conf.regions[0].name, "here");
    /* --config naming a missing file: regions_load's error names it */
    CHECK(conffile_load("missing.conf", &conf, used, sizeof used, err, sizeof err) < 0);
    CHECK(strstr(err, "missing.conf") != NULL);
}

int main(void)
{
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        printf("not ok - temporary directory\n");
        return 1;
    }
    RUN(test_installed_path);
    RUN(test_pick);
    RUN(test_load);
    const char *names[] = {"a.conf", "b.conf", "c.conf", "regions.conf"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    if (chdir("/") == 0)
        rmdir(dir);
    return TEST_SUMMARY();
}
