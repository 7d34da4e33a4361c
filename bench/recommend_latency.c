/* In-process latency of engine_recommend over every test user (purchases on
 * or after the cutoff), for bench/recommend. usage: recommend_latency DB
 * [CUTOFF] [N]. Prints p50/p99/max in microseconds, for all and known users. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *label, double *v, size_t n)
{
    if (!n)
        return;
    qsort(v, n, sizeof *v, cmp_d);
    printf("  %-24s %7zu users  p50 %7.1f us  p99 %7.1f us  max %8.1f us\n", label, n,
           v[n / 2], v[(size_t)((double)n * 0.99)], v[n - 1]);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *cutoff = argc > 2 ? argv[2] : "2018-01-01";
    int count = argc > 3 ? atoi(argv[3]) : 10;
    char err[512];
    struct engine *e;
    if (engine_open(argv[1], &e, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    sqlite3 *db;
    sqlite3_stmt *st;
    sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(db, "SELECT DISTINCT user_id FROM interactions WHERE ts >= ?1", -1, &st,
                       NULL);
    sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
    size_t cap = 1024, n = 0, nk = 0;
    char(*users)[REC_ID_LEN] = malloc(cap * REC_ID_LEN);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap)
            users = realloc(users, (cap *= 2) * REC_ID_LEN);
        snprintf(users[n++], REC_ID_LEN, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    double *all = malloc((n + 1) * sizeof *all), *known = malloc((n + 1) * sizeof *known);
    struct rec_result *r = malloc(sizeof *r);
    for (int pass = 0; pass < 2; pass++) /* the first pass warms the caches */
        for (size_t i = 0; i < n; i++) {
            struct rec_request req = {.user = users[i], .count = count};
            double t0 = now_us();
            if (engine_recommend(e, &req, r, err, sizeof err) < 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
            double dt = now_us() - t0;
            if (pass) {
                all[i] = dt;
                if (r->known)
                    known[nk++] = dt;
            }
        }
    struct engine_info in;
    engine_get_info(e, &in);
    printf("== engine_recommend, model %s v%lld, top-%d, test users after %s\n", in.algorithm,
           (long long)in.version, count, cutoff);
    report("all test users", all, n);
    report("known (warm) users", known, nk);
    free(all);
    free(known);
    free(users);
    free(r);
    engine_release(e);
    return 0;
}
