/* store/modelcache (the last good artifact on local disk: default directory,
 * commit, load with its checks) and the regions.conf keys that turn a
 * region into a store follower. No network. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/regions.h"
#include "store/modelcache.h"
#include "store/modelrepo.h"
#include "test.h"
#include "util/error.h"

static char base[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_default_dir(void)
{
    char d[256], err[256];
    setenv("CACHE_DIRECTORY", "/var/cache/recsys-tui:/other", 1);
    CHECK_INT(modelcache_default_dir(d, sizeof d, err, sizeof err), 0);
    CHECK_STR(d, "/var/cache/recsys-tui"); /* systemd's first entry */
    unsetenv("CACHE_DIRECTORY");
    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    CHECK_INT(modelcache_default_dir(d, sizeof d, err, sizeof err), 0);
    CHECK_STR(d, "/x/cache/recsys-tui");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/u", 1);
    CHECK_INT(modelcache_default_dir(d, sizeof d, err, sizeof err), 0);
    CHECK_STR(d, "/home/u/.cache/recsys-tui");
    unsetenv("HOME");
    CHECK_INT(modelcache_default_dir(d, sizeof d, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "store_cache") != NULL);
}

static void test_commit_and_load(void)
{
    struct s3_location loc = {.bucket = "recs", .prefix = "shop/eu"};
    struct modelcache c;
    struct manifest m = {.format = MANIFEST_FORMAT, .version = 4, .n_parts = 1}, got;
    char err[512];
    CHECK_INT(modelcache_open(base, &loc, &c, err, sizeof err), 0);
    char want[128];
    snprintf(want, sizeof want, "%s/s3/recs/shop/eu/artifact.db", base);
    CHECK_STR(c.artifact, want);
    CHECK_INT(modelcache_load(&c, &got, err, sizeof err), ERR_NOT_FOUND);
    snprintf(m.algorithm, sizeof m.algorithm, "itemcf");
    snprintf(m.parts[0].name, sizeof m.parts[0].name, MANIFEST_ARTIFACT);
    write_file(c.tmp, "an artifact's bytes");
    CHECK_INT(modelrepo_file_sha256(c.tmp, m.parts[0].sha256, &m.parts[0].size, err, sizeof err),
              0);
    CHECK(m.parts[0].size == 19);
    CHECK_INT(modelcache_commit(&c, &m, err, sizeof err), 0);
    CHECK(access(c.tmp, F_OK) != 0); /* moved into place */
    CHECK_INT(modelcache_load(&c, &got, err, sizeof err), 0);
    CHECK_INT(got.version, 4);
    CHECK_STR(got.algorithm, "itemcf");
    manifest_free(&got);
    /* a changed byte on disk is caught before anything serves it */
    write_file(c.artifact, "an artifact's bytez");
    CHECK_INT(modelcache_load(&c, &got, err, sizeof err), ERR_CORRUPT);
    CHECK(strstr(err, c.artifact) != NULL);
    write_file(c.manifest, "{\"format\": 9}");
    CHECK_INT(modelcache_load(&c, &got, err, sizeof err), ERR_CORRUPT);
    /* an uncreatable directory is named */
    write_file("/tmp/recsys-test-cache-file", "x");
    CHECK(modelcache_open("/tmp/recsys-test-cache-file", &loc, &c, err, sizeof err) < 0);
    CHECK(strstr(err, "/tmp/recsys-test-cache-file/s3/recs/shop/eu") != NULL);
    unlink("/tmp/recsys-test-cache-file");
}

static void test_conf_keys(void)
{
    struct regions_conf c;
    char err[512];
    const char *ok = "[global]\nmodel_store = s3://recs/shop\nstore_poll = 3\n"
                     "store_cache = /var/cache/r\n[region a]\nport = 1\n";
    CHECK_INT(regions_parse("t.conf", ok, strlen(ok), &c, err, sizeof err), 0);
    CHECK_STR(c.model_store, "s3://recs/shop");
    CHECK_INT(c.store_poll, 3);
    CHECK_STR(c.store_cache, "/var/cache/r");
    const char *none = "[region a]\nport = 1\n";
    CHECK_INT(regions_parse("t.conf", none, strlen(none), &c, err, sizeof err), 0);
    CHECK_STR(c.model_store, "");
    CHECK_INT(c.store_poll, 10);
    const char *bad = "[global]\nmodel_store = http://x/y\n[region a]\nport = 1\n";
    CHECK(regions_parse("t.conf", bad, strlen(bad), &c, err, sizeof err) < 0);
    CHECK(strstr(err, "t.conf:2") && strstr(err, "model_store"));
    const char *zero = "[global]\nstore_poll = 0\n[region a]\nport = 1\n";
    CHECK(regions_parse("t.conf", zero, strlen(zero), &c, err, sizeof err) < 0);
    CHECK(strstr(err, "store_poll") != NULL);
}

int main(void)
{
    snprintf(base, sizeof base, "/tmp/recsys-test-cache.XXXXXX");
    if (!mkdtemp(base))
        return 1;
    RUN(test_default_dir);
    RUN(test_commit_and_load);
    RUN(test_conf_keys);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", base);
    return TEST_SUMMARY();
}
