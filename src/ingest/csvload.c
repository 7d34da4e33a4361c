/* Streaming CSV reader: see csvload.h.
 * Why per-line feeding: libcsv does not know line numbers, so each chunk is
 * handed to csv_parse one physical line at a time; a record callback fires
 * while its terminating line is fed, which lets us track where records start
 * (quoted newlines make a record span several lines). */
#include "ingest/csvload.h"

#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "util/error.h"
#include "util/mem.h"
#include "util/progress.h"

#define CHUNK (256 * 1024)

struct reader {
    struct csv_parser parser;
    const char *file;
    const char *const *columns;
    int ncols;
    csvload_row_fn fn;
    void *ctx;

    int header_done;
    int nfile_cols;
    int map[CSVLOAD_MAX_COLS]; /* caller's column -> position in the file */

    char *buf; /* the current record's fields, NUL separated */
    size_t used, cap;
    size_t off[CSVLOAD_MAX_COLS];
    size_t len[CSVLOAD_MAX_COLS];
    int isnull[CSVLOAD_MAX_COLS];
    int nf;

    long cur_line;  /* line being fed to the parser */
    int line_dirty; /* the line so far has more than CR/LF */
    long rec_start; /* line where the current record began */
    long rows;
    int failed;
    char *err;
    size_t errlen;
};

/* libcsv grows its field buffer through this; refusing past the limit makes
 * csv_parse stop with CSV_ENOMEM, which we report as "field too long". */
static void *limited_realloc(void *p, size_t n)
{
    if (n > CSVLOAD_MAX_FIELD + 1024)
        return NULL;
    return realloc(p, n);
}

/* Keep spaces: Olist text is taken verbatim, libcsv would trim it. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct reader *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    if (r->err && r->errlen)
        vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
}

static void on_field(void *s, size_t len, void *data)
{
    struct reader *r = data;
    if (r->failed)
        return;
    if (r->nf >= CSVLOAD_MAX_COLS) {
        fail(r, "%s line %ld column %d: too many fields (more than %d)", r->file, r->rec_start,
             r->nf + 1, CSVLOAD_MAX_COLS);
        return;
    }
    if (len > CSVLOAD_MAX_FIELD) {
        fail(r, "%s line %ld column %d: field is longer than %d bytes", r->file, r->rec_start,
             r->nf + 1, CSVLOAD_MAX_FIELD);
        return;
    }
    size_t need = r->used + len + 1;
    if (need > r->cap) {
        if (need > CSVLOAD_MAX_ROW) {
            fail(r, "%s line %ld: record is longer than %d bytes", r->file, r->rec_start,
                 CSVLOAD_MAX_ROW);
            return;
        }
        if (mem_grow((void **)&r->buf, 1, need < 4096 ? 4096 : need, &r->cap, CSVLOAD_MAX_ROW) <
            0) {
            fail(r, "%s line %ld: out of memory", r->file, r->rec_start);
            return;
        }
    }
    r->off[r->nf] = r->used;
    r->len[r->nf] = len;
    r->isnull[r->nf] = (s == NULL || len == 0);
    if (len)
        memcpy(r->buf + r->used, s, len);
    r->buf[r->used + len] = '\0';
    r->used += len + 1;
    r->nf++;
}

/* The first record: every expected name exactly once, nothing else. */
static void check_header(struct reader *r)
{
    char *first = r->buf + r->off[0];
    if (r->len[0] >= 3 && memcmp(first, "\xEF\xBB\xBF", 3) == 0) /* BOM after quoting */
        first += 3;
    if (first[0] == '<' || strncmp(first, "{", 1) == 0) {
        fail(r,
             "%s line 1 column 1: not a CSV file (starts with '%.20s', looks like HTML "
             "or JSON)",
             r->file, first);
        return;
    }
    int seen[CSVLOAD_MAX_COLS] = {0};
    for (int i = 0; i < r->nf; i++) {
        const char *h = i == 0 ? first : r->buf + r->off[i];
        int k;
        for (k = 0; k < r->ncols; k++)
            if (strcmp(h, r->columns[k]) == 0)
                break;
        if (k == r->ncols) {
            const char *hint = (i < r->ncols && !seen[i]) ? r->columns[i] : NULL;
            for (int j = 0; hint && j < r->nf; j++)
                if (strcmp(j == 0 ? first : r->buf + r->off[j], hint) == 0)
                    hint = NULL;
            if (hint)
                fail(r, "%s line 1 column %d: unexpected column '%.60s' (expected '%s')", r->file,
                     i + 1, h, hint);
            else
                fail(r, "%s line 1 column %d: unexpected column '%.60s'", r->file, i + 1, h);
            return;
        }
        if (seen[k]) {
            fail(r, "%s line 1 column %d: column '%s' appears twice", r->file, i + 1, h);
            return;
        }
        seen[k] = 1;
        r->map[k] = i;
    }
    for (int k = 0; k < r->ncols; k++) {
        if (!seen[k]) {
            fail(r, "%s line 1 column %d: missing column '%s'", r->file, r->nf + 1, r->columns[k]);
            return;
        }
    }
    r->nfile_cols = r->nf;
    r->header_done = 1;
}

