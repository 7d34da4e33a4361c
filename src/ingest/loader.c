/* The inserting side of ingest: see loader.h. */
#include "ingest/loader.h"

#include <stdio.h>
#include <string.h>

#include "ingest/interrupt.h"
#include "util/error.h"

/* Rows per multi-row INSERT: enough to amortise a statement's start-up,
 * few enough to stay far below SQLite's bound-parameter limit. */
#define LOADER_GROUP 32

struct load_ctx {
    const struct olist_file *spec;
    sqlite3 *db;
    sqlite3_stmt *insert, *same; /* same: "is an identical row already there?" */
    sqlite3_stmt *multi;         /* INSERT of LOADER_GROUP rows at once */
    const char *file;            /* display name, for errors raised at insert time */
    int key_column;              /* 1-based file column of the first key column */
    int price_col;               /* index of the OLIST_PRICE column, or -1 */
    long long inserted, duplicates;
    double price_sum, price_sumsq;
    long long price_n;
    const atomic_int *interrupt; /* ingest_options.interrupt */
};

/* Binds one batched row to st (1-based parameters); the text stays in the
 * batch until the statement is reset, hence SQLITE_STATIC. */
static void bind_values(int ncols, sqlite3_stmt *st, int base, const struct rowbatch_val *v)
{
    for (int i = 0; i < ncols; i++) {
        int k = base + i + 1;
        switch (v[i].type) {
        case RB_INT:
            sqlite3_bind_int64(st, k, v[i].u.i);
            break;
        case RB_REAL:
            sqlite3_bind_double(st, k, v[i].u.d);
            break;
        case RB_TEXT:
            sqlite3_bind_text(st, k, v[i].u.s, (int)v[i].len, SQLITE_STATIC);
            break;
        default:
            sqlite3_bind_null(st, k);
        }
    }
}

static void count_inserted(struct load_ctx *c, const struct rowbatch_val *v)
{
    c->inserted++;
    if (c->price_col >= 0) {
        double p = v[c->price_col].u.d;
        c->price_sum += p;
        c->price_sumsq += p * p;
        c->price_n++;
    }
}

static int same_value(const struct rowbatch_val *a, const struct rowbatch_val *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case RB_INT:
        return a->u.i == b->u.i;
    case RB_REAL:
        return a->u.d == b->u.d;
    case RB_TEXT:
        return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
    default:
        return 1;
    }
}

/* Inserts one batched row. A primary-key clash with an identical earlier row
 * is an exact duplicate (counted, dropped); with a different row it is an
 * error naming the later line (the sort puts the earlier line first). */
static int insert_row(struct load_ctx *c, const struct rowbatch_val *v, long line, char *err,
                      size_t errlen)
{
    int ncols = c->spec->ncols;
    bind_values(ncols, c->insert, 0, v);
    int rc = sqlite3_step(c->insert);
    sqlite3_reset(c->insert);
    if (rc == SQLITE_DONE) {
        count_inserted(c, v);
        return 0;
    }
    if (rc == SQLITE_CONSTRAINT) {
        bind_values(ncols, c->same, 0, v);
        int same = sqlite3_step(c->same) == SQLITE_ROW;
        sqlite3_reset(c->same);
        if (same) {
            c->duplicates++;
            return 0;
        }
        int n = v[0].type == RB_TEXT ? (int)(v[0].len < 40 ? v[0].len : 40) : 0;
        return err_set(err, errlen,
                       "%s line %ld column %d (%s): duplicate key '%.*s' with different values",
                       c->file, line, c->key_column, c->spec->cols[0].name, n, n ? v[0].u.s : "");
    }
    if (rc == SQLITE_INTERRUPT || interrupt_raised(c->interrupt))
        return interrupt_error(err, errlen);
    return err_set(err, errlen, "%s line %ld: cannot store row: %s", c->file, line,
                   sqlite3_errmsg(c->db));
}

/* Inserts LOADER_GROUP rows with one statement: SQLite keeps its cursors and
 * record buffers across the rows instead of rebuilding them per row. The
 * rows are known not to clash (deduplicated in the sorted batch, table
 * empty before), so a failure here is a real error. */
static int insert_group(struct load_ctx *c, const struct rowbatch_val *const *rows,
                        const long *lines, char *err, size_t errlen)
{
    int ncols = c->spec->ncols;
    for (int r = 0; r < LOADER_GROUP; r++)
        bind_values(ncols, c->multi, r * ncols, rows[r]);
    int rc = sqlite3_step(c->multi);
    sqlite3_reset(c->multi);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_INTERRUPT || interrupt_raised(c->interrupt))
            return interrupt_error(err, errlen);
        return err_set(err, errlen, "%s lines %ld..%ld: cannot store rows: %s", c->file, lines[0],
                       lines[LOADER_GROUP - 1], sqlite3_errmsg(c->db));
    }
    for (int r = 0; r < LOADER_GROUP; r++)
        count_inserted(c, rows[r]);
    return 0;
}

/* Inserts one chunk of the reader's rows, already in primary-key order.
 * In the first chunk of a file (the table is empty) a duplicate key can only
 * meet its twin right before it: identical rows are dropped, different ones
 * are an error naming the later line, and the rest go in groups. Later
 * chunks (files over READAHEAD_BATCH_BYTES) go row by row, so SQLite's key
 * finds duplicates across chunks. */
