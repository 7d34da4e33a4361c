/* The tiny shop shared by the engine unit tests: a SQLite file in a fresh
 * temporary directory with hand-picked people, products and orders, whose
 * recommendations the tests compute by hand. Header-only (the Makefile builds
 * each test_*.c alone), so every helper is static inline. */
#ifndef RECSYS_ENGINE_FIXTURE_H
#define RECSYS_ENGINE_FIXTURE_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/algo.h"
#include "engine/dataset.h"
#include "engine/dataset_load.h"
#include "engine/model.h"
#include "ingest/schema.h"

static char dir[64], db_path[128];

enum { PHONE = 1, LAPTOP, MOUSE, KEYBOARD, TABLET, HEADSET, CABLE };

/* ids: people A.., customers C.., products B.., orders D.. */
static inline void id(char out[33], unsigned base, unsigned k)
{
    snprintf(out, 33, "%032x", base + k);
}

static inline void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        printf("# sql failed: %s\n", msg);
        sqlite3_free(msg);
    }
}

static inline void order(sqlite3 *db, int o, int cust, const char *status, const char *ts,
                         const int *products, int n)
{
    char oid[33], cid[33], pid[33], sql[512];
    id(oid, 0xD000, (unsigned)o);
    id(cid, 0xC000, (unsigned)cust);
    snprintf(sql, sizeof sql,
             "INSERT INTO orders(order_id, customer_id, order_status, order_purchase_timestamp)"
             " VALUES('%s', '%s', '%s', '%s')",
             oid, cid, status, ts);
    exec(db, sql);
    for (int i = 0; i < n; i++) {
        id(pid, 0xB000, (unsigned)products[i]);
        snprintf(
            sql, sizeof sql,
            "INSERT INTO order_items VALUES('%s', %d, '%s', 'ffffffffffffffffffffffffffffffff',"
            " NULL, %d.5, 1.0, 0)",
            oid, i + 1, pid, 10 * products[i]);
        exec(db, sql);
    }
}

/* The tiny shop of the tests (see the comments for the hand-computed answers). */
static inline void fixture_make_db(void)
{
    sqlite3 *db;
    char sql[512], a[33], b[33];
    snprintf(dir, sizeof dir, "/tmp/recsys-test-engine.XXXXXX");
    if (!mkdtemp(dir))
        return;
    snprintf(db_path, sizeof db_path, "%s/olist.db", dir);
    sqlite3_open(db_path, &db);
    exec(db, schema_sql());
    exec(db,
         "INSERT INTO product_category_name_translation VALUES('telefonia','telephony'),"
         "('informatica_acessorios','computers_accessories');"
         "INSERT INTO sellers VALUES('ffffffffffffffffffffffffffffffff','01000','sao paulo','SP')");
    static const char *const cat[] = {"",
                                      "telefonia",
                                      "informatica_acessorios",
                                      "informatica_acessorios",
                                      "informatica_acessorios",
                                      "telefonia",
                                      "eletronicos",
                                      "informatica_acessorios"};
    for (int p = PHONE; p <= CABLE; p++) {
        id(a, 0xB000, (unsigned)p);
        snprintf(sql, sizeof sql,
                 "INSERT INTO products(product_id, product_category_name)"
                 " VALUES('%s', '%s')",
                 a, cat[p]);
        exec(db, sql);
    }
    /* people 0..4; person 0 has two customer ids (0 and 10) */
    static const char *const st[] = {"SP", "RJ", "SP", "MG", "SP"};
    for (int k = 0; k <= 10; k++) {
        if (k > 4 && k < 10)
            continue;
        id(a, 0xC000, (unsigned)k);
        id(b, 0xA000, (unsigned)(k == 10 ? 0 : k));
        snprintf(sql, sizeof sql, "INSERT INTO customers VALUES('%s', '%s', '01000', 'x', '%s')", a,
                 b, st[k == 10 ? 0 : k]);
        exec(db, sql);
    }
    order(db, 1, 0, "delivered", "2017-10-01 10:00:00", (int[]){PHONE, LAPTOP}, 2);
    order(db, 2, 10, "delivered", "2017-11-01 10:00:00", (int[]){MOUSE, KEYBOARD}, 2);
    order(db, 3, 1, "delivered", "2017-11-10 10:00:00", (int[]){PHONE, LAPTOP, TABLET}, 3);
    order(db, 4, 2, "delivered", "2017-12-01 10:00:00", (int[]){PHONE}, 1);
    order(db, 5, 3, "delivered", "2017-12-15 10:00:00", (int[]){HEADSET}, 1);
    order(db, 6, 4, "delivered", "2018-02-01 10:00:00", (int[]){TABLET}, 1);
    order(db, 7, 1, "delivered", "2018-03-01 10:00:00", (int[]){HEADSET}, 1);
    order(db, 8, 3, "canceled", "2017-12-20 10:00:00", (int[]){LAPTOP}, 1);
    id(a, 0xD000, 3);
    snprintf(sql, sizeof sql,
             "INSERT INTO order_reviews(review_id, order_id, review_score)"
             " VALUES('r1', '%s', 5)",
             a);
    exec(db, sql);
    sqlite3_close(db);
}

static inline int32_t item_of(const struct model *m, int p)
{
    char a[33];
    id(a, 0xB000, (unsigned)p);
    return dataset_idmap_find(&m->ctx.items, a);
}

static inline int32_t user_of(const struct model *m, int k)
{
    char a[33];
    id(a, 0xA000, (unsigned)k);
    return dataset_idmap_find(&m->ctx.users, a);
}

static inline int load_ds(struct dataset *ds)
{
    char err[256];
    int rc = dataset_load(db_path, ds, err, sizeof err);
    if (rc < 0)
        printf("# %s\n", err);
    return rc;
}

/* Removes the fixture's temporary directory and everything in it. */
static inline void fixture_remove(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        printf("# could not remove %s\n", dir);
}

#endif