static void on_record(int c, void *data)
{
    struct reader *r = data;
    (void)c;
    if (r->failed)
        goto reset;
    if (r->nf == 0)
        goto reset;
    if (!r->header_done) {
        check_header(r);
        goto reset;
    }
    if (r->nf != r->nfile_cols) {
        int col = r->nf < r->nfile_cols ? r->nf + 1 : r->nfile_cols + 1;
        fail(r, "%s line %ld column %d: expected %d fields, found %d", r->file, r->rec_start, col,
             r->nfile_cols, r->nf);
        goto reset;
    }
    struct csvload_row row;
    row.file = r->file;
    row.line = r->rec_start;
    row.nfields = r->ncols;
    row.name = r->columns;
    for (int k = 0; k < r->ncols; k++) {
        int i = r->map[k];
        row.field[k] = r->isnull[i] ? NULL : r->buf + r->off[i];
        row.len[k] = r->isnull[i] ? 0 : r->len[i];
        row.column[k] = i + 1;
    }
    r->rows++;
    if (r->fn(r->ctx, &row, r->err, r->errlen) < 0)
        r->failed = 1;
reset:
    r->nf = 0;
    r->used = 0;
    r->rec_start = r->cur_line + 1;
}

/* Feeds one physical line (or the tail of the input) to libcsv. */
static int feed(struct reader *r, const char *s, size_t n)
{
    /* A line may come in two pieces (split by the read chunk): it is blank
     * only when no piece of it held more than CR/LF. */
    if (!(n == 1 && (s[0] == '\n' || s[0] == '\r')) && !(n == 2 && s[0] == '\r' && s[1] == '\n'))
        r->line_dirty = 1;
    if (n && s[n - 1] == '\n') {
        if (!r->line_dirty && r->rec_start == r->cur_line && r->nf == 0)
            r->rec_start = r->cur_line + 1; /* a blank line between records */
        r->line_dirty = 0;
    }
    if (csv_parse(&r->parser, s, n, on_field, on_record, r) != n && !r->failed) {
        int e = csv_error(&r->parser);
        if (e == CSV_ENOMEM)
            fail(r, "%s line %ld column %d: field is longer than %d bytes", r->file, r->rec_start,
                 r->nf + 1, CSVLOAD_MAX_FIELD);
        else
            fail(r, "%s line %ld column %d: malformed CSV (%s)", r->file, r->cur_line, r->nf + 1,
                 csv_strerror(e));
    }
    return r->failed ? -1 : 0;
}

int csvload_field_error(char *err, size_t errlen, const struct csvload_row *row, int i,
                        const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(err, errlen, "%s line %ld column %d (%s): %s", row->file, row->line,
                   row->column[i], row->name[i], msg);
}

