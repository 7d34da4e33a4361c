/* Regression replay of the CSV row fuzz target (fuzz/fuzz_csv.c) without
 * libFuzzer (tests/unit/fuzz_replay.h): the seed corpus fuzz/corpus/csv and
 * deterministic mutations of it; then a check that the seeds reach rows
 * that pass every rule, so the corpus is not all refused at the header. */
#include "../../fuzz/fuzz_csv.c"
#include "fuzz_replay.h"

/* Seeds of every file have rows that pass every rule. */
static void test_corpus_reaches_valid_rows(void)
{
    long rows_ok[INGEST_NFILES] = {0};
    for (int i = 0; i < fuzz_n_seeds; i++) {
        long n = fuzz_csv_run(fuzz_seeds[i].p, fuzz_seeds[i].n);
        if (n > 0)
            rows_ok[(fuzz_seeds[i].p[0] & 0x0f) % INGEST_NFILES] += n;
    }
    for (int f = 0; f < INGEST_NFILES; f++) {
        if (!rows_ok[f])
            printf("#   no seed has a valid row of %s\n", OLIST_FILES[f].base);
        CHECK(rows_ok[f] > 0);
    }
}

int main(void)
{
    static const unsigned char interesting[] = {',', '"', '\n', '\r', '-',  '.',  ':',  ' ',
                                                '0', '9', 'e',  0,    0xef, 0xff, 0x1f, 0x8b};
    static const struct fuzz_replay cfg = {.corpus = "fuzz/corpus/csv",
                                           .max_input = 8192,
                                           .mutations = 300,
                                           .min_seeds = 20,
                                           .interesting = interesting,
                                           .n_interesting = sizeof interesting};
    fuzz_replay_run(&cfg);
    RUN(test_corpus_reaches_valid_rows);
    fuzz_replay_free();
    return TEST_SUMMARY();
}
