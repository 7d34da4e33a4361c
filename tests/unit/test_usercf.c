/* User-user collaborative filtering: hand-computed cosines, neighbour
 * threshold and top-k, owned products excluded on the tiny shop; and the
 * neighbour search at a scale where its shortcuts matter (the shared lists of
 * one-product buyers, the chunks over threads, the bounded top-k and the
 * sampled postings), each checked against a brute force. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/algo.h"
#include "engine/modelformat.h"
#include "engine/usercf.h"
#include "engine_fixture.h"
#include "test.h"

/* User u's neighbours as usercf_row gives them (own row, or the shared list
 * of its product without itself), copied into idx/sim; returns the count. */
static int64_t row_of(const struct knn *k, const struct csr *ui, int32_t u, int32_t *idx,
                      float *sim)
{
    struct ucf_row r;
    int64_t n = 0;
    usercf_row(k, ui, u, &r);
    for (int64_t p = 0; p < r.n; p++)
        if (r.idx[p] != r.skip) {
            idx[n] = r.idx[p];
            sim[n++] = r.sim[p];
        }
    return n;
}

/* {Phone, Laptop, Mouse, Keyboard} . {Phone, Laptop, Tablet} = 2 / (2 sqrt 3) */
static void test_cosine_hand_computed(void)
{
    int32_t r[] = {0, 0, 0, 0, 1, 1, 1}, c[] = {0, 1, 2, 3, 0, 1, 4};
    struct csr ui, iu;
    double cos;
    csr_from_pairs(2, 5, 7, r, c, &ui, NULL, 0);
    csr_transpose(&ui, &iu, NULL, 0);
    usercf_similarity(&ui, &iu, 0, 1, &cos);
    CHECK_NEAR(cos, 2.0 / (2.0 * sqrt(3.0)), 1e-12);
    CHECK_NEAR(cos, 0.577, 0.0005);
    struct knn k;
    int32_t idx[8];
    float sim[8];
    CHECK_INT(usercf_fit_knn(&ui, &iu, 50, 0.3, 200, &k, NULL, 0), 0);
    CHECK_INT(row_of(&k, &ui, 0, idx, sim), 1);
    CHECK_INT(idx[0], 1);
    CHECK_NEAR(sim[0], 0.57735, 1e-5);
    knn_free(&k);
    csr_free(&ui);
    csr_free(&iu);
}

/* user 0 = {A,B,C,D}; 1 = {A,B,E} (0.577); 2 = {A} (0.5); 3 = {F} (0) */
static void test_neighbour_threshold_and_topk(void)
{
    int32_t r[] = {0, 0, 0, 0, 1, 1, 1, 2, 3}, c[] = {0, 1, 2, 3, 0, 1, 4, 0, 5};
    struct csr ui, iu;
    struct knn k;
    int32_t idx[8];
    float sim[8];
    csr_from_pairs(4, 6, 9, r, c, &ui, NULL, 0);
    csr_transpose(&ui, &iu, NULL, 0);
    usercf_fit_knn(&ui, &iu, 50, 0.3, 200, &k, NULL, 0);
    CHECK_INT(row_of(&k, &ui, 0, idx, sim), 2);
    CHECK_INT(idx[0], 1); /* best first */
    CHECK_INT(idx[1], 2);
    CHECK_NEAR(sim[1], 0.5, 1e-6);
    CHECK_INT(row_of(&k, &ui, 3, idx, sim), 0); /* user 3 shares nothing */
    /* user 2 = {A} reads the shared list of A: users 1 (0.577) and 0 (0.5) */
    CHECK_INT(row_of(&k, &ui, 2, idx, sim), 2);
    CHECK_INT(idx[0], 1);
    CHECK_INT(idx[1], 0);
    CHECK_INT(k.ptr[3] - k.ptr[2], 0); /* and keeps no row of its own */
    knn_free(&k);
    usercf_fit_knn(&ui, &iu, 50, 0.55, 200, &k, NULL, 0);
    CHECK_INT(row_of(&k, &ui, 0, idx, sim), 1);
    knn_free(&k);
    usercf_fit_knn(&ui, &iu, 1, 0.3, 200, &k, NULL, 0);
    CHECK_INT(row_of(&k, &ui, 0, idx, sim), 1);
    CHECK_INT(idx[0], 1);
    /* user 2 = {A}: cos with 0 is 0.5, with 1 is 0.577 -> top-1 is user 1 */
    CHECK_INT(row_of(&k, &ui, 2, idx, sim), 1);
    CHECK_INT(idx[0], 1);
    knn_free(&k);
    /* a cap of 1 posting per product still finds a neighbour, never more work */
    usercf_fit_knn(&ui, &iu, 50, 0.0, 1, &k, NULL, 0);
    CHECK(row_of(&k, &ui, 0, idx, sim) <= 1);
    knn_free(&k);
    csr_free(&ui);
    csr_free(&iu);
}