int csvload_file(const char *path, const char *const *columns, int ncols, csvload_row_fn fn,
                 void *ctx, int show_progress, long *rows, char *err, size_t errlen)
{
    struct reader r;
    memset(&r, 0, sizeof r);
    const char *slash = strrchr(path, '/');
    r.file = slash ? slash + 1 : path;
    r.columns = columns;
    r.ncols = ncols;
    r.fn = fn;
    r.ctx = ctx;
    r.cur_line = r.rec_start = 1;
    r.err = err;
    r.errlen = errlen;
    int rc = -1, parser_ready = 0;
    gzFile gz = NULL;
    char *chunk = NULL;
    struct progress prog;
    if (rows)
        *rows = 0;

    if (ncols < 1 || ncols > CSVLOAD_MAX_COLS) {
        err_set(err, errlen, "%s: bad column count %d", r.file, ncols);
        goto out;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        err_set(err, errlen, "%s: cannot open %s (missing or not a regular file)", r.file, path);
        goto out;
    }
    gz = gzopen(path, "rb");
    chunk = malloc(CHUNK);
    if (!gz || !chunk) {
        err_set(err, errlen, "%s: cannot open %s", r.file, path);
        goto out;
    }
    gzbuffer(gz, CHUNK);
    if (csv_init(&r.parser, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) {
        err_set(err, errlen, "%s: out of memory", r.file);
        goto out;
    }
    parser_ready = 1;
    csv_set_space_func(&r.parser, no_space);
    csv_set_realloc_func(&r.parser, limited_realloc);
    if (show_progress)
        progress_begin(&prog, r.file, (uint64_t)st.st_size);

    int first = 1;
    size_t line_off = 0; /* bytes of the current line in earlier chunks */
    for (;;) {
        int n = gzread(gz, chunk, CHUNK);
        if (n < 0) {
            int zerr;
            const char *m = gzerror(gz, &zerr);
            err_set(err, errlen, "%s line %ld: cannot read (gzip: %s; corrupt or truncated?)",
                    r.file, r.cur_line, m);
            goto out;
        }
        if (n == 0)
            break;
        const char *p = chunk, *end = chunk + n;
        if (first) {
            first = 0;
            if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
                p += 3;
        }
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        if (nul) {
            long line = r.cur_line;
            const char *bol = p;
            size_t base = line_off; /* the chunk may start mid-line */
            for (const char *q = p; q < nul; q++)
                if (*q == '\n') {
                    line++;
                    bol = q + 1;
                    base = 0;
                }
            err_set(err, errlen, "%s line %ld column %ld: not a CSV file (binary data: NUL byte)",
                    r.file, line, (long)(base + (size_t)(nul - bol)) + 1);
            goto out;
        }
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
            if (feed(&r, p, len) < 0)
                goto out;
            if (nl)
                r.cur_line++;
            line_off = nl ? 0 : line_off + len;
            p += len;
        }
        if (show_progress)
            progress_update(&prog, (uint64_t)gzoffset(gz), (uint64_t)r.rows);
    }
    {
        int zerr;
        const char *m = gzerror(gz, &zerr);
        if (zerr != Z_OK && zerr != Z_BUF_ERROR) {
            err_set(err, errlen, "%s: cannot read (gzip: %s)", r.file, m);
            goto out;
        }
        if (zerr == Z_BUF_ERROR) {
            err_set(err, errlen, "%s line %ld: gzip data is truncated", r.file, r.cur_line);
            goto out;
        }
    }
    if (csv_fini(&r.parser, on_field, on_record, &r) != 0 && !r.failed)
        fail(&r, "%s line %ld column %d: malformed CSV (unterminated quoted field)", r.file,
             r.rec_start, r.nf + 1);
    if (r.failed)
        goto out;
    if (!r.header_done) {
        err_set(err, errlen, "%s line 1: file is empty (no header line)", r.file);
        goto out;
    }
    if (show_progress) {
        progress_update(&prog, (uint64_t)st.st_size, (uint64_t)r.rows);
        progress_end(&prog);
    }
    rc = 0;
out:
    if (rows)
        *rows = r.rows;
    if (parser_ready)
        csv_free(&r.parser);
    if (gz)
        gzclose(gz);
    free(chunk);
    free(r.buf);
    return rc;
}
