/* Regression replay of the JSON body fuzz target (fuzz/fuzz_body.c) without
 * libFuzzer (tests/unit/fuzz_replay.h): the seed corpus fuzz/corpus/body and
 * deterministic mutations of it; then a check that the seeds reach both
 * outcomes, so the corpus is not all refused at the first byte. */
#include "../../fuzz/fuzz_body.c"
#include "fuzz_replay.h"

static void test_corpus_covers_outcomes(void)
{
    int ok = 0, refused = 0, rec_ok = 0;
    char err[256];
    for (int i = 0; i < fuzz_n_seeds; i++) {
        cJSON *j = NULL;
        struct body_rec br = {10, 0};
        if (body_parse_object((const char *)fuzz_seeds[i].p, fuzz_seeds[i].n, &j, err,
                              sizeof err) == 0)
            ok++;
        else
            refused++;
        cJSON_Delete(j);
        if (body_parse_rec((const char *)fuzz_seeds[i].p, fuzz_seeds[i].n, 100, &br, err,
                           sizeof err) == 0 &&
            br.count != 10)
            rec_ok++;
    }
    CHECK(ok >= 5 && refused >= 5 && rec_ok >= 2);
}

int main(void)
{
    static const unsigned char interesting[] = {'{', '}', '[', ']', '"', ':', ',',  '\\',
                                                '0', '9', '-', 'e', ' ', 0,   0xff, 't'};
    static const struct fuzz_replay cfg = {.corpus = "fuzz/corpus/body",
                                           .max_input = 4096,
                                           .mutations = 2000,
                                           .min_seeds = 20,
                                           .interesting = interesting,
                                           .n_interesting = sizeof interesting};
    fuzz_replay_run(&cfg);
    RUN(test_corpus_covers_outcomes);
    fuzz_replay_free();
    return TEST_SUMMARY();
}