static void test_usercf_excludes_owned_and_scores(void)
{
    struct dataset ds;
    struct model m;
    char err[256];
    if (load_ds(&ds) < 0 || model_train(&ds, "usercf", NULL, dataset_parse_day("2018-01-01"), &m,
                                        err, sizeof err) < 0) {
        CHECK(0);
        return;
    }
    struct rec_query q = {.user = user_of(&m, 0), .state = -1, .n = 5};
    struct rec_list out = {0};
    m.ops->recommend(&m, &q, &out);
    CHECK_INT(out.n, 3); /* 7 products, 4 owned */
    /* neighbours of person 0: 1 (0.577) and 2 (0.5); the only unowned
     * candidate is Tablet: 0.577 / 1.077 x (1 + 1 purchase) */
    CHECK_INT(out.items[0].item, item_of(&m, TABLET));
    CHECK_STR(out.items[0].source, "usercf");
    CHECK_NEAR(out.items[0].score, 2 * (1 / sqrt(3)) / (1 / sqrt(3) + 0.5), 1e-5);
    for (int i = 0; i < out.n; i++) {
        CHECK(!reclist_owned(&m, q.user, out.items[i].item));
        for (int j = 0; j < i; j++)
            CHECK(out.items[i].item != out.items[j].item);
    }
    /* repurchase allowed: owned products may come back (Phone, Laptop from neighbours) */
    q.allow_repurchase = 1;
    out.n = 0;
    m.ops->recommend(&m, &q, &out);
    int owned = 0;
    for (int i = 0; i < out.n; i++)
        owned += reclist_owned(&m, q.user, out.items[i].item);
    CHECK(owned > 0);
    model_free(&m);
    dataset_free(&ds);
}

