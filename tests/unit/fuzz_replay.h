/* Regression replay of a libFuzzer target without libFuzzer, so gcc builds
 * run every fuzz target in `make test`: each file of its seed corpus
 * (fuzz/corpus/NAME; FUZZ_CORPUS overrides the directory), then a bounded
 * number of deterministic mutations of them (bit flips, interesting bytes,
 * inserted and deleted bytes, truncations, splices, repeated chunks). The
 * targets abort on a broken invariant, and ASan/UBSan builds catch memory
 * errors; either makes the test binary fail. A test_fuzz_NAME.c includes
 * fuzz/fuzz_NAME.c, then this header, and calls fuzz_replay_main(). */
#ifndef RECSYS_FUZZ_REPLAY_H
#define RECSYS_FUZZ_REPLAY_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define FUZZ_REPLAY_MAX_SEEDS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_seed {
    unsigned char *p;
    size_t n;
};

struct fuzz_replay {
    const char *corpus; /* default corpus directory, from the repository root */
    size_t max_input;   /* bytes: longer seeds are cut, mutations never grow past it */
    int mutations;      /* per seed */
    int min_seeds;      /* fewer corpus files fail the test */
    const unsigned char *interesting; /* bytes worth planting (delimiters, digits) */
    size_t n_interesting;
};

static struct fuzz_seed fuzz_seeds[FUZZ_REPLAY_MAX_SEEDS];
static int fuzz_n_seeds;
static const struct fuzz_replay *fuzz_cfg;
static uint64_t fuzz_rng = 0x9e3779b97f4a7c15ull;

static uint64_t fuzz_rand(void)
{
    fuzz_rng ^= fuzz_rng << 13;
    fuzz_rng ^= fuzz_rng >> 7;
    fuzz_rng ^= fuzz_rng << 17;
    return fuzz_rng;
}

static const char *fuzz_corpus_dir(void)
{
    const char *d = getenv("FUZZ_CORPUS");
    return d && *d ? d : fuzz_cfg->corpus;
}

/* Runs the target on every corpus file and keeps them as mutation seeds. */
static void test_replay_corpus(void)
{
    DIR *d = opendir(fuzz_corpus_dir());
    CHECK(d != NULL);
    if (!d) {
        printf("#   cannot open %s (run from the repository root)\n", fuzz_corpus_dir());
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) && fuzz_n_seeds < FUZZ_REPLAY_MAX_SEEDS) {
        if (de->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", fuzz_corpus_dir(), de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        unsigned char *p = malloc(fuzz_cfg->max_input ? fuzz_cfg->max_input : 1);
        size_t n = p ? fread(p, 1, fuzz_cfg->max_input, f) : 0;
        fclose(f);
        if (!p)
            continue;
        LLVMFuzzerTestOneInput(p, n); /* aborts on a broken invariant */
        fuzz_seeds[fuzz_n_seeds].p = p;
        fuzz_seeds[fuzz_n_seeds].n = n;
        fuzz_n_seeds++;
    }
    closedir(d);
    printf("#   replayed %d corpus files from %s\n", fuzz_n_seeds, fuzz_corpus_dir());
    CHECK(fuzz_n_seeds >= fuzz_cfg->min_seeds);
}

/* One mutation of seed s into out (at most max_input bytes); its length. */
static size_t fuzz_mutate(const struct fuzz_seed *s, unsigned char *out)
{
    const size_t max = fuzz_cfg->max_input;
    size_t n = s->n;
    memcpy(out, s->p, n);
    int rounds = 1 + (int)(fuzz_rand() % 4);
    for (int k = 0; k < rounds; k++) {
        size_t pos = n ? (size_t)(fuzz_rand() % n) : 0;
        switch (fuzz_rand() % 7) {
        case 0: /* flip a bit */
            if (n)
                out[pos] ^= (unsigned char)(1u << (fuzz_rand() % 8));
            break;
        case 1: /* an interesting byte */
            if (n && fuzz_cfg->n_interesting)
                out[pos] = fuzz_cfg->interesting[fuzz_rand() % fuzz_cfg->n_interesting];
            break;
        case 2: /* insert a byte */
            if (n < max) {
                memmove(out + pos + 1, out + pos, n - pos);
                out[pos] = (unsigned char)fuzz_rand();
                n++;
            }
            break;
        case 3: /* delete a byte */
            if (n) {
                memmove(out + pos, out + pos + 1, n - pos - 1);
                n--;
            }
            break;
        case 4: /* truncate */
            n = pos;
            break;
        case 5: { /* splice the tail of another seed */
            const struct fuzz_seed *o = &fuzz_seeds[fuzz_rand() % (uint64_t)fuzz_n_seeds];
            size_t from = o->n ? (size_t)(fuzz_rand() % o->n) : 0, take = o->n - from;
            if (pos + take > max)
                take = max - pos;
            memcpy(out + pos, o->p + from, take);
            n = pos + take;
            break;
        }
        default: { /* repeat a chunk (long fields, many rows or members) */
            size_t len = 1 + (size_t)(fuzz_rand() % 32), times = 1 + (size_t)(fuzz_rand() % 64);
            if (pos + len > n)
                len = n - pos;
            for (size_t t = 0; t < times && n + len <= max && len; t++) {
                memmove(out + pos + len, out + pos, n - pos);
                n += len;
            }
            break;
        }
        }
    }
    return n;
}

static void test_mutations(void)
{
    CHECK(fuzz_n_seeds > 0);
    if (!fuzz_n_seeds)
        return;
    unsigned char *buf = malloc(fuzz_cfg->max_input);
    CHECK(buf != NULL);
    if (!buf)
        return;
    long runs = 0;
    for (int i = 0; i < fuzz_n_seeds; i++)
        for (int k = 0; k < fuzz_cfg->mutations; k++) {
            size_t n = fuzz_mutate(&fuzz_seeds[i], buf);
            LLVMFuzzerTestOneInput(buf, n);
            runs++;
        }
    printf("#   %ld mutated inputs, no invariant broken\n", runs);
    free(buf);
}

static void fuzz_replay_free(void)
{
    for (int i = 0; i < fuzz_n_seeds; i++)
        free(fuzz_seeds[i].p);
    fuzz_n_seeds = 0;
}

/* Replays the corpus and its mutations as two tests. The seeds stay loaded
 * (fuzz_seeds) for any test the caller runs next; fuzz_replay_free drops them. */
static void fuzz_replay_run(const struct fuzz_replay *cfg)
{
    fuzz_cfg = cfg;
    RUN(test_replay_corpus);
    RUN(test_mutations);
}

#endif
