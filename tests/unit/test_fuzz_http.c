/* Regression replay of the HTTP fuzz target (fuzz/fuzz_http.c) without
 * libFuzzer (tests/unit/fuzz_replay.h): the seed corpus fuzz/corpus/http and
 * deterministic mutations of it; then a check that the seeds reach every
 * outcome of the parser. */
#include "../../fuzz/fuzz_http.c"
#include "fuzz_replay.h"

/* The seeds do reach every outcome of the parser, so the corpus is not
 * trivially rejected at the first byte. */
static void test_corpus_covers_outcomes(void)
{
    int seen_ok = 0, seen_more = 0, seen[600] = {0};
    struct http_limits lim;
    http_limits_default(&lim);
    for (int i = 0; i < fuzz_n_seeds; i++) {
        struct http_request req;
        long r = http_parse_request((const char *)fuzz_seeds[i].p, fuzz_seeds[i].n, &lim, &req);
        if (r > 0)
            seen_ok = 1;
        else if (r == 0)
            seen_more = 1;
        else if (-r < 600)
            seen[-r] = 1;
    }
    CHECK(seen_ok && seen_more);
    CHECK(seen[400] && seen[413] && seen[431] && seen[501] && seen[505]);
}

int main(void)
{
    static const unsigned char interesting[] = {'\r', '\n', ':', ' ',  '\t', '?', '/',
                                                '0',  '9',  0,   0x7f, 0xff, '&', '='};
    static const struct fuzz_replay cfg = {.corpus = "fuzz/corpus/http",
                                           .max_input = 16384,
                                           .mutations = 1500,
                                           .min_seeds = 20,
                                           .interesting = interesting,
                                           .n_interesting = sizeof interesting};
    fuzz_replay_run(&cfg);
    RUN(test_corpus_covers_outcomes);
    fuzz_replay_free();
    return TEST_SUMMARY();
}