static int cmp_cand_ref(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

/* The reference neighbours of u: every buyer met in the evenly spaced sample
 * of at most mp buyers of each of u's products, its exact cosine, the best k
 * (at least 0.3) by a full sort; into cand, returns how many. */
static size_t ref_row(const struct csr *ui, const struct csr *iu, int32_t u, size_t k, int64_t mp,
                      struct cand *cand, char *seen, int32_t *touched)
{
    size_t m = 0, nt = 0;
    for (int64_t p = ui->ptr[u]; p < ui->ptr[u + 1]; p++) {
        int64_t s = iu->ptr[ui->idx[p]], len = iu->ptr[ui->idx[p] + 1] - s;
        int64_t take = len < mp ? len : mp;
        for (int64_t q = 0; q < take; q++) {
            int32_t v = iu->idx[s + q * len / take];
            double cos;
            if (v == u || seen[v])
                continue;
            seen[v] = 1;
            touched[nt++] = v;
            usercf_similarity(ui, iu, u, v, &cos);
            if (cos >= 0.3 - 1e-9)
                cand[m++] = (struct cand){v, (float)cos};
        }
    }
    for (size_t t = 0; t < nt; t++)
        seen[touched[t]] = 0;
    qsort(cand, m, sizeof *cand, cmp_cand_ref);
    return m < k ? m : k;
}

/* 1 when every user's neighbours in x and y are the same (indexes and
 * similarities, in order) */
static int same_rows(const struct knn *x, const struct knn *y, const struct csr *ui)
{
    int32_t xi[64], yi[64];
    float xs[64], ys[64];
    for (int32_t u = 0; u < ui->n_rows; u++) {
        int64_t n = row_of(x, ui, u, xi, xs);
        if (n != row_of(y, ui, u, yi, ys) || memcmp(xi, yi, (size_t)n * sizeof *xi) ||
            memcmp(xs, ys, (size_t)n * sizeof *xs))
            return 0;
    }
    return 1;
}

/* The lists through a blob: the shared layout reads back the same rows
 * (similarities recomputed); the layout of models stored before the shared
 * lists (a row per user) still loads, to the same rows; a shared entry who
 * did not buy its product, or a truncated blob, is refused. */
static void lists_round_trip(struct knn *a, const struct csr *ui)
{
    struct blob_writer w = {0};
    struct knn l, old = {0};
    usercf_save_lists(a, &w);
    struct blob_reader r = {w.buf, w.len, 0, 0};
    CHECK_INT(usercf_load_lists(&l, ui, &r), 0);
    CHECK(r.off == r.len && l.shared && l.top == a->top);
    CHECK(same_rows(a, &l, ui));
    knn_free(&l);
    r = (struct blob_reader){w.buf, w.len - 3, 0, 0};
    CHECK(usercf_load_lists(&l, ui, &r) < 0);
    knn_free(&l);
    /* the shared lists start after the rows: spoil the last shared index */
    int32_t bad = -1, last_item = -1;
    for (int32_t i = ui->n_cols - 1; i >= 0 && last_item < 0; i--)
        if (a->shared->ptr[i + 1] > a->shared->ptr[i])
            last_item = i;
    CHECK(last_item >= 0);
    struct blob_writer t = {0};
    int32_t keep = a->shared->idx[a->shared->ptr[last_item + 1] - 1];
    for (int32_t v = 0; v < ui->n_rows; v++) { /* a user who did not buy it */
        int has = 0;
        for (int64_t p = ui->ptr[v]; p < ui->ptr[v + 1]; p++)
            has |= ui->idx[p] == last_item;
        if (!has) {
            bad = v;
            break;
        }
    }
    a->shared->idx[a->shared->ptr[last_item + 1] - 1] = bad;
    usercf_save_lists(a, &t);
    a->shared->idx[a->shared->ptr[last_item + 1] - 1] = keep;
    r = (struct blob_reader){t.buf, t.len, 0, 0};
    CHECK(usercf_load_lists(&l, ui, &r) < 0);
    knn_free(&l);
    /* the old layout: every user's expanded row */
    old.n_rows = ui->n_rows;
    old.ptr = calloc((size_t)ui->n_rows + 1, sizeof *old.ptr);
    old.idx = malloc((size_t)ui->n_rows * 64 * sizeof *old.idx);
    old.sim = malloc((size_t)ui->n_rows * 64 * sizeof *old.sim);
    for (int32_t u = 0; u < ui->n_rows; u++) {
        old.nnz += row_of(a, ui, u, old.idx + old.nnz, old.sim + old.nnz);
        old.ptr[u + 1] = old.nnz;
    }
    struct blob_writer o = {0};
    usercf_save_lists(&old, &o);
    CHECK(o.len > w.len); /* the shared layout is the smaller */
    r = (struct blob_reader){o.buf, o.len, 0, 0};
    CHECK_INT(usercf_load_lists(&l, ui, &r), 0);
    CHECK(r.off == r.len && !l.shared);
    CHECK(same_rows(a, &l, ui));
    knn_free(&l);
    knn_free(&old);
    free(w.buf);
    free(t.buf);
    free(o.buf);
}

/* The fast neighbour search (shared lists for one-product buyers, chunks over
 * threads, bounded top-k) against a brute force over every pair of users
 * sharing a product, on 3000 users (two chunks) with skewed popularity; and
 * the same lists for 1 and 3 threads. */
static void test_usercf_matches_brute_force(void)
{
    enum { NU = 3000, NI = 40, K = 5 };
    int32_t *r = malloc(4 * NU * sizeof *r), *c = malloc(4 * NU * sizeof *c);
    int64_t n = 0;
    uint64_t x = 12345;
    for (int32_t u = 0; u < NU; u++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int items = (x >> 60) < 11 ? 1 : 2 + (int)((x >> 40) % 3); /* ~70% one product */
        for (int t = 0; t < items; t++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t h = (uint32_t)(x >> 33) % 1000;
            r[n] = u;
            c[n++] = (int32_t)(h * h / 25000); /* skewed towards low item numbers */
        }
    }
    struct csr ui, iu;
    struct knn a, b;
    csr_from_pairs(NU, NI, n, r, c, &ui, NULL, 0);
    csr_transpose(&ui, &iu, NULL, 0);
    setenv("RECSYS_THREADS", "1", 1);
    CHECK_INT(usercf_fit_knn(&ui, &iu, K, 0.3, 1000000, &a, NULL, 0), 0);
    setenv("RECSYS_THREADS", "3", 1);
    CHECK_INT(usercf_fit_knn(&ui, &iu, K, 0.3, 1000000, &b, NULL, 0), 0);
    unsetenv("RECSYS_THREADS");
    CHECK_INT(a.nnz, b.nnz);
    CHECK(a.shared && b.shared && a.shared->nnz == b.shared->nnz);
    int same = a.nnz == b.nnz && a.shared && b.shared && a.shared->nnz == b.shared->nnz;
    for (int32_t u = 0; same && u <= NU; u++)
        same = a.ptr[u] == b.ptr[u];
    for (int64_t k = 0; same && k < a.nnz; k++)
        same = a.idx[k] == b.idx[k] && a.sim[k] == b.sim[k];
    for (int64_t k = 0; same && k < a.shared->nnz; k++)
        same = a.shared->idx[k] == b.shared->idx[k] && a.shared->sim[k] == b.shared->sim[k];
    CHECK(same);
    struct cand *cand = malloc(NU * sizeof *cand);
    char *seen = calloc(NU, 1);
    int32_t *touched = malloc(NU * sizeof *touched), ridx[K + 1];
    float rsim[K + 1];
    int bad = 0, singles = 0, single_rows = 0;
    int64_t listed = 0;
    for (int32_t u = 0; u < NU; u++) {
        size_t m = ref_row(&ui, &iu, u, K, 1000000, cand, seen, touched);
        singles += ui.ptr[u + 1] - ui.ptr[u] == 1;
        single_rows += ui.ptr[u + 1] - ui.ptr[u] == 1 && a.ptr[u + 1] > a.ptr[u];
        listed += (int64_t)m;
        if ((int64_t)m != row_of(&a, &ui, u, ridx, rsim)) {
            bad++;
            continue;
        }
        for (size_t t = 0; t < m; t++)
            bad += ridx[t] != cand[t].item || rsim[t] != cand[t].score;
    }
    CHECK_INT(bad, 0);
    CHECK(singles > NU / 2 && a.nnz > NU); /* the data exercises both paths */
    /* one-product buyers keep no row: the lists stored are a fraction of those read */
    CHECK_INT(single_rows, 0);
    CHECK(a.nnz + a.shared->nnz < listed / 2);
    /* sampled postings (3 or 20 buyers per product): fewer candidates, the
     * best k of them by their exact cosines (the bound that skips merges
     * never drops one that belongs) */
    for (int mp = 3; mp <= 20; mp += 17) {
        knn_free(&b);
        CHECK_INT(usercf_fit_knn(&ui, &iu, K, 0.3, mp, &b, NULL, 0), 0);
        CHECK(b.nnz > 0);
        bad = 0;
        for (int32_t u = 0; u < NU; u++) {
            size_t m = ref_row(&ui, &iu, u, K, mp, cand, seen, touched);
            if ((int64_t)m != row_of(&b, &ui, u, ridx, rsim)) {
                bad++;
                continue;
            }
            for (size_t t = 0; t < m; t++)
                bad += ridx[t] != cand[t].item || rsim[t] != cand[t].score;
        }
        CHECK_INT(bad, 0);
    }
    lists_round_trip(&a, &ui);
    /* knn_select_top keeps the same best k as a full sort */
    for (size_t t = 0; t < 500; t++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        cand[t] = (struct cand){(int32_t)t, (float)((x >> 59) % 7)};
    }
    struct cand *ref = malloc(500 * sizeof *ref);
    memcpy(ref, cand, 500 * sizeof *ref);
    qsort(ref, 500, sizeof *ref, cmp_cand_ref);
    CHECK_INT((int)knn_select_top(cand, 500, 37), 37);
    for (int t = 0; t < 37; t++)
        CHECK(cand[t].item == ref[t].item);
    CHECK_INT((int)knn_select_top(cand, 3, 10), 3);
    free(ref);
    free(cand);
    free(seen);
    free(touched);
    free(r);
    free(c);
    knn_free(&a);
    knn_free(&b);
    csr_free(&ui);
    csr_free(&iu);
}

/* A usercf model stored before the shared lists (the fuzz seed, a row per
 * user) still loads, and its users have the neighbours a fit gives now; the
 * model saved again uses the shared layout and reads back the same. */
static void test_older_blob_loads(void)
{
    FILE *f = fopen("fuzz/corpus/model/usercf", "rb");
    static uint8_t buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    struct model m, again;
    struct knn fit;
    char err[256];
    if (f)
        fclose(f);
    CHECK(n > 0);
    if (modelformat_deserialize(buf, n, &m, err, sizeof err) < 0) {
        printf("#   %s\n", err);
        CHECK(0);
        return;
    }
    CHECK(m.ucf.shared == NULL && m.ucf.nnz > 0);
    CHECK_INT(usercf_fit_knn(&m.ui, &m.iu, m.params.neighbours, m.params.threshold,
                             m.params.max_postings, &fit, NULL, 0),
              0);
    CHECK(fit.shared != NULL);
    CHECK(same_rows(&m.ucf, &fit, &m.ui));
    knn_free(&m.ucf);
    m.ucf = fit;
    uint8_t *blob = NULL;
    size_t len = 0;
    CHECK_INT(modelformat_serialize(&m, &blob, &len, err, sizeof err), 0);
    CHECK_INT(modelformat_deserialize(blob, len, &again, err, sizeof err), 0);
    CHECK(again.ucf.shared && same_rows(&m.ucf, &again.ucf, &m.ui));
    free(blob);
    model_free(&again);
    model_free(&m);
}

int main(void)
{
    fixture_make_db();
    RUN(test_cosine_hand_computed);
    RUN(test_neighbour_threshold_and_topk);
    RUN(test_usercf_excludes_owned_and_scores);
    RUN(test_usercf_matches_brute_force);
    RUN(test_older_blob_loads);
    fixture_remove();
    return TEST_SUMMARY();
}
