/* Repurchase propensity (see repurchase.h). */
#include "engine/repurchase.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* Weight of a top-propensity owned item against the hybrid's collaborative
 * score (each of user-user and item-item normalised to 1). Chosen on
 * validation cutoffs inside the training period (2017-08-01, 2017-10-01;
 * weights 0, 0.25, 1, 4, 100): the hit rate is the same for all (a user owns
 * few items, so they all fit in ten), NDCG@10 is best at 0.25..1. At 1 an
 * owned product of a category people rebuy ranks with the best fresh
 * candidates; one of a category nobody rebuys gets almost nothing. */
#define REPURCHASE_WEIGHT 1.0f

/* Position of item in row u of ui, -1 when absent. */
static int64_t row_find(const struct csr *ui, int32_t u, int32_t item)
{
    int64_t lo = ui->ptr[u], hi = ui->ptr[u + 1] - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (ui->idx[mid] == item)
            return mid;
        if (ui->idx[mid] < item)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

int repurchase_fit(struct repurchase *r, const struct dataset *ds, const struct csr *ui,
                   int32_t cutoff_day, char *err, size_t errlen)
{
    int32_t ni = ds->items.n;
    int nc = ds->n_cats;
    memset(r, 0, sizeof *r);
    uint8_t *days = calloc((size_t)ui->nnz + 1, 1);
    double *cb = calloc((size_t)nc + 1, sizeof *cb), *cr = calloc((size_t)nc + 1, sizeof *cr);
    double *ib = calloc((size_t)ni + 1, sizeof *ib), *ir = calloc((size_t)ni + 1, sizeof *ir);
    r->cat_p = malloc(((size_t)nc + 1) * sizeof *r->cat_p);
    r->item_p = malloc(((size_t)ni + 1) * sizeof *r->item_p);
    int rc = 0;
    if (!days || !cb || !cr || !ib || !ir || !r->cat_p || !r->item_p) {
        repurchase_free(r);
        rc = err_code_set(err, errlen, ERR_NOMEM, "out of memory estimating repurchase");
        goto out;
    }
    /* events are sorted by day, user, item: a repeat on one day is adjacent */
    for (int64_t k = 0; k < ds->n_events && ds->events[k].day < cutoff_day; k++) {
        const struct event *e = &ds->events[k];
        if (k && e->day == e[-1].day && e->user == e[-1].user && e->item == e[-1].item)
            continue;
        if (e->user < 0 || e->user >= ui->n_rows)
            continue;
        int64_t pos = row_find(ui, e->user, e->item);
        if (pos >= 0 && days[pos] < 2)
            days[pos]++;
    }
    double buyers = 0, repeats = 0;
    for (int32_t u = 0; u < ui->n_rows; u++)
        for (int64_t k = ui->ptr[u]; k < ui->ptr[u + 1]; k++) {
            int32_t i = ui->idx[k];
            int rep = days[k] >= 2;
            ib[i]++, ir[i] += rep;
            cb[ds->item_cat[i]]++, cr[ds->item_cat[i]] += rep;
            buyers++, repeats += rep;
        }
    r->n_items = ni;
    r->n_cats = nc;
    r->global = buyers > 0 ? (float)(repeats / buyers) : 0;
    for (int c = 0; c < nc; c++)
        r->cat_p[c] =
            (float)((cr[c] + REPURCHASE_PRIOR_CAT * r->global) / (cb[c] + REPURCHASE_PRIOR_CAT));
    for (int32_t i = 0; i < ni; i++) {
        double pc = r->cat_p[ds->item_cat[i]];
        r->item_p[i] =
            (float)((ir[i] + REPURCHASE_PRIOR_ITEM * pc) / (ib[i] + REPURCHASE_PRIOR_ITEM));
        if (r->item_p[i] > r->top)
            r->top = r->item_p[i];
    }
out:
    free(days), free(cb), free(cr), free(ib), free(ir);
    return rc;
}

float repurchase_p(const struct repurchase *r, int32_t item)
{
    return r->item_p && item >= 0 && item < r->n_items ? r->item_p[item] : 0;
}

float repurchase_boost(const struct repurchase *r, int32_t item)
{
    return r->top > 0 ? REPURCHASE_WEIGHT * repurchase_p(r, item) / r->top : 0;
}

void repurchase_save(const struct repurchase *r, struct blob_writer *w)
{
    float g[2] = {r->global, r->top};
    bw_array(w, g, sizeof *g, 2);
    bw_array(w, r->item_p ? r->cat_p : g, sizeof *r->cat_p, r->item_p ? r->n_cats : 0);
    bw_array(w, r->item_p ? r->item_p : g, sizeof *r->item_p, r->item_p ? r->n_items : 0);
}

int repurchase_load(struct repurchase *r, int32_t n_items, int n_cats, struct blob_reader *br)
{
    memset(r, 0, sizeof *r);
    float *g = br_array(br, sizeof(float), 2, 0, NULL);
    int64_t nc = 0, ni = 0;
    r->cat_p = br_array(br, sizeof(float), -1, n_cats, &nc);
    r->item_p = br_array(br, sizeof(float), -1, n_items, &ni);
    int ok = g && !br->failed && ((nc == n_cats && ni == n_items) || (nc == 0 && ni == 0));
    for (int64_t i = 0; ok && i < ni; i++)
        ok = r->item_p[i] >= 0 && r->item_p[i] <= 1;
    if (ok) {
        r->global = g[0];
        r->top = g[1];
        r->n_items = n_items;
        r->n_cats = n_cats;
        ok = r->top >= 0 && r->top <= 1;
    }
    free(g);
    if (!ok || !ni) {
        repurchase_free(r);
        return ok ? 0 : -1;
    }
    return 0;
}

void repurchase_free(struct repurchase *r)
{
    free(r->cat_p);
    free(r->item_p);
    memset(r, 0, sizeof *r);
}
