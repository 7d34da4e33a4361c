/* Regression replay of the HTTP fuzz target (fuzz/fuzz_http.c) without
 * libFuzzer, so gcc builds run it in `make test`: every file of the seed
 * corpus fuzz/corpus/http (FUZZ_CORPUS overrides the directory), then a
 * bounded number of deterministic mutations of them (bit flips, inserted
 * and deleted bytes, truncations, splices, repeated chunks). The target
 * aborts on a broken invariant, and ASan/UBSan builds catch memory errors;
 * either makes this binary fail. */
#include "../../fuzz/fuzz_http.c"
#include "test.h"

#include <dirent.h>

#define MAX_SEEDS          256
#define FUZZ_MAX_INPUT     16384
#define MUTATIONS_PER_SEED 1500

struct seed {
    unsigned char *p;
    size_t n;
};

static struct seed seeds[MAX_SEEDS];
static int n_seeds;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *corpus_dir(void)
{
    const char *d = getenv("FUZZ_CORPUS");
    return d && *d ? d : "fuzz/corpus/http";
}

static void test_replay_corpus(void)
{
    DIR *d = opendir(corpus_dir());
    CHECK(d != NULL);
    if (!d) {
        printf("#   cannot open %s (run from the repository root)\n", corpus_dir());
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) && n_seeds < MAX_SEEDS) {
        if (de->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", corpus_dir(), de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        unsigned char *p = malloc(FUZZ_MAX_INPUT);
        size_t n = p ? fread(p, 1, FUZZ_MAX_INPUT, f) : 0;
        fclose(f);
        if (!p)
            continue;
        LLVMFuzzerTestOneInput(p, n); /* aborts on a broken invariant */
        seeds[n_seeds].p = p;
        seeds[n_seeds].n = n;
        n_seeds++;
    }
    closedir(d);
    printf("#   replayed %d corpus files from %s\n", n_seeds, corpus_dir());
    CHECK(n_seeds >= 20);
}

/* One mutation of seed s into out (at most FUZZ_MAX_INPUT bytes); its length. */
static size_t mutate(const struct seed *s, unsigned char *out)
{
    size_t n = s->n;
    memcpy(out, s->p, n);
    int rounds = 1 + (int)(next_rand() % 4);
    for (int k = 0; k < rounds; k++) {
        size_t pos = n ? (size_t)(next_rand() % n) : 0;
        switch (next_rand() % 7) {
        case 0: /* flip a bit */
            if (n)
                out[pos] ^= (unsigned char)(1u << (next_rand() % 8));
            break;
        case 1: /* an interesting byte */
            if (n) {
                static const unsigned char b[] = {'\r', '\n', ':', ' ',  '\t', '?', '/',
                                                  '0',  '9',  0,   0x7f, 0xff, '&', '='};
                out[pos] = b[next_rand() % sizeof b];
            }
            break;
        case 2: /* insert a byte */
            if (n < FUZZ_MAX_INPUT) {
                memmove(out + pos + 1, out + pos, n - pos);
                out[pos] = (unsigned char)next_rand();
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
            const struct seed *o = &seeds[next_rand() % (uint64_t)n_seeds];
            size_t from = o->n ? (size_t)(next_rand() % o->n) : 0, take = o->n - from;
            if (pos + take > FUZZ_MAX_INPUT)
                take = FUZZ_MAX_INPUT - pos;
            memcpy(out + pos, o->p + from, take);
            n = pos + take;
            break;
        }
        default: { /* repeat a chunk (long headers, many headers) */
            size_t len = 1 + (size_t)(next_rand() % 32), times = 1 + (size_t)(next_rand() % 64);
            if (pos + len > n)
                len = n - pos;
            for (size_t t = 0; t < times && n + len <= FUZZ_MAX_INPUT && len; t++) {
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
    CHECK(n_seeds > 0);
    if (!n_seeds)
        return;
    unsigned char *buf = malloc(FUZZ_MAX_INPUT);
    CHECK(buf != NULL);
    if (!buf)
        return;
    long runs = 0;
    for (int i = 0; i < n_seeds; i++)
        for (int k = 0; k < MUTATIONS_PER_SEED; k++) {
            size_t n = mutate(&seeds[i], buf);
            LLVMFuzzerTestOneInput(buf, n);
            runs++;
        }
    printf("#   %ld mutated inputs, no invariant broken\n", runs);
    free(buf);
}

/* The seeds do reach every outcome of the parser, so the corpus is not
 * trivially rejected at the first byte. */
static void test_corpus_covers_outcomes(void)
{
    int seen_ok = 0, seen_more = 0, seen[600] = {0};
    struct http_limits lim;
    http_limits_default(&lim);
    for (int i = 0; i < n_seeds; i++) {
        struct http_request req;
        long r = http_parse_request((const char *)seeds[i].p, seeds[i].n, &lim, &req);
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
    RUN(test_replay_corpus);
    RUN(test_mutations);
    RUN(test_corpus_covers_outcomes);
    for (int i = 0; i < n_seeds; i++)
        free(seeds[i].p);
    return TEST_SUMMARY();
}
