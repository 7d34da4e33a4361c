/* Regression replay of the model blob fuzz target (fuzz/fuzz_model.c)
 * without libFuzzer (tests/unit/fuzz_replay.h): the seed corpus
 * fuzz/corpus/model (a blob of every algorithm, and broken ones) and
 * deterministic mutations of it; then a check that the seeds of every
 * algorithm do load, so mutations start from real models. */
#include "../../fuzz/fuzz_model.c"
#include "fuzz_replay.h"

static void test_every_algorithm_loads(void)
{
    int loaded[16] = {0}, n_algos = 0;
    for (int a = 0; algo_names[a]; a++)
        n_algos++;
    for (int i = 0; i < fuzz_n_seeds; i++) {
        struct model m;
        char err[512];
        if (modelformat_deserialize(fuzz_seeds[i].p, fuzz_seeds[i].n, &m, err, sizeof err) < 0)
            continue;
        for (int a = 0; algo_names[a] && a < 16; a++)
            if (!strcmp(algo_names[a], m.algorithm))
                loaded[a] = 1;
        model_free(&m);
    }
    for (int a = 0; a < n_algos && a < 16; a++) {
        if (!loaded[a])
            printf("#   no seed of algorithm %s loads\n", algo_names[a]);
        CHECK(loaded[a]);
    }
}

int main(void)
{
    static const unsigned char interesting[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0xfe, 0x10};
    static const struct fuzz_replay cfg = {.corpus = "fuzz/corpus/model",
                                           .max_input = 65536,
                                           .mutations = 2000,
                                           .min_seeds = 8,
                                           .interesting = interesting,
                                           .n_interesting = sizeof interesting};
    fuzz_replay_run(&cfg);
    RUN(test_every_algorithm_loads);
    fuzz_replay_free();
    return TEST_SUMMARY();
}
