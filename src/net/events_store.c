/* Shipping feedback events to a model store and importing them (see
 * events_store.h). */
#include "net/events_store.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/events.h"
#include "store/modelcache.h"
#include "store/s3.h"
#include "store/s3config.h"
#include "util/error.h"
#include "util/log.h"
#include "util/periodic.h"
#include "util/sbuf.h"

#define ES_BUSY_MS    5000
#define ES_OBJECT_MAX (64u << 20) /* bytes of one events object we download */

static const char ES_TABLES[] =
    "CREATE TABLE IF NOT EXISTS events_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events_imported (object TEXT PRIMARY KEY, rows INTEGER NOT NULL,"
    " imported_at INTEGER NOT NULL);";

struct events_shipper {
    char db_path[1024], url[512];
    struct periodic *thread;
};

int events_store_db_path(const struct regions_conf *conf, const char *db_path, char *out,
                         size_t outlen, char *err, size_t errlen)
{
    char base[1024];
    if (!conf->model_store[0]) {
        snprintf(out, outlen, "%s", db_path);
        return 0;
    }
    if (conf->store_cache[0])
        snprintf(base, sizeof base, "%s", conf->store_cache);
    else if (modelcache_default_dir(base, sizeof base, err, errlen) < 0)
        return ERR_INVALID;
    mkdir(base, 0755); /* usually there already (the model cache is under it) */
    if ((size_t)snprintf(out, outlen, "%s/events.db", base) >= outlen)
        return err_code_set(err, errlen, ERR_INVALID, "events: path too long under %s", base);
    return 0;
}

static int es_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    err_set(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return ERR_FAIL;
}

/* Opens db_path with the events tables in place, and this database's id
 * (created on first use). */
static int es_open(const char *db_path, sqlite3 **db, char dbid[17], char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int rc = ERR_FAIL;
    *db = NULL;
    if (sqlite3_open_v2(db_path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot open %s: %s", db_path,
                *db ? sqlite3_errmsg(*db) : "no memory");
        goto out;
    }
    sqlite3_busy_timeout(*db, ES_BUSY_MS);
    if (es_exec(*db, events_table_sql(), err, errlen) < 0 ||
        es_exec(*db, ES_TABLES, err, errlen) < 0)
        goto out;
    if (sqlite3_prepare_v2(*db, "SELECT value FROM events_meta WHERE key = 'dbid'", -1, &s, NULL) !=
        SQLITE_OK)
        goto sqlerr;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 16) {
        memcpy(dbid, sqlite3_column_text(s, 0), 17);
    } else {
        unsigned char r[8];
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, r, sizeof r) != (ssize_t)sizeof r) {
            if (fd >= 0)
                close(fd);
            err_set(err, errlen, "cannot read /dev/urandom");
            goto out;
        }
        close(fd);
        for (int i = 0; i < 8; i++)
            snprintf(dbid + 2 * i, 3, "%02x", r[i]);
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO events_meta VALUES ('dbid', '%s')", dbid);
        if (es_exec(*db, sql, err, errlen) < 0)
            goto out;
    }
    rc = 0;
    goto out;
sqlerr:
    err_set(err, errlen, "%s: %s", db_path, sqlite3_errmsg(*db));
out:
    sqlite3_finalize(s);
    if (rc < 0) {
        sqlite3_close(*db);
        *db = NULL;
    }
    return rc;
}

static int es_client(const char *url, struct s3_location *loc, struct s3_client **c, char *err,
                     size_t errlen)
{
    struct s3_config cfg;
    int rc;
    *c = NULL;
    if ((rc = s3_location_parse(url, loc, err, errlen)) < 0 ||
        (rc = s3_config_from_env(&cfg, err, errlen)) < 0 ||
        (rc = s3_client_new(&cfg, c, err, errlen)) < 0)
        return rc;
    return 0;
}

/* Appends one row as a JSON line. */
static void es_line(struct sbuf *b, sqlite3_stmt *s)
{
    static const char *const names[] = {"user_id",    "product_id", "type",       "ts",
                                        "request_id", "region",     "received_at"};
    sbuf_puts(b, "{");
    for (int k = 0; k < 7; k++) {
        int col = k + 1;
        sbuf_printf(b, "%s\"%s\":", k ? "," : "", names[k]);
        if (sqlite3_column_type(s, col) == SQLITE_NULL)
            sbuf_puts(b, "null");
        else if (k == 3 || k == 6)
            sbuf_printf(b, "%lld", (long long)sqlite3_column_int64(s, col));
        else
            sbuf_json_str(b, (const char *)sqlite3_column_text(s, col));
    }
    sbuf_puts(b, "}\n");
}

