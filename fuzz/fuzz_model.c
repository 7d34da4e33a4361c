/* libFuzzer target for the model blob reader (src/engine/modelformat.c):
 * the bytes a models table row holds, which a corrupt disk, a bad copy or a
 * hand-edited database can change. A blob that is not a model must be an
 * error (ERR_CORRUPT or ERR_NOMEM), never a crash; a blob that loads must
 * be a model every algorithm can serve from. So a loaded model answers a
 * few queries (known, unknown and edge users and states), whose results
 * are checked, and is serialised and read back to the same bytes. A
 * violation aborts, so libFuzzer (make fuzz) and the replay test
 * (tests/unit/test_fuzz_model.c, in `make test`) both report it. */
#include "engine/algo.h"
#include "engine/model.h"
#include "engine/modelformat.h"

#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static void check_recommend(const struct model *m, int32_t user, int state, int n, int repurchase)
{
    struct rec_query q = {
        .user = user, .state = state, .n = n, .allow_repurchase = repurchase, .explain = 1};
    struct rec_list out;
    memset(&out, 0, sizeof out);
    m->ops->recommend(m, &q, &out);
    FUZZ_ASSERT(out.n >= 0 && out.n <= n);
    for (int i = 0; i < out.n; i++) {
        FUZZ_ASSERT(out.items[i].item >= 0 && out.items[i].item < m->ctx.items.n);
        for (int k = 0; k < i; k++)
            FUZZ_ASSERT(out.items[k].item != out.items[i].item);
        FUZZ_ASSERT(repurchase || user < 0 || !reclist_owned(m, user, out.items[i].item));
    }
    FUZZ_ASSERT(memchr(out.explain, '\0', sizeof out.explain) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy with no slack after it, so any over-read is caught. */
    uint8_t *blob = malloc(size ? size : 1);
    if (!blob)
        return 0;
    memcpy(blob, data, size);
    struct model m;
    char err[512];
    err[0] = '\0';
    int rc = modelformat_deserialize(blob, size, &m, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == ERR_CORRUPT || rc == ERR_NOMEM);
    if (rc < 0) {
        FUZZ_ASSERT(err[0] != '\0');
        free(blob);
        return 0;
    }
    const struct dataset *c = &m.ctx;
    FUZZ_ASSERT(m.ops != NULL && c->users.n >= 0 && c->items.n >= 0);
    int32_t users[] = {-1, 0, c->users.n / 2, c->users.n - 1};
    int states[] = {-1, 0, c->n_states - 1};
    for (size_t u = 0; u < sizeof users / sizeof *users; u++)
        for (size_t s = 0; s < sizeof states / sizeof *states; s++) {
            if (users[u] >= c->users.n || states[s] >= c->n_states)
                continue;
            check_recommend(&m, users[u], states[s], 10, (int)(u & 1));
            check_recommend(&m, users[u], states[s], REC_MAX_ITEMS, 1);
        }
    /* Written back, it reads again, and a second round trip changes nothing. */
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    if (modelformat_serialize(&m, &b1, &n1, err, sizeof err) == 0) {
        struct model m2;
        FUZZ_ASSERT(modelformat_deserialize(b1, n1, &m2, err, sizeof err) == 0);
        if (modelformat_serialize(&m2, &b2, &n2, err, sizeof err) == 0) {
            FUZZ_ASSERT(n1 == n2 && memcmp(b1, b2, n1) == 0);
            free(b2);
        }
        model_free(&m2);
        free(b1);
    }
    model_free(&m);
    free(blob);
    return 0;
}
