/* Regression replay of the regions.conf fuzz target (fuzz/fuzz_regions.c)
 * without libFuzzer (tests/unit/fuzz_replay.h): the seed corpus
 * fuzz/corpus/regions and deterministic mutations of it; then checks that
 * the seeds include valid files and that regions_parse reads a buffer as
 * regions_load reads the same bytes from a file. */
#include "../../fuzz/fuzz_regions.c"
#include "fuzz_replay.h"

#include <unistd.h>

static void test_corpus_covers_outcomes(void)
{
    int ok = 0, refused = 0;
    static struct regions_conf c;
    char err[1024];
    for (int i = 0; i < fuzz_n_seeds; i++) {
        if (regions_parse("seed", (const char *)fuzz_seeds[i].p, fuzz_seeds[i].n, &c, err,
                          sizeof err) == 0)
            ok++;
        else
            refused++;
    }
    CHECK(ok >= 5 && refused >= 10);
}

/* Every seed gives the same outcome, configuration and message (bar the
 * name) through a file as through a buffer. */
static void test_load_is_parse(void)
{
    static struct regions_conf a, b;
    char ea[1024], eb[1024], path[] = "/tmp/test_fuzz_regions.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    for (int i = 0; i < fuzz_n_seeds; i++) {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (!f)
            break;
        fwrite(fuzz_seeds[i].p, 1, fuzz_seeds[i].n, f);
        fclose(f);
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        ea[0] = eb[0] = '\0';
        int ra = regions_load(path, &a, ea, sizeof ea);
        int rb =
            regions_parse(path, (const char *)fuzz_seeds[i].p, fuzz_seeds[i].n, &b, eb, sizeof eb);
        CHECK_INT(ra, rb);
        if (ra == 0)
            CHECK(memcmp(&a, &b, sizeof a) == 0);
        else
            CHECK_STR(ea, eb);
    }
    unlink(path);
}

int main(void)
{
    static const unsigned char interesting[] = {'[', ']', '=', '#', ';', '\n', '\r', ' ',
                                                '-', '.', '0', '9', 'e', 0,    0xff, ','};
    static const struct fuzz_replay cfg = {.corpus = "fuzz/corpus/regions",
                                           .max_input = 4096,
                                           .mutations = 1500,
                                           .min_seeds = 20,
                                           .interesting = interesting,
                                           .n_interesting = sizeof interesting};
    fuzz_replay_run(&cfg);
    RUN(test_corpus_covers_outcomes);
    RUN(test_load_is_parse);
    fuzz_replay_free();
    return TEST_SUMMARY();
}
