/* cli/opts.c and cli/algo_opts.c: one table of inputs per parser, each row
 * with the value it must give or the rejection it must get. */
#include "cli/algo_opts.h"
#include "cli/opts.h"
#include "test.h"

#include <float.h>
#include <limits.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Reports one table row that came out wrong. */
#define ROW_FAILED(fmt, ...)                                                                       \
    do {                                                                                           \
        test_failed_checks++;                                                                      \
        printf("#   %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);                           \
    } while (0)

struct long_case {
    const char *in;
    long lo, hi;
    int ok;
    long want;
};

static void test_parse_long_table(void)
{
    static const struct long_case cases[] = {
        {"0", 0, 10, 1, 0},
        {"10", 0, 10, 1, 10},
        {"11", 0, 10, 0, 0},     /* above the range */
        {"-1", 0, 10, 0, 0},     /* below it */
        {"-5", -10, 10, 1, -5},  /* a sign is a number */
        {"+7", 0, 10, 1, 7},     /* so is a plus */
        {" 7", 0, 10, 1, 7},     /* strtol skips leading blanks */
        {"7 ", 0, 10, 0, 0},     /* trailing blank is junk */
        {"7x", 0, 10, 0, 0},     /* trailing junk */
        {"0x10", 0, 100, 0, 0},  /* decimal only */
        {"1e3", 0, 10000, 0, 0}, /* no exponents for integers */
        {"3.0", 0, 10, 0, 0},    /* no fractions either */
        {"", 0, 10, 0, 0},       /* empty */
        {" ", 0, 10, 0, 0},      /* blanks only */
        {"-", 0, 10, 0, 0},      /* a sign alone */
        {"007", 0, 10, 1, 7},    /* leading zeros are decimal, not octal */
        {"4294967295", 0, 4294967295L, 1, 4294967295L},
        {"4294967296", 0, 4294967295L, 0, 0},
        {"99999999999999999999", 0, LONG_MAX, 0, 0}, /* overflow */
        {NULL, 0, 10, 0, 0},                         /* missing value */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        const struct long_case *c = &cases[i];
        long out = -12345;
        int rc = opts_parse_long(c->in, c->lo, c->hi, &out);
        if (c->ok ? rc != 0 || out != c->want : rc != -1 || out != -12345)
            ROW_FAILED("opts_parse_long(\"%s\", %ld, %ld) gave rc %d, value %ld; want %s %ld",
                       c->in ? c->in : "(null)", c->lo, c->hi, rc, out, c->ok ? "ok" : "reject",
                       c->want);
    }
}

static void test_parse_int_table(void)
{
    static const struct {
        const char *in;
        int lo, hi, ok, want;
    } cases[] = {
        {"1", 1, 100, 1, 1},
        {"100", 1, 100, 1, 100},
        {"101", 1, 100, 0, 0},
        {"0", 1, 100, 0, 0},
        {"2147483647", 0, INT_MAX, 1, INT_MAX},
        {"2147483648", 0, INT_MAX, 0, 0}, /* over int even where long has room */
        {"-2147483648", INT_MIN, 0, 1, INT_MIN},
        {"65535", 0, 65535, 1, 65535},
        {"65536", 0, 65535, 0, 0},
        {"80abc", 0, 65535, 0, 0},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int out = -12345;
        int rc = opts_parse_int(cases[i].in, cases[i].lo, cases[i].hi, &out);
        if (cases[i].ok ? rc != 0 || out != cases[i].want : rc != -1 || out != -12345)
            ROW_FAILED("opts_parse_int(\"%s\") gave rc %d, value %d", cases[i].in, rc, out);
    }
}

static void test_parse_double_table(void)
{
    static const struct {
        const char *in;
        double lo, hi;
        int ok;
        double want;
    } cases[] = {
        {"0.3", 0, 1, 1, 0.3},
        {"1", 0, 1, 1, 1},
        {"1.0000001", 0, 1, 0, 0},
        {"-0.1", 0, 1, 0, 0},
        {"4.2e1", 0, 100, 1, 42},
        {".5", 0, 1, 1, 0.5},
        {"0.5s", 0, 1, 0, 0}, /* a unit is junk */
        {"nan", 0, 1, 0, 0},  /* NaN compares false with every bound */
        {"inf", 0, 1e6, 0, 0},
        {"inf", 0, DBL_MAX, 0, 0},
        {"1e999", 0, DBL_MAX, 0, 0}, /* overflow: ERANGE */
        {"1e-400", 0, 1, 0, 0},      /* underflow: ERANGE too */
        {"", 0, 1, 0, 0},
        {NULL, 0, 1, 0, 0},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        double out = -12345;
        int rc = opts_parse_double(cases[i].in, cases[i].lo, cases[i].hi, &out);
        if (cases[i].ok ? rc != 0 || out != cases[i].want : rc != -1 || out != -12345)
            ROW_FAILED("opts_parse_double(\"%s\") gave rc %d, value %g",
                       cases[i].in ? cases[i].in : "(null)", rc, out);
    }
}

/* One range for the main job and --monitor (it used to be 60 s in one and
 * 3600 s in the other). */
static void test_parse_interval_table(void)
{
    static const struct {
        const char *in;
        int ok;
        double want;
    } cases[] = {
        {"0.05", 1, 0.05}, {"0.2", 1, 0.2},   {"1", 1, 1},      {"60", 1, 60},
        {"61", 1, 61},     {"3600", 1, 3600}, {"3600.5", 0, 0}, {"0.049", 0, 0},
        {"0", 0, 0},       {"-1", 0, 0},      {"nope", 0, 0},   {"1s", 0, 0},
    };
    CHECK(OPTS_INTERVAL_MIN == 0.05);
    CHECK(OPTS_INTERVAL_MAX == 3600.0);
    for (size_t i = 0; i < COUNT(cases); i++) {
        double out = -1;
        int rc = opts_parse_interval(cases[i].in, &out);
        if (cases[i].ok ? rc != 0 || out != cases[i].want : rc != -1)
            ROW_FAILED("opts_parse_interval(\"%s\") gave rc %d, value %g", cases[i].in, rc, out);
    }
}

static void test_opts_value_table(void)
{
    static const struct {
        const char *argv[3];
        int argc;
        const char *name;
        int match;         /* opts_value's return */
        const char *value; /* NULL: missing */
        int next_i;        /* i after the call */
    } cases[] = {
        {{"--db", "x.db"}, 2, "--db", 1, "x.db", 1},
        {{"--db=x.db"}, 1, "--db", 1, "x.db", 0},
        {{"--db="}, 1, "--db", 1, "", 0}, /* empty: the caller decides */
        {{"--db"}, 1, "--db", 1, NULL, 0},
        {{"--dbx", "y"}, 2, "--db", 0, NULL, 0}, /* a longer option is another one */
        {{"--data", "d"}, 2, "--db", 0, NULL, 0},
        {{"--db", "--quiet"}, 2, "--db", 1, "--quiet", 1}, /* the next word, whatever it is */
    };
    for (size_t k = 0; k < COUNT(cases); k++) {
        char *argv[3] = {(char *)cases[k].argv[0], (char *)cases[k].argv[1], NULL};
        int i = 0;
        const char *v = NULL;
        int m = opts_value(cases[k].argc, argv, &i, cases[k].name, &v);
        int vok = cases[k].value ? v && !strcmp(v, cases[k].value) : v == NULL;
        if (m != cases[k].match || !vok || i != cases[k].next_i)
            ROW_FAILED("opts_value(%s, \"%s\") gave %d, value %s, i %d", cases[k].argv[0],
                       cases[k].name, m, v ? v : "(null)", i);
    }
}

/* The train/eval algorithm options: each one lands in its field, ranges hold,
 * other words are left to the command. */
static void test_algo_opts_table(void)
{
    static const struct {
        const char *opt, *val;
        int rc;
    } cases[] = {
        {"--neighbours", "20", 1},
        {"--neighbours", "0", -1},
        {"--neighbours", "1001", -1},
        {"--threshold", "0.5", 1},
        {"--threshold", "1.5", -1},
        {"--max-postings", "10", 1},
        {"--item-neighbours", "7", 1},
        {"--factors", "64", 1},
        {"--factors", "257", -1},
        {"--iterations", "3", 1},
        {"--cg-steps", "0", 1},
        {"--cg-steps", "101", -1},
        {"--reg", "0.01", 1},
        {"--alpha", "10", 1},
        {"--window", "14", 1},
        {"--long-window", "60", 1},
        {"--state-window", "45", 1},
        {"--state-weight", "2.5", 1},
        {"--seed", "7", 1},
        {"--seed", "-1", -1},
        {"--seed", "7x", -1},
        {"--neighbours", NULL, -1},
        {"--db", "x", 0},
        {"--neighbour", "5", 0},
    };
    for (size_t k = 0; k < COUNT(cases); k++) {
        struct algo_params p;
        algo_params_default(&p);
        char *argv[3] = {(char *)cases[k].opt, (char *)cases[k].val, NULL};
        int argc = cases[k].val ? 2 : 1, i = 0;
        int rc = algo_opts_parse(argc, argv, &i, &p);
        if (rc != cases[k].rc || i != (rc == 1 ? 1 : 0))
            ROW_FAILED("algo_opts_parse(%s %s) gave %d, i %d; want %d", cases[k].opt,
                       cases[k].val ? cases[k].val : "(none)", rc, i, cases[k].rc);
    }
    /* the values land in their fields */
    struct algo_params p;
    algo_params_default(&p);
    char *argv[] = {"--neighbours",   "20",  "--threshold", "0.5", "--factors",  "64",
                    "--state-weight", "2.5", "--seed",      "7",   "--cg-steps", "0"};
    int argc = (int)COUNT(argv);
    for (int i = 0; i < argc; i++)
        CHECK_INT(algo_opts_parse(argc, argv, &i, &p), 1);
    CHECK_INT(p.neighbours, 20);
    CHECK_NEAR(p.threshold, 0.5, 0);
    CHECK_INT(p.factors, 64);
    CHECK_NEAR(p.state_weight, 2.5, 0);
    CHECK_INT(p.seed, 7);
    CHECK_INT(p.cg_steps, 0);
    CHECK(strstr(algo_opts_help(), "--state-weight") != NULL);
}

/* Each run flag sets its field only; anything else is not a run flag. */
static void test_run_flag_table(void)
{
    static const struct {
        const char *arg;
        int taken, json, quiet, store;
    } rows[] = {
        {"--json", 1, 1, 0, 1},  {"--quiet", 1, 0, 1, 1}, {"-q", 1, 0, 1, 1},
        {"--no-store", 1, 0, 0, 0}, {"--jsonx", 0, 0, 0, 1}, {"--db", 0, 0, 0, 1},
        {"-", 0, 0, 0, 1},       {"", 0, 0, 0, 1},
    };
    for (size_t i = 0; i < COUNT(rows); i++) {
        struct opts_run_flags f = {.json = 0, .quiet = 0, .store = 1};
        int taken = opts_run_flag(rows[i].arg, &f);
        if (taken != rows[i].taken || f.json != rows[i].json || f.quiet != rows[i].quiet ||
            f.store != rows[i].store)
            ROW_FAILED("row %zu '%s': taken %d json %d quiet %d store %d", i, rows[i].arg, taken,
                       f.json, f.quiet, f.store);
    }
}

int main(void)
{
    RUN(test_parse_long_table);
    RUN(test_parse_int_table);
    RUN(test_parse_double_table);
    RUN(test_parse_interval_table);
    RUN(test_opts_value_table);
    RUN(test_algo_opts_table);
    RUN(test_run_flag_table);
    return TEST_SUMMARY();
}
