/* Committed feedback events applied in memory (see events_apply.h). */
#include "net/events_apply.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/overlay.h"
#include "net/api.h"
#include "net/cache.h"
#include "net/events.h"
#include "util/log.h"

/* The buyers of a batch: lower-case ids, sorted. */
struct users_set {
    char (*ids)[REC_ID_LEN];
    size_t n;
};

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, REC_ID_LEN - 1);
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 1 when the first 32-hex-character run of a cache key (the user of a
 * recommendation answer, "r:<uid>:<count>:<rep>") is one of the buyers. */
static int key_names_user(void *ctx, const char *key, size_t klen)
{
    const struct users_set *u = ctx;
    size_t i = 0;
    while (i + REC_ID_LEN - 1 <= klen) {
        size_t run = 0;
        while (i + run < klen && is_hex(key[i + run]))
            run++;
        if (run >= REC_ID_LEN - 1) {
            char id[REC_ID_LEN];
            for (size_t k = 0; k < REC_ID_LEN - 1; k++) {
                char c = key[i + k];
                id[k] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
            }
            return bsearch(id, u->ids, u->n, sizeof *u->ids, cmp_id) != NULL;
        }
        i += run + 1;
    }
    return 0;
}

/* Drops every region's cached answers for the users in set, or all of them
 * (set NULL: a flood of buyers, or the overlay rebuilt at start). */
static void drop_cached(struct api_shared *sh, const struct users_set *set)
{
    for (int r = 0; r < sh->n_regions; r++) {
        struct api_region *reg = sh->regions[r];
        struct cache_stats cs;
        pthread_mutex_lock(&reg->mu);
        cache_get_stats(reg->cache, &cs);
        if (cs.size > 0 && !set)
            cache_clear(reg->cache); /* cheaper than matching each buyer */
        else if (cs.size > 0)
            cache_drop_matching(reg->cache, key_names_user, (void *)set);
        pthread_mutex_unlock(&reg->mu);
    }
}

void events_apply(struct api_shared *sh, struct events_batch *list)
{
    char buyers[256][REC_ID_LEN];
    struct users_set set = {buyers, 0};
    int many = 0;
    int64_t now = (int64_t)time(NULL);
    for (struct events_batch *b = list; b; b = b->next) {
        if (b->rc != 0)
            continue;
        if (sh->overlay)
            overlay_add(sh->overlay, b->ev, b->n, now);
        for (size_t i = 0; i < b->n; i++)
            if (b->ev[i].type == FEEDBACK_PURCHASE) {
                if (set.n < sizeof buyers / sizeof buyers[0]) {
                    for (size_t c = 0; c < REC_ID_LEN; c++) {
                        char ch = b->ev[i].user_id[c];
                        buyers[set.n][c] = (char)(ch >= 'A' && ch <= 'F' ? ch + 32 : ch);
                    }
                    set.n++;
                } else
                    many = 1;
            }
        if (sh->on_events)
            sh->on_events(sh->on_events_ctx, b->ev, b->n);
    }
    if (!set.n)
        return;
    qsort(buyers, set.n, sizeof buyers[0], cmp_id);
    drop_cached(sh, many ? NULL : &set);
}

uint64_t events_apply_rebuild(struct api_shared *sh, sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    struct feedback_event e;
    uint64_t n = 0;
    if (!sh->overlay ||
        sqlite3_prepare_v2(db,
                           /* from the first of the newest ?1 (a backward rowid scan):
                              3x faster than sorting the newest ?1 rows back */
                           "SELECT user_id, product_id, ts, received_at FROM events"
                           " WHERE type = 'purchase' AND id >= coalesce((SELECT id FROM events"
                           "  WHERE type = 'purchase' ORDER BY id DESC LIMIT 1 OFFSET ?1 - 1), 0)"
                           " ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(s, 1, EVENTS_REBUILD_MAX);
    memset(&e, 0, sizeof e);
    e.type = FEEDBACK_PURCHASE;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *u = (const char *)sqlite3_column_text(s, 0);
        const char *p = (const char *)sqlite3_column_text(s, 1);
        if (!feedback_id_valid(u) || !feedback_id_valid(p))
            continue;
        memcpy(e.user_id, u, REC_ID_LEN);
        memcpy(e.product_id, p, REC_ID_LEN);
        e.ts = sqlite3_column_int64(s, 2);
        n += overlay_add(sh->overlay, &e, 1, sqlite3_column_int64(s, 3));
    }
    sqlite3_finalize(s);
    if (n) {
        /* the regions serve while this runs: answers cached meanwhile were
         * computed without some of these purchases */
        drop_cached(sh, NULL);
        log_info(NULL, "events", "what=overlay_rebuilt purchases=%llu", (unsigned long long)n);
    }
    return n;
}
