/* The overlay's rebuild at start (net/events_apply.c events_apply_rebuild)
 * from a real events table: every purchase is replayed in the order it was
 * stored, whatever model is active (none here) and however long ago it was
 * received; other types and malformed ids are left out. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "engine/overlay.h"
#include "net/api.h"
#include "net/events_apply.h"
#include "test.h"

static void test_rebuild_replays_every_purchase(void)
{
    sqlite3 *db;
    struct api_shared sh;
    struct overlay_purchase p[OVERLAY_USER_ITEMS];
    char u[REC_ID_LEN], a[REC_ID_LEN], b[REC_ID_LEN];
    memset(&sh, 0, sizeof sh);
    snprintf(u, sizeof u, "%032x", 0xabcu);
    snprintf(a, sizeof a, "%032x", 1u);
    snprintf(b, sizeof b, "%032x", 2u);
    CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db,
                           "CREATE TABLE events (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL,"
                           " product_id TEXT NOT NULL, type TEXT NOT NULL, ts INTEGER NOT NULL,"
                           " request_id TEXT, region TEXT, received_at INTEGER NOT NULL)",
                           NULL, NULL, NULL),
              SQLITE_OK);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO events(user_id, product_id, type, ts, received_at) VALUES"
             " ('%s', '%s', 'purchase', 100, 0),"        /* long ago */
             " ('%s', '%s', 'click', 200, 0),"           /* not a purchase */
             " ('not-an-id', '%s', 'purchase', 250, 0)," /* malformed */
             " ('%s', '%s', 'purchase', 300, 1700000000)",
             u, a, u, b, a, u, b);
    CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    CHECK_INT(events_apply_rebuild(&sh, db), 0); /* no overlay: nothing */
    sh.overlay = overlay_new();
    CHECK_INT(events_apply_rebuild(&sh, db), 2);
    CHECK_INT(overlay_user(sh.overlay, u, p, OVERLAY_USER_ITEMS), 2);
    CHECK_STR(p[0].product_id, a); /* oldest first, as stored */
    CHECK_INT(p[0].ts, 100);
    CHECK_STR(p[1].product_id, b);
    CHECK_INT(p[1].ts, 300);
    overlay_free(sh.overlay);
    sqlite3_close(db);
}

int main(void)
{
    RUN(test_rebuild_replays_every_purchase);
    return TEST_SUMMARY();
}