int events_ship_once(const char *db_path, const char *store_url, int64_t *rows, char *err,
                     size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *sel = NULL, *last = NULL;
    struct s3_client *c = NULL;
    struct s3_location loc;
    struct sbuf b;
    char dbid[17], meta_key[600];
    int rc;
    *rows = 0;
    sbuf_init(&b, ES_OBJECT_MAX);
    if ((rc = es_open(db_path, &db, dbid, err, errlen)) < 0 ||
        (rc = es_client(store_url, &loc, &c, err, errlen)) < 0)
        goto out;
    snprintf(meta_key, sizeof meta_key, "shipped:%s", store_url);
    rc = ERR_FAIL;
    if (sqlite3_prepare_v2(db, "SELECT CAST(value AS INTEGER) FROM events_meta WHERE key = ?1", -1,
                           &last, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT id, user_id, product_id, type, ts, request_id, region,"
                           " received_at FROM events WHERE id > ?1 AND (region IS NULL OR"
                           " region NOT LIKE 'store:%') ORDER BY id LIMIT ?2",
                           -1, &sel, NULL) != SQLITE_OK) {
        err_set(err, errlen, "%s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_text(last, 1, meta_key, -1, SQLITE_STATIC);
    int64_t from = sqlite3_step(last) == SQLITE_ROW ? sqlite3_column_int64(last, 0) : 0;
    for (;;) {
        int64_t first = -1, to = from;
        sbuf_reset(&b);
        sqlite3_reset(sel);
        sqlite3_bind_int64(sel, 1, from);
        sqlite3_bind_int(sel, 2, EVENTS_SHIP_ROWS);
        int n = 0, st;
        while ((st = sqlite3_step(sel)) == SQLITE_ROW) {
            to = sqlite3_column_int64(sel, 0);
            if (first < 0)
                first = to;
            es_line(&b, sel);
            n++;
        }
        if (st != SQLITE_DONE || b.overflow) {
            err_set(err, errlen, "%s: %s", db_path,
                    b.overflow ? "events object too large" : sqlite3_errmsg(db));
            goto out;
        }
        if (n == 0)
            break;
        char name[128], key[1100], sql[800];
        snprintf(name, sizeof name, "events/%s/%012lld-%012lld.jsonl", dbid, (long long)first,
                 (long long)to);
        if ((rc = s3_location_key(&loc, name, key, sizeof key, err, errlen)) < 0 ||
            (rc = s3_put_buffer(c, loc.bucket, key, b.p, b.len, "application/x-ndjson", err,
                                errlen)) < 0)
            goto out;
        char *q = sqlite3_mprintf("INSERT OR REPLACE INTO events_meta VALUES (%Q, '%lld')",
                                  meta_key, (long long)to);
        snprintf(sql, sizeof sql, "%s", q ? q : "");
        sqlite3_free(q);
        rc = ERR_FAIL;
        if (es_exec(db, sql, err, errlen) < 0)
            goto out;
        *rows += n;
        from = to;
        if (n < EVENTS_SHIP_ROWS)
            break;
    }
    rc = 0;
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(last);
    sqlite3_close(db);
    s3_client_free(c);
    sbuf_free(&b);
    return rc;
}

/* The keys under PREFIX/events/, collected by s3_list. */
struct es_keys {
    char **k;
    size_t n, cap;
};

static int es_collect(void *user, const char *key, uint64_t size)
{
    struct es_keys *ks = user;
    (void)size;
    if (ks->n == ks->cap) {
        size_t nc = ks->cap ? ks->cap * 2 : 64;
        char **g = realloc(ks->k, nc * sizeof *g);
        if (!g)
            return ERR_NOMEM;
        ks->k = g;
        ks->cap = nc;
    }
    if (!(ks->k[ks->n] = strdup(key)))
        return ERR_NOMEM;
    ks->n++;
    return 0;
}

/* Inserts the JSON lines of one object (from database src) in one
 * transaction with its events_imported row. Returns rows or a negative code. */
static int64_t es_import_object(sqlite3 *db, const char *key, const char *src, struct sbuf *data,
                                char *err, size_t errlen)
{
    sqlite3_stmt *ins = NULL, *mark = NULL;
    int64_t n = 0;
    int rc = ERR_FAIL;
    if (es_exec(db, "BEGIN IMMEDIATE", err, errlen) < 0)
        return ERR_FAIL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO events (user_id, product_id, type, ts, request_id, region,"
                           " received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO events_imported VALUES (?1, ?2, ?3)", -1, &mark,
                           NULL) != SQLITE_OK) {
        err_set(err, errlen, "%s", sqlite3_errmsg(db));
        goto out;
    }
    for (char *line = data->p; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "user_id");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "product_id");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(j, "ts");
        const cJSON *rq = cJSON_GetObjectItemCaseSensitive(j, "request_id");
        const cJSON *rg = cJSON_GetObjectItemCaseSensitive(j, "region");
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(j, "received_at");
        enum feedback_type ty;
        if (!cJSON_IsString(u) || !feedback_id_valid(u->valuestring) || !cJSON_IsString(p) ||
            !feedback_id_valid(p->valuestring) || !cJSON_IsString(t) ||
            feedback_type_parse(t->valuestring, &ty) < 0 || !cJSON_IsNumber(ts)) {
            cJSON_Delete(j);
            err_set(err, errlen, "%s: line %lld is not an event", key, (long long)n + 1);
            goto out;
        }
        char region[128];
        snprintf(region, sizeof region, "store:%s:%s", src,
                 cJSON_IsString(rg) ? rg->valuestring : "");
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, u->valuestring, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, p->valuestring, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, feedback_type_name(ty), -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, (sqlite3_int64)ts->valuedouble);
        if (cJSON_IsString(rq))
            sqlite3_bind_text(ins, 5, rq->valuestring, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, 5);
        sqlite3_bind_text(ins, 6, region, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 7, cJSON_IsNumber(at) ? (sqlite3_int64)at->valuedouble : 0);
        int st = sqlite3_step(ins);
        cJSON_Delete(j);
        if (st != SQLITE_DONE) {
            err_set(err, errlen, "%s", sqlite3_errmsg(db));
            goto out;
        }
        n++;
        line = nl ? nl + 1 : NULL;
    }
    sqlite3_bind_text(mark, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(mark, 2, n);
    sqlite3_bind_int64(mark, 3, (sqlite3_int64)time(NULL));
    if (sqlite3_step(mark) != SQLITE_DONE || es_exec(db, "COMMIT", err, errlen) < 0) {
        err_set(err, errlen, "%s", sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(mark);
    if (rc < 0) {
        es_exec(db, "ROLLBACK", NULL, 0);
        return rc;
    }
    return n;
}

int events_store_import(const char *db_path, const char *store_url, int64_t *objects, int64_t *rows,
                        char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *seen = NULL;
    struct s3_client *c = NULL;
    struct s3_location loc;
    struct es_keys ks = {0};
    struct sbuf data;
    char dbid[17], prefix[1100];
    int rc;
    *objects = *rows = 0;
    sbuf_init(&data, ES_OBJECT_MAX + 1);
    if ((rc = es_open(db_path, &db, dbid, err, errlen)) < 0 ||
        (rc = es_client(store_url, &loc, &c, err, errlen)) < 0 ||
        (rc = s3_location_key(&loc, "events/", prefix, sizeof prefix, err, errlen)) < 0 ||
        (rc = s3_list(c, loc.bucket, prefix, es_collect, &ks, err, errlen)) < 0)
        goto out;
    rc = ERR_FAIL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM events_imported WHERE object = ?1", -1, &seen,
                           NULL) != SQLITE_OK) {
        err_set(err, errlen, "%s: %s", db_path, sqlite3_errmsg(db));
        goto out;
    }
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < ks.n; i++) {
        const char *k = ks.k[i], *src = k + pl, *slash = strchr(src, '/');
        char from[17];
        if (!slash || slash - src != 16 || !strstr(slash, ".jsonl"))
            continue; /* not an events object */
        memcpy(from, src, 16);
        from[16] = '\0';
        if (!strcmp(from, dbid))
            continue; /* our own, already in the table */
        sqlite3_reset(seen);
        sqlite3_bind_text(seen, 1, k, -1, SQLITE_STATIC);
        if (sqlite3_step(seen) == SQLITE_ROW)
            continue;
        if ((rc = s3_get_buffer(c, loc.bucket, k, ES_OBJECT_MAX, &data, err, errlen)) < 0)
            goto out;
        int64_t n = es_import_object(db, k, from, &data, err, errlen);
        if (n < 0) {
            rc = (int)n;
            goto out;
        }
        ++*objects;
        *rows += n;
    }
    rc = 0;
