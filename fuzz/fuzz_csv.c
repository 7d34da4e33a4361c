/* libFuzzer target for ingest's CSV reading and row validation: the bytes
 * of one Olist file go through the CSV reader (src/ingest/csvload.c: libcsv
 * over zlib, header by name, field and record limits), every row through
 * the file's row rules (src/ingest/olist.c: required fields, integers,
 * prices, timestamps, foreign keys) and into a sorted row batch
 * (src/ingest/rowbatch.c), as ingest does. The results are checked against
 * those contracts; a violation aborts, so libFuzzer (make fuzz) and the
 * replay test (tests/unit/test_fuzz_csv.c, in `make test`) both report it.
 *
 * Input: byte 0 picks the file (low 4 bits, modulo the nine files) and,
 * with bit 4 set, puts that file's header line in front of the rest, so
 * mutations spend their time on rows rather than on the header. The bytes
 * are written to a memfd that csvload_file opens by its /proc path. */
#include "ingest/csvload.h"
#include "ingest/keyset.h"
#include "ingest/olist.h"
#include "ingest/rowbatch.h"

#include <math.h>
#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct fuzz_csv_ctx {
    int file;
    struct keyset sets[INGEST_NFILES];
    struct olist_counts counts;
    struct rowbatch batch;
    long rows;
};

/* Keys the parents' sets start with, so foreign keys can be met: a real
 * 32-hex id (stored inline) and a short one (stored in the arena). */
static const char *const fuzz_csv_keys[] = {"0123456789abcdef0123456789abcdef", "k1"};

static void check_values(const struct olist_file *sp, const struct csvload_row *row,
                         const struct rowbatch_val *v)
{
    for (int i = 0; i < sp->ncols; i++) {
        const struct olist_col *col = &sp->cols[i];
        const char *f = row->field[i];
        if (!f) {
            FUZZ_ASSERT(!(col->flags & OLIST_REQ));
            FUZZ_ASSERT(v[i].type == ((col->flags & OLIST_CAT) ? RB_TEXT : RB_NULL));
            continue;
        }
        FUZZ_ASSERT(row->len[i] > 0 && f[row->len[i]] == '\0');
        switch (col->type) {
        case OLIST_INT:
            FUZZ_ASSERT(v[i].type == RB_INT);
            break;
        case OLIST_REAL:
            FUZZ_ASSERT(v[i].type == RB_REAL && isfinite(v[i].u.d));
            FUZZ_ASSERT(!(col->flags & OLIST_PRICE) || v[i].u.d >= 0);
            break;
        case OLIST_TS:
            FUZZ_ASSERT(olist_valid_timestamp(f, row->len[i]));
            /* fall through */
        default:
            FUZZ_ASSERT(v[i].type == RB_TEXT && v[i].u.s == f && v[i].len == row->len[i]);
        }
    }
}

static int on_row(void *vctx, const struct csvload_row *row, char *err, size_t errlen)
{
    struct fuzz_csv_ctx *c = vctx;
    const struct olist_file *sp = &OLIST_FILES[c->file];
    struct rowbatch_val v[ROWBATCH_MAX_COLS];
    FUZZ_ASSERT(row->nfields == sp->ncols && row->line >= 2);
    err[0] = '\0';
    if (olist_check_row(c->file, row, c->sets, &c->counts, v, err, errlen) < 0) {
        /* The message names the file and the line. */
        FUZZ_ASSERT(strstr(err, row->file) != NULL && strstr(err, "line") != NULL);
        return -1;
    }
    check_values(sp, row, v);
    if (sp->parent && keyset_add(&c->sets[c->file], row->field[0], row->len[0]) < 0)
        return csvload_field_error(err, errlen, row, 0, "too many keys");
    c->rows++;
    int rc = rowbatch_push(&c->batch, row->line, v);
    if (rc == 1) { /* full: sort and empty it, as the loader does, then push again */
        FUZZ_ASSERT(rowbatch_sort(&c->batch, sp->npk) == 0);
        rowbatch_reset(&c->batch, sp->ncols);
        rc = rowbatch_push(&c->batch, row->line, v);
    }
    if (rc != 0)
        return csvload_field_error(err, errlen, row, 0, "out of memory");
    return 0;
}

/* Runs one input (see the top of the file); the number of its rows that
 * passed validation, or -1 when it could not be run. */
static long fuzz_csv_run(const uint8_t *data, size_t size)
{
    long passed = -1;
    if (size < 1)
        return -1;
    struct fuzz_csv_ctx c;
    memset(&c, 0, sizeof c);
    c.file = (data[0] & 0x0f) % INGEST_NFILES;
    const struct olist_file *sp = &OLIST_FILES[c.file];
    const char *names[OLIST_MAX_COLS];
    for (int i = 0; i < sp->ncols; i++)
        names[i] = sp->cols[i].name;
    /* One memfd for the whole process, emptied per input: creating and
     * closing one per input costs an RCU grace period each on a busy host. */
    static int fd = -1;
    if (fd < 0)
        fd = memfd_create("fuzz_csv", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
        return -1;
    if (data[0] & 0x10) {
        char head[512];
        size_t n = 0;
        for (int i = 0; i < sp->ncols; i++)
            n += (size_t)snprintf(head + n, sizeof head - n, "%s%s", i ? "," : "", names[i]);
        head[n++] = '\n';
        if (write(fd, head, n) != (ssize_t)n)
            goto out;
    }
    if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
        goto out;
    for (int i = 0; i < INGEST_NFILES; i++) {
        keyset_init(&c.sets[i]);
        if (OLIST_FILES[i].parent)
            for (size_t k = 0; k < sizeof fuzz_csv_keys / sizeof *fuzz_csv_keys; k++)
                keyset_add(&c.sets[i], fuzz_csv_keys[k], strlen(fuzz_csv_keys[k]));
    }
    rowbatch_init(&c.batch, sp->ncols, 1u << 20);
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    long rows = -1;
    err[0] = '\0';
    int rc = csvload_file(path, names, sp->ncols, on_row, &c, 0, &rows, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == -1);
    FUZZ_ASSERT(rc == 0 ? rows == c.rows : err[0] != '\0');
    if (rc == 0) /* what ingest does next with a file's rows */
        FUZZ_ASSERT(rowbatch_sort(&c.batch, sp->npk) == 0);
    passed = c.rows;
    rowbatch_free(&c.batch);
    for (int i = 0; i < INGEST_NFILES; i++)
        keyset_free(&c.sets[i]);
out:
    return passed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_csv_run(data, size);
    return 0;
}
