/* The binary format of a model (see modelformat.h). */
#include "engine/modelformat.h"

#include <stdlib.h>
#include <string.h>

#include "engine/model.h"
#include "util/error.h"

static const char mf_magic[8] = {'R', 'E', 'C', 'S', 'Y', 'S', 'M', 'D'};
#define MF_END 0x454e444d4f44454cLL

static void put_params(struct blob_writer *w, const struct algo_params *p)
{
    int64_t iv[] = {p->window_days,     p->state_window, p->neighbours, p->max_postings,
                    p->item_neighbours, p->factors,      p->iterations, p->cg_steps,
                    (int64_t)p->seed,   p->price_tiers,  p->long_window};
    /* the first four always; later ones were added over time (get_params) */
    double dv[] = {p->threshold,         p->reg,           p->alpha,
                   p->state_weight,      p->seller_weight, p->repurchase_weight,
                   p->copurchase_weight, p->itemcf_weight, p->popularity_weight};
    bw_array(w, iv, 8, sizeof iv / 8);
    bw_array(w, dv, 8, sizeof dv / 8);
}

static int get_params(struct blob_reader *r, struct algo_params *p)
{
    int64_t *iv = br_array(r, 8, 11, 0, NULL), nd = 0;
    double *dv = br_array(r, 8, -1, 32, &nd);
    int rc = -1;
    if (iv && dv && nd >= 4) {
        struct algo_params d; /* doubles a model from before they existed lacks */
        algo_params_default(&d);
        double later[] = {d.seller_weight, d.repurchase_weight, d.copurchase_weight,
                          d.itemcf_weight, d.popularity_weight};
        for (int64_t k = 4; k < nd && k < 9; k++)
            later[k - 4] = dv[k];
        *p = (struct algo_params){.window_days = (int)iv[0],
                                  .state_window = (int)iv[1],
                                  .neighbours = (int)iv[2],
                                  .max_postings = (int)iv[3],
                                  .item_neighbours = (int)iv[4],
                                  .factors = (int)iv[5],
                                  .iterations = (int)iv[6],
                                  .cg_steps = (int)iv[7],
                                  .seed = (uint64_t)iv[8],
                                  .price_tiers = (int)iv[9],
                                  .long_window = (int)iv[10],
                                  .threshold = dv[0],
                                  .reg = dv[1],
                                  .alpha = dv[2],
                                  .state_weight = dv[3],
                                  .seller_weight = later[0],
                                  .repurchase_weight = later[1],
                                  .copurchase_weight = later[2],
                                  .itemcf_weight = later[3],
                                  .popularity_weight = later[4]};
        rc = 0;
    }
    free(iv);
    free(dv);
    return rc;
}

/* Ids as 16-byte keys (half their text size): the count, then the keys. */
static void put_ids(struct blob_writer *w, const struct idmap *m)
{
    struct ds_key buf[512];
    int n = 0;
    bw_i64(w, m->n);
    for (int32_t i = 0; i < m->n; i++) {
        dataset_id_key(m->ids[i], &buf[n++]); /* ids in a model are valid by construction */
        if (n == 512 || i == m->n - 1) {
            bw_put(w, buf, (size_t)n * sizeof *buf);
            n = 0;
        }
    }
}

/* Reads put_ids output: NULL unless every key is in strictly increasing
 * order (the idmap invariant) and within the blob. */
static char (*get_ids(struct blob_reader *r, int32_t *n_out))[DS_ID_LEN]
{
    int64_t n = br_i64(r);
    *n_out = 0;
    if (r->failed || n < 0 || n > DS_MAX_ROWS ||
        (uint64_t)n > (r->len - r->off) / sizeof(struct ds_key)) {
        r->failed = 1;
        return NULL;
    }
    char(*ids)[DS_ID_LEN] = malloc(((size_t)n + 1) * DS_ID_LEN);
    if (!ids) {
        r->failed = 1;
        return NULL;
    }
    struct ds_key prev = {0, 0}, k;
    for (int64_t i = 0; i < n; i++) {
        br_get(r, &k, sizeof k);
        if (i && (k.hi < prev.hi || (k.hi == prev.hi && k.lo <= prev.lo)))
            r->failed = 1;
        if (r->failed) {
            free(ids);
            return NULL;
        }
        dataset_key_id(&k, ids[i]);
        prev = k;
    }
    *n_out = (int32_t)n;
    return ids;
}

void modelformat_write(const struct model *m, struct blob_writer *w)
{
    const struct dataset *c = &m->ctx;
    bw_put(w, mf_magic, sizeof mf_magic);
    bw_i64(w, MS_FORMAT);
    bw_array(w, m->algorithm, 1, (int64_t)strlen(m->algorithm));
    put_params(w, &m->params);
    put_ids(w, &c->users);
    put_ids(w, &c->items);
    bw_array(w, c->states, 3, c->n_states);
    bw_array(w, c->cats, DS_CAT_LEN, c->n_cats);
    bw_array(w, c->user_state, sizeof *c->user_state, c->users.n);
    bw_array(w, c->item_cat, sizeof *c->item_cat, c->items.n);
    bw_array(w, c->item_price, sizeof *c->item_price, c->items.n);
    bw_array(w, m->ui.ptr, 8, (int64_t)m->ui.n_rows + 1);
    bw_array(w, m->ui.idx, 4, m->ui.nnz);
    bw_array(w, m->ui.val, 4, m->ui.nnz);
    popularity_save(&m->pop, c->items.n, c->n_states, c->n_cats, w);
    m->ops->save(m, w);
    repurchase_save(&m->rep, w); /* optional: absent in older blobs */
    sources_save(&m->src, w);    /* likewise */
    /* likewise (format 3) */
    sources_seller_save(&m->src.seller, w);
    bw_i64(w, MF_END);
    bw_flush(w);
}