out:
    for (size_t i = 0; i < ks.n; i++)
        free(ks.k[i]);
    free(ks.k);
    sqlite3_finalize(seen);
    sqlite3_close(db);
    s3_client_free(c);
    sbuf_free(&data);
    return rc;
}

/* One shipping round (the periodic thread's function): what failed is logged,
 * the next round tries again from the same place. */
static void ship_round(void *arg)
{
    struct events_shipper *s = arg;
    char err[512];
    int64_t rows = 0;
    if (events_ship_once(s->db_path, s->url, &rows, err, sizeof err) < 0)
        log_error(NULL, "events", "what=ship store=%s message=%s", s->url, err);
    else if (rows)
        log_info(NULL, "events", "what=shipped store=%s rows=%lld", s->url, (long long)rows);
}

int events_ship_start(const struct regions_conf *conf, const char *db_path,
                      struct events_shipper **out, char *err, size_t errlen)
{
    struct events_shipper *s = calloc(1, sizeof *s);
    int rc;
    *out = NULL;
    if (!s)
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    snprintf(s->db_path, sizeof s->db_path, "%s", db_path);
    snprintf(s->url, sizeof s->url, "%s", conf->model_store);
    /* the last round at stop ships what arrived since the previous one */
    if ((rc = periodic_start("events shipping", conf->events_ship > 0 ? conf->events_ship : 10,
                             ship_round, s, PERIODIC_LAST_RUN, &s->thread, err, errlen)) < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void events_ship_stop(struct events_shipper *s)
{
    if (!s)
        return;
    periodic_stop(s->thread);
    free(s);
}