static int insert_chunk(struct load_ctx *c, const struct readahead_chunk *chunk, int first,
                        char *err, size_t errlen)
{
    const struct rowbatch_val *group[LOADER_GROUP], *prev = NULL;
    long lines[LOADER_GROUP];
    int n = 0, npk = c->spec->npk, ncols = c->spec->ncols;
    c->key_column = chunk->key_column;
    for (size_t k = 0; k < chunk->batch.nrows; k++) {
        long line;
        const struct rowbatch_val *v = rowbatch_row(&chunk->batch, k, &line);
        if (interrupt_raised(c->interrupt))
            return interrupt_error(err, errlen);
        if (!first) {
            if (insert_row(c, v, line, err, errlen) < 0)
                return -1;
            continue;
        }
        if (prev && npk) {
            int same_key = 1, same_row;
            for (int i = 0; i < npk && same_key; i++)
                same_key = same_value(&prev[i], &v[i]);
            if (same_key) {
                same_row = 1;
                for (int i = npk; i < ncols && same_row; i++)
                    same_row = same_value(&prev[i], &v[i]);
                if (!same_row) {
                    int len = v[0].type == RB_TEXT ? (int)(v[0].len < 40 ? v[0].len : 40) : 0;
                    return err_set(err, errlen,
                                   "%s line %ld column %d (%s): duplicate key "
                                   "'%.*s' with different values",
                                   c->file, line, c->key_column, c->spec->cols[0].name, len,
                                   len ? v[0].u.s : "");
                }
                c->duplicates++;
                continue;
            }
        }
        prev = v;
        group[n] = v;
        lines[n++] = line;
        if (n == LOADER_GROUP) {
            if (insert_group(c, group, lines, err, errlen) < 0)
                return -1;
            n = 0;
        }
    }
    for (int r = 0; r < n; r++)
        if (insert_row(c, group[r], lines[r], err, errlen) < 0)
            return -1;
    return 0;
}

/* Prepares the insert and the identical-row probe for c->spec. */
static int prepare_load(struct load_ctx *c, char *err, size_t errlen)
{
    const struct olist_file *sp = c->spec;
    char ins[8192], same[2048];
    size_t a = (size_t)snprintf(ins, sizeof ins, "INSERT INTO %s(", sp->table);
    size_t b = (size_t)snprintf(same, sizeof same, "SELECT 1 FROM %s WHERE ", sp->table);
    for (int i = 0; i < sp->ncols; i++) {
        a += (size_t)snprintf(ins + a, sizeof ins - a, "%s%s", i ? "," : "", sp->cols[i].name);
        b += (size_t)snprintf(same + b, sizeof same - b, "%s%s IS ?%d", i ? " AND " : "",
                              sp->cols[i].name, i + 1);
    }
    a += (size_t)snprintf(ins + a, sizeof ins - a, ") VALUES(");
    for (int i = 0; i < sp->ncols; i++)
        a += (size_t)snprintf(ins + a, sizeof ins - a, "%s?%d", i ? "," : "", i + 1);
    a += (size_t)snprintf(ins + a, sizeof ins - a, ")");
    if (sqlite3_prepare_v2(c->db, ins, -1, &c->insert, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db, same, -1, &c->same, NULL) != SQLITE_OK)
        return err_set(err, errlen, "%s: cannot prepare insert: %s", sp->base,
                       sqlite3_errmsg(c->db));
    /* The same INSERT with LOADER_GROUP rows of VALUES (?k numbered on). */
    for (int r = 1; r < LOADER_GROUP && a < sizeof ins; r++) {
        a += (size_t)snprintf(ins + a, sizeof ins - a, ",(");
        for (int i = 0; i < sp->ncols && a < sizeof ins; i++)
            a += (size_t)snprintf(ins + a, sizeof ins - a, "%s?%d", i ? "," : "",
                                  r * sp->ncols + i + 1);
        if (a < sizeof ins)
            a += (size_t)snprintf(ins + a, sizeof ins - a, ")");
    }
    if (a >= sizeof ins || sqlite3_prepare_v2(c->db, ins, -1, &c->multi, NULL) != SQLITE_OK)
        return err_set(err, errlen, "%s: cannot prepare insert: %s", sp->base,
                       sqlite3_errmsg(c->db));
    return 0;
}

int loader_load_file(sqlite3 *db, int file, const char *fname, struct readahead *ra,
                     const atomic_int *interrupt, struct loader_result *out, char *err,
                     size_t errlen)
{
    const struct olist_file *sp = &OLIST_FILES[file];
    struct load_ctx ctx, *c = &ctx;
    int rc = -1, last = 0, first = 1;
    memset(c, 0, sizeof *c);
    memset(out, 0, sizeof *out);
    c->spec = sp;
    c->db = db;
    c->file = fname;
    c->key_column = 1;
    c->price_col = -1;
    c->interrupt = interrupt;
    for (int i = 0; i < sp->ncols; i++)
        if (sp->cols[i].flags & OLIST_PRICE)
            c->price_col = i;
    if (prepare_load(c, err, errlen) < 0)
        goto out;
    while (!last) {
        struct readahead_chunk *chunk = readahead_next(ra, err, errlen);
        if (!chunk)
            goto out;
        if (chunk->file != file) { /* cannot happen: both sides walk the same list */
            readahead_release(ra, chunk);
            err_set(err, errlen, "ingest: reader out of step at %s", fname);
            goto out;
        }
        int irc = insert_chunk(c, chunk, first, err, errlen);
        first = 0;
        last = chunk->last;
        out->rows = chunk->rows;
        out->counts = chunk->counts;
        readahead_release(ra, chunk);
        if (irc < 0)
            goto out;
    }
    rc = 0;
out:
    out->inserted = c->inserted;
    out->duplicates = c->duplicates;
    out->price_sum = c->price_sum;
    out->price_sumsq = c->price_sumsq;
    out->price_n = c->price_n;
    sqlite3_finalize(c->insert);
    sqlite3_finalize(c->same);
    sqlite3_finalize(c->multi);
    return rc;
}
