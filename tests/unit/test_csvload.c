/* csvload: quoting, newlines, CRLF, BOM, empty fields, gzip, line numbers and
 * every malformed-input error, on small files written by each test. */
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest/csvload.h"
#include "test.h"

#define ERR_SIZE 512

static char dir[] = "/tmp/test_csvload.XXXXXX";

struct rows {
    int n;
    long line[16];
    char *f[16][4]; /* strdup'd fields, NULL = empty */
    int fail_at;    /* make the callback fail on this row (1-based), 0 never */
};

static int collect(void *ctx, const struct csvload_row *row, char *err, size_t errlen)
{
    struct rows *r = ctx;
    if (r->n + 1 == r->fail_at)
        return csvload_field_error(err, errlen, row, 1, "rejected by the callback");
    if (r->n < 16) {
        r->line[r->n] = row->line;
        for (int i = 0; i < row->nfields && i < 4; i++)
            r->f[r->n][i] = row->field[i] ? strdup(row->field[i]) : NULL;
    }
    r->n++;
    return 0;
}

static void rows_free(struct rows *r)
{
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 4; j++)
            free(r->f[i][j]);
    memset(r, 0, sizeof *r);
}

static const char *write_file(const char *name, const char *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

#define WRITE(name, lit) write_file(name, lit, sizeof(lit) - 1)

static const char *const COLS[] = {"id", "text", "n"};

static int load(const char *path, struct rows *r, char *err)
{
    return csvload_file(path, COLS, 3, collect, r, 0, NULL, err, ERR_SIZE);
}
static void test_quoting_and_newlines(void)
{
    struct rows r = {0};
    char err[ERR_SIZE] = "";
    const char *p = WRITE("q.csv", "\"id\",\"text\",\"n\"\n"
                                   "a,\"comma, inside\",1\n"
                                   "b,\"say \"\"hi\"\"\",2\n"
                                   "c,\"two\nlines\r\nthree\",3\n"
                                   "d,,\n"
                                   "e,  spaced  ,5\n");
    CHECK_INT(load(p, &r, err), 0);
    CHECK_INT(r.n, 5);
    CHECK_STR(r.f[0][1], "comma, inside");
    CHECK_STR(r.f[1][1], "say \"hi\"");
    CHECK_STR(r.f[2][1], "two\nlines\r\nthree");
    CHECK(r.f[3][1] == NULL);
    CHECK(r.f[3][2] == NULL);
    CHECK_STR(r.f[4][1], "  spaced  ");
    /* the three-line record starts on line 4; the next one on line 7 */
    CHECK_INT(r.line[0], 2);
    CHECK_INT(r.line[2], 4);
    CHECK_INT(r.line[3], 7);
    CHECK_INT(r.line[4], 8);
    rows_free(&r);
}

static void test_bom_crlf_no_final_newline(void)
{
    struct rows r = {0};
    char err[ERR_SIZE] = "";
    const char *p = WRITE("t.csv", "\xEF\xBB\xBFid,text,n\r\nx,caf\xC3\xA9,1\r\ny,b,2");
    CHECK_INT(load(p, &r, err), 0);
    CHECK_INT(r.n, 2);
    CHECK_STR(r.f[0][0], "x");
    CHECK_STR(r.f[0][1], "caf\xC3\xA9");
    CHECK_STR(r.f[1][2], "2");
    CHECK_INT(r.line[1], 3);
    rows_free(&r);
}

static void test_header_any_order_and_blank_lines(void)
{
    struct rows r = {0};
    char err[ERR_SIZE] = "";
    const char *p = WRITE("o.csv", "n,id,text\n\n7,k,v\n\n8,l,w\n");
    CHECK_INT(load(p, &r, err), 0);
    CHECK_INT(r.n, 2);
    CHECK_STR(r.f[0][0], "k");
    CHECK_STR(r.f[0][1], "v");
    CHECK_STR(r.f[0][2], "7");
    CHECK_INT(r.line[0], 3);
    CHECK_INT(r.line[1], 5);
    rows_free(&r);
}

static void test_gzip_input(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/g.csv.gz", dir);
    gzFile gz = gzopen(path, "wb");
    gzputs(gz, "id,text,n\n");
    for (int i = 0; i < 5000; i++)
        gzprintf(gz, "%d,\"row, %d\",%d\n", i, i, i * 2);
    gzclose(gz);
    struct rows r = {0};
    char err[ERR_SIZE] = "";
    long n = 0;
    CHECK_INT(csvload_file(path, COLS, 3, collect, &r, 0, &n, err, sizeof err), 0);
    CHECK_INT(n, 5000);
    CHECK_STR(r.f[3][1], "row, 3");
    rows_free(&r);
}

/* Every malformed input: the message names the file, the line and column. */
static void test_errors_name_file_line_column(void)
{
    static const struct {
        const char *name, *data, *want;
    } cases[] = {
        {"count.csv", "id,text,n\na,b,1\nc,d\n",
         "count.csv line 3 column 3: expected 3 fields, found 2"},
        {"extra.csv", "id,text,n\na,b,1,2\n",
         "extra.csv line 2 column 4: expected 3 fields, found 4"},
        {"missing.csv", "id,text\na,b\n", "missing.csv line 1 column 3: missing column 'n'"},
        {"renamed.csv", "id,txt,n\n",
         "renamed.csv line 1 column 2: unexpected column 'txt' (expected 'text')"},
        {"twice.csv", "id,text,id\n", "twice.csv line 1 column 3: column 'id' appears twice"},
        {"html.csv", "<html><body>nope</body></html>\n",
         "html.csv line 1 column 1: not a CSV file"},
        {"quote.csv", "id,text,n\na,\"open,1\n", "quote.csv line 2 column 2: malformed CSV"},
        {"stray.csv", "id,text,n\na,b\"c,1\n", "stray.csv line 2 column 2: malformed CSV"},
        {"empty.csv", "", "empty.csv line 1: file is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rows r = {0};
        char err[ERR_SIZE] = "";
        const char *p = write_file(cases[i].name, cases[i].data, strlen(cases[i].data));
        CHECK_INT(load(p, &r, err), -1);
        if (!strstr(err, cases[i].want))
            printf("#   case %s: got \"%s\"\n", cases[i].name, err);
        CHECK(strstr(err, cases[i].want) != NULL);
        rows_free(&r);
    }
}

static void test_binary_and_missing_file(void)
{
    struct rows r = {0};
    char err[ERR_SIZE] = "";
    const char *p = write_file("bin.csv", "id,text,n\nab\0cd", 15);
    CHECK_INT(load(p, &r, err), -1);
    CHECK(strstr(err, "bin.csv line 2 column 3: not a CSV file (binary data") != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/nope.csv", dir);
    CHECK_INT(load(path, &r, err), -1);
    CHECK(strstr(err, "nope.csv: cannot open") != NULL);
    rows_free(&r);
}

/* A NUL in a line that began in an earlier read chunk: the column counts
 * from the start of the line, not of the chunk. */
static void test_binary_column_across_chunks(void)
{
    size_t n = 0, cap = 300000;
    char *data = malloc(cap);
    n += (size_t)snprintf(data, cap, "id,text,n\n");
    for (int f = 0; f < 4; f++) {
        memset(data + n, 'x', 59999);
        n += 59999;
        data[n++] = ',';
    }
    memset(data + n, 'y', 30000);
    n += 30000;
    data[n++] = '\0';
    data[n++] = '\n';
    const char *p = write_file("binlong.csv", data, n);
    struct rows r = {0};
    char err[ERR_SIZE] = "";
    CHECK_INT(load(p, &r, err), -1);
    CHECK(strstr(err, "binlong.csv line 2 column 270001: not a CSV file (binary data") != NULL);
    free(data);
    rows_free(&r);
}

/* A record whose first line is cut by the read chunk right before its '\n'
 * (no field finished yet) still reports the line it starts on. */
static void test_line_split_at_chunk_boundary(void)
{
    const size_t chunk = 256 * 1024; /* csvload.c's read size */
    size_t n = 0, m = (chunk - 10 - 2) / 6;
    char *data = malloc(chunk + 64);
    n += (size_t)snprintf(data, 64, "id,text,n\n");
    for (size_t i = 0; i < m; i++) {
        memcpy(data + n, "a,b,1\n", 6);
        n += 6;
    }
    data[n++] = '"';
    while (n < chunk)
        data[n++] = 'x';
    memcpy(data + n, "\nz\",b,9\n", 8);
    n += 8;
    const char *p = write_file("split.csv", data, n);
    struct rows r = {0};
    r.fail_at = (int)m + 1;
    char err[ERR_SIZE] = "";
    CHECK_INT(load(p, &r, err), -1);
    char want[128];
    snprintf(want, sizeof want, "split.csv line %zu column 2 (text): rejected by the callback",
             m + 2);
    CHECK_STR(err, want);
    free(data);
    rows_free(&r);
}

static void test_limits(void)
{
    size_t big = CSVLOAD_MAX_FIELD + 100;
    char *data = malloc(big + 64);
    int n = snprintf(data, 64, "id,text,n\na,");
    memset(data + n, 'x', big);
    memcpy(data + n + big, ",1\n", 3);
    const char *p = write_file("long.csv", data, (size_t)n + big + 3);
    struct rows r = {0};
    char err[ERR_SIZE] = "";
    CHECK_INT(load(p, &r, err), -1);
    CHECK(strstr(err, "long.csv line 2 column 2: field is longer than") != NULL);
    /* too many fields */
    n = snprintf(data, 64, "id,text,n\n");
    for (int i = 0; i < CSVLOAD_MAX_COLS + 5; i++)
        data[n++] = ',';
    data[n++] = '\n';
    p = write_file("wide.csv", data, (size_t)n);
    CHECK_INT(load(p, &r, err), -1);
    CHECK(strstr(err, "wide.csv line 2 column 33: too many fields") != NULL);
    free(data);
    rows_free(&r);
}

static void test_callback_error_stops(void)
{
    struct rows r = {0};
    r.fail_at = 2;
    char err[ERR_SIZE] = "";
    const char *p = WRITE("cb.csv", "id,text,n\na,b,1\nc,d,2\ne,f,3\n");
    CHECK_INT(load(p, &r, err), -1);
    CHECK_INT(r.n, 1);
    CHECK_STR(err, "cb.csv line 3 column 2 (text): rejected by the callback");
    rows_free(&r);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(test_quoting_and_newlines);
    RUN(test_bom_crlf_no_final_newline);
    RUN(test_header_any_order_and_blank_lines);
    RUN(test_gzip_input);
    RUN(test_errors_name_file_line_column);
    RUN(test_binary_and_missing_file);
    RUN(test_binary_column_across_chunks);
    RUN(test_line_split_at_chunk_boundary);
    RUN(test_limits);
    RUN(test_callback_error_stops);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return TEST_SUMMARY();
}
