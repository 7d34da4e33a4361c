/* Evaluation metrics and the temporal-split evaluation loop. */
#include "engine/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static int in_sorted(const int32_t *a, int n, int32_t v)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (a[mid] == v)
            return 1;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

void eval_score_ranking(const int32_t *ranked, int n, const int32_t *truth, int n_truth, int k,
                        struct eval_metrics *acc)
{
    int hits = 0;
    double dcg = 0, idcg = 0;
    for (int r = 0; r < n && r < k; r++)
        if (in_sorted(truth, n_truth, ranked[r])) {
            hits++;
            dcg += 1.0 / log2(r + 2.0);
        }
    for (int r = 0; r < n_truth && r < k; r++)
        idcg += 1.0 / log2(r + 2.0);
    acc->precision += (double)hits / k;
    acc->recall += n_truth ? (double)hits / n_truth : 0;
    acc->hit_rate += hits > 0;
    acc->ndcg += idcg > 0 ? dcg / idcg : 0;
    acc->users++;
}

static void finish(struct eval_metrics *m, const uint8_t *seen, int32_t n_items)
{
    if (m->users) {
        m->precision /= (double)m->users;
        m->recall /= (double)m->users;
        m->hit_rate /= (double)m->users;
        m->ndcg /= (double)m->users;
    }
    int64_t c = 0;
    for (int32_t i = 0; i < n_items; i++)
        c += seen[i] != 0;
    m->coverage = n_items ? (double)c / n_items : 0;
}

int eval_model(const struct model *m, const struct dataset *ds, int32_t cutoff_day, int k,
               int allow_repurchase, struct eval_result *out, char *err, size_t errlen)
{
    struct eval_window w = {.from_day = cutoff_day};
    return eval_model_window(m, ds, &w, k, allow_repurchase, out, err, errlen);
}

int eval_model_window(const struct model *m, const struct dataset *ds, const struct eval_window *w,
                      int k, int allow_repurchase, struct eval_result *out, char *err,
                      size_t errlen)
{
    int32_t cutoff_day = w->from_day;
    memset(out, 0, sizeof *out);
    snprintf(out->algorithm, sizeof out->algorithm, "%s", m->algorithm);
    out->k = k;
    out->allow_repurchase = allow_repurchase;
    if (k < 1 || k > REC_MAX_ITEMS)
        return err_code_set(err, errlen, ERR_INVALID, "k must be 1..%d, not %d", REC_MAX_ITEMS, k);
    int64_t first = 0;
    while (first < ds->n_events && ds->events[first].day < cutoff_day)
        first++;
    int64_t last = ds->n_events;
    while (w->to_day > 0 && last > first && ds->events[last - 1].day >= w->to_day)
        last--;
    int64_t nt = last - first;
    if (nt <= 0)
        return err_code_set(err, errlen, ERR_INVALID,
                            "no purchases on or after the cutoff to evaluate on");
    if (w->user_hit)
        memset(w->user_hit, -1, (size_t)ds->users.n);
    int32_t *r = malloc((size_t)nt * sizeof *r), *c = malloc((size_t)nt * sizeof *c);
    uint8_t *seen_all = calloc((size_t)ds->items.n + 1, 1),
            *seen_warm = calloc((size_t)ds->items.n + 1, 1);
    struct csr test = {0};
    struct rec_list *list = malloc(sizeof *list);
    int rc = -1;
    if (!r || !c || !seen_all || !seen_warm || !list) {
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory evaluating");
        goto out;
    }
    for (int64_t e = 0; e < nt; e++) {
        r[e] = ds->events[first + e].user;
        c[e] = ds->events[first + e].item;
    }
    if ((rc = csr_from_pairs(ds->users.n, ds->items.n, nt, r, c, &test, err, errlen)) < 0)
        goto out;
    for (int32_t u = 0; u < test.n_rows; u++) {
        int64_t a = test.ptr[u], b = test.ptr[u + 1];
        if (a == b)
            continue;
        struct rec_query q = {
            .user = u, .state = ds->user_state[u], .n = k, .allow_repurchase = allow_repurchase};
        int32_t ranked[REC_MAX_ITEMS];
        list->n = 0;
        list->explain[0] = 0;
        if (w->fixed) {
            list->n = w->n_fixed < k ? w->n_fixed : k;
            memcpy(ranked, w->fixed, (size_t)list->n * sizeof *ranked);
        } else {
            m->ops->recommend(m, &q, list);
            for (int i = 0; i < list->n; i++)
                ranked[i] = list->items[i].item;
        }
        double hits_before = out->all.hit_rate;
        int warm = m->ui.ptr[u + 1] > m->ui.ptr[u];
        eval_score_ranking(ranked, list->n, test.idx + a, (int)(b - a), k, &out->all);
        if (w->user_hit)
            w->user_hit[u] = (int8_t)(out->all.hit_rate > hits_before);
        for (int i = 0; i < list->n; i++)
            seen_all[ranked[i]] = 1;
        if (warm) {
            eval_score_ranking(ranked, list->n, test.idx + a, (int)(b - a), k, &out->warm);
            for (int i = 0; i < list->n; i++)
                seen_warm[ranked[i]] = 1;
        }
    }
    finish(&out->all, seen_all, ds->items.n);
    finish(&out->warm, seen_warm, ds->items.n);
    rc = 0;
out:
    free(r), free(c), free(seen_all), free(seen_warm), free(list);
    csr_free(&test);
    return rc;
}

static void metrics_json(char *buf, size_t len, const struct eval_metrics *m)
{
    snprintf(buf, len,
             "{\"users\":%lld,\"precision\":%.6f,\"recall\":%.6f,\"hit_rate\":%.6f,"
             "\"ndcg\":%.6f,\"coverage\":%.6f}",
             (long long)m->users, m->precision, m->recall, m->hit_rate, m->ndcg, m->coverage);
}

char *eval_result_json(const struct eval_result *r, const char *cutoff)
{
    char a[256], w[256];
    metrics_json(a, sizeof a, &r->all);
    metrics_json(w, sizeof w, &r->warm);
    size_t len = strlen(a) + strlen(w) + 200;
    char *s = malloc(len);
    if (s)
        snprintf(s, len,
                 "{\"algorithm\":\"%s\",\"k\":%d,\"cutoff\":\"%s\",\"allow_repurchase\":%s,"
                 "\"all\":%s,\"warm\":%s}",
                 r->algorithm, r->k, cutoff ? cutoff : "", r->allow_repurchase ? "true" : "false",
                 a, w);
    return s;
}