int modelformat_serialize(const struct model *m, uint8_t **blob, size_t *len, char *err,
                          size_t errlen)
{
    struct blob_writer w = {0};
    modelformat_write(m, &w);
    if (w.failed) {
        free(w.buf);
        return err_code_set(err, errlen, ERR_NOMEM,
                            "out of memory serialising the model (limit %zu bytes)", MS_MAX_BLOB);
    }
    *blob = w.buf;
    *len = w.len;
    return 0;
}

static int sorted_ids(const struct idmap *m)
{
    for (int32_t i = 1; i < m->n; i++)
        if (strncmp(m->ids[i - 1], m->ids[i], DS_ID_LEN) >= 0 || m->ids[i][DS_ID_LEN - 1])
            return 0;
    return !m->n || !m->ids[0][DS_ID_LEN - 1];
}

int modelformat_deserialize(const uint8_t *blob, size_t len, struct model *m, char *err,
                            size_t errlen)
{
    struct blob_reader r = {blob, len, 0, 0};
    struct dataset *c = &m->ctx;
    char magic[8];
    int64_t n, n2;
    int rc = ERR_CORRUPT;
    memset(m, 0, sizeof *m);
    br_get(&r, magic, sizeof magic);
    if (r.failed || memcmp(magic, mf_magic, sizeof magic))
        return err_code_set(err, errlen, ERR_CORRUPT,
                            "the model blob does not start with the model magic");
    int64_t fmt = br_i64(&r);
    if (fmt != MS_FORMAT && fmt != 2) /* 2 lacks only optional parts: it still loads */
        return err_code_set(err, errlen, ERR_CORRUPT,
                            "model format %lld is not supported (expected %d)", (long long)fmt,
                            MS_FORMAT);
    char *name = br_array(&r, 1, -1, 31, &n);
    if (name) {
        memcpy(m->algorithm, name, (size_t)n);
        m->algorithm[n] = 0;
    }
    free(name);
    m->ops = algo_find(m->algorithm);
    if (!m->ops) {
        err_code_set(err, errlen, ERR_CORRUPT, "unknown algorithm \"%s\" in the model blob",
                     m->algorithm);
        goto bad;
    }
    if (get_params(&r, &m->params) < 0)
        goto corrupt;
    c->users.ids = get_ids(&r, &c->users.n);
    c->items.ids = get_ids(&r, &c->items.n);
    c->states = br_array(&r, 3, -1, 1000, &n);
    c->n_states = (int)n;
    c->cats = br_array(&r, DS_CAT_LEN, -1, 100000, &n2);
    c->n_cats = (int)n2;
    c->user_state = br_array(&r, 2, c->users.n, 0, NULL);
    c->item_cat = br_array(&r, 4, c->items.n, 0, NULL);
    c->item_price = br_array(&r, 4, c->items.n, 0, NULL);
    if (r.failed || !sorted_ids(&c->users) || !sorted_ids(&c->items))
        goto corrupt;
    for (int i = 0; i < c->n_states; i++)
        c->states[i][2] = 0;
    for (int i = 0; i < c->n_cats; i++)
        c->cats[i][DS_CAT_LEN - 1] = 0;
    for (int32_t u = 0; u < c->users.n; u++)
        if (c->user_state[u] < -1 || c->user_state[u] >= c->n_states)
            goto corrupt;
    for (int32_t i = 0; i < c->items.n; i++)
        if (c->item_cat[i] < 0 || c->item_cat[i] >= c->n_cats)
            goto corrupt;
    m->ui.n_rows = c->users.n;
    m->ui.n_cols = c->items.n;
    m->ui.ptr = br_array(&r, 8, (int64_t)c->users.n + 1, 0, NULL);
    if (!m->ui.ptr || m->ui.ptr[0] != 0)
        goto corrupt;
    for (int32_t u = 0; u < c->users.n; u++)
        if (m->ui.ptr[u + 1] < m->ui.ptr[u])
            goto corrupt;
    m->ui.nnz = m->ui.ptr[c->users.n];
    m->ui.idx = br_array(&r, 4, m->ui.nnz, 0, NULL);
    m->ui.val = br_array(&r, 4, m->ui.nnz, 0, NULL);
    if (r.failed)
        goto corrupt;
    for (int32_t u = 0; u < c->users.n; u++)
        for (int64_t k = m->ui.ptr[u]; k < m->ui.ptr[u + 1]; k++)
            if (m->ui.idx[k] < 0 || m->ui.idx[k] >= c->items.n ||
                (k > m->ui.ptr[u] && m->ui.idx[k] <= m->ui.idx[k - 1]))
                goto corrupt;
    if (popularity_load(&m->pop, c->items.n, c->n_states, c->n_cats, &r) < 0)
        goto corrupt;
    if (m->ops->load(m, &r, err, errlen) < 0)
        goto bad;
    if (r.len - r.off > 8 && repurchase_load(&m->rep, c->items.n, c->n_cats, &r) < 0)
        goto corrupt;
    if (r.len - r.off > 8 && sources_load(&m->src, c->items.n, &r) < 0)
        goto corrupt;
    if (r.len - r.off > 8 && sources_seller_load(&m->src.seller, c->items.n, &r) < 0)
        goto corrupt;
    if (br_i64(&r) != MF_END || r.failed || r.off != r.len)
        goto corrupt;
    if (csr_transpose(&m->ui, &m->iu, err, errlen) < 0) {
        rc = ERR_NOMEM;
        goto bad;
    }
    return 0;
corrupt:
    err_code_set(err, errlen, ERR_CORRUPT,
                 "the model blob is truncated or corrupted (at byte %zu of %zu)", r.off, len);
bad:
    model_free(m);
    return rc;
}
