/* net/modelsnap.c: the models list copy the loops serve instead of a trip
 * through the bio thread is served only while the database is unchanged:
 * after a write by any connection (another process's train or activate), or
 * a replaced file, it is refused until the bio thread refreshes it; the
 * bytes are those render_models prints; in WAL mode too. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/modelstore.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "net/modelsnap.h"
#include "net/render.h"
#include "util/sbuf.h"
#include "test.h"

static void train(const char *algo)
{
    char err[512];
    int64_t v = 0;
    struct train_options o = {.db_path = db_path, .algo = algo, .quiet = 1};
    CHECK_INT(train_run(&o, &v, err, sizeof err), 0);
}

/* What the bio path answers: render_models of a fresh read, left open. */
static char *expected(void)
{
    struct modelstore_list l = {0};
    char err[256];
    CHECK_INT(modelstore_list(db_path, &l, err, sizeof err), 0);
    cJSON *j = render_models(&l);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    modelstore_list_free(&l);
    s[strlen(s) - 1] = '\0';
    return s;
}

static int get(struct modelsnap *s, struct sbuf *b)
{
    sbuf_reset(b);
    return modelsnap_get(s, b);
}

static void test_served_while_unchanged(void)
{
    struct sbuf b;
    sbuf_init(&b, 1 << 20);
    struct modelsnap *s = modelsnap_new(db_path);
    CHECK_INT(get(s, &b), -1); /* nothing yet */
    modelsnap_refresh(s);
    char *want = expected();
    CHECK_INT(get(s, &b), 0);
    CHECK_STR(b.p, want);
    CHECK(strstr(b.p, "\"active\":2") != NULL);
    CHECK_INT(get(s, &b), 0); /* and again */
    free(want);
    modelsnap_free(s);
    sbuf_free(&b);
}

/* Another process trains a version, or activates one: the copy is stale
 * at once, and current again after a refresh. */
static void test_refused_after_any_write(void)
{
    struct sbuf b;
    sbuf_init(&b, 1 << 20);
    struct modelsnap *s = modelsnap_new(db_path);
    modelsnap_refresh(s);
    CHECK_INT(get(s, &b), 0);
    train("popularity"); /* version 3, active */
    CHECK_INT(get(s, &b), -1);
    modelsnap_refresh(s);
    CHECK_INT(get(s, &b), 0);
    CHECK(strstr(b.p, "\"version\":3") != NULL);
    CHECK(strstr(b.p, "\"active\":3") != NULL);
    char err[256];
    CHECK_INT(modelstore_activate(db_path, 1, err, sizeof err), 0);
    CHECK_INT(get(s, &b), -1);
    /* begin before the read, end with it: the bio thread's list job */
    struct modelstore_list l = {0};
    modelsnap_begin(s);
    CHECK_INT(modelstore_list(db_path, &l, err, sizeof err), 0);
    modelsnap_end(s, &l);
    modelstore_list_free(&l);
    CHECK_INT(get(s, &b), 0);
    CHECK(strstr(b.p, "\"active\":1") != NULL);
    /* a failed read drops the copy */
    modelsnap_begin(s);
    modelsnap_end(s, NULL);
    CHECK_INT(get(s, &b), -1);
    modelsnap_free(s);
    sbuf_free(&b);
}

/* A write between begin and the read: the counter noted is the older one,
 * so the copy is refused (never a list newer than its counter, never an
 * older list served as current). */
static void test_write_during_the_read(void)
{
    struct sbuf b;
    sbuf_init(&b, 1 << 20);
    struct modelsnap *s = modelsnap_new(db_path);
    struct modelstore_list l = {0};
    char err[256];
    modelsnap_begin(s);
    CHECK_INT(modelstore_activate(db_path, 2, err, sizeof err), 0);
    CHECK_INT(modelstore_list(db_path, &l, err, sizeof err), 0);
    modelsnap_end(s, &l);
    modelstore_list_free(&l);
    CHECK_INT(get(s, &b), -1);
    modelsnap_free(s);
    sbuf_free(&b);
}

/* The file replaced by another (ingest renames a new database in place). */
static void test_replaced_file(void)
{
    struct sbuf b;
    char cmd[1024];
    sbuf_init(&b, 1 << 20);
    struct modelsnap *s = modelsnap_new(db_path);
    modelsnap_refresh(s);
    CHECK_INT(get(s, &b), 0);
    snprintf(cmd, sizeof cmd, "cp %s %s.new && mv %s.new %s", db_path, db_path, db_path, db_path);
    CHECK_INT(system(cmd), 0);
    CHECK_INT(get(s, &b), -1);
    modelsnap_refresh(s);
    CHECK_INT(get(s, &b), 0);
    modelsnap_free(s);
    sbuf_free(&b);
}

/* In WAL mode (the events writer keeps the serving database so) the
 * counter does not move per commit: the wal-index header does. */
static void test_wal_mode(void)
{
    struct sbuf b;
    char err[256];
    sbuf_init(&b, 1 << 20);
    sqlite3 *db = NULL; /* held open, as the events writer holds it: the -shm stays */
    sqlite3_open(db_path, &db);
    exec(db, "PRAGMA journal_mode=WAL");
    struct modelsnap *s = modelsnap_new(db_path);
    modelsnap_refresh(s);
    CHECK_INT(get(s, &b), 0);
    CHECK_INT(get(s, &b), 0);
    CHECK_INT(modelstore_activate(db_path, 1, err, sizeof err), 0);
    CHECK_INT(get(s, &b), -1);
    modelsnap_refresh(s);
    CHECK_INT(get(s, &b), 0);
    CHECK(strstr(b.p, "\"active\":1") != NULL);
    exec(db, "CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (1)"); /* any write */
    CHECK_INT(get(s, &b), -1);
    modelsnap_refresh(s);
    CHECK_INT(get(s, &b), 0);
    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    exec(db, "INSERT INTO t VALUES (2)"); /* after a checkpoint the WAL starts over */
    CHECK_INT(get(s, &b), -1);
    modelsnap_free(s);
    sqlite3_close(db);
    sbuf_free(&b);
}

int main(void)
{
    fixture_make_db();
    train("popularity");
    train("hybrid");
    RUN(test_served_while_unchanged);
    RUN(test_refused_after_any_write);
    RUN(test_write_during_the_read);
    RUN(test_replaced_file);
    RUN(test_wal_mode);
    fixture_remove();
    return TEST_SUMMARY();
}
