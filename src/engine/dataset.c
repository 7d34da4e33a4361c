/* Id maps, dates, the training matrix and the model context (loading from
 * SQLite is in dataset_load.c, the matrices in csr.c). */
#include "engine/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* hex digit value + 1, 0 for anything else: a table, because branching on
 * digit-or-letter mispredicts half the time on random ids */
static const uint8_t hex1[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};

int dataset_id_key(const char *id, struct ds_key *k)
{
    const unsigned char *s = (const unsigned char *)id;
    uint64_t hi = 0, lo = 0;
    unsigned bad = 0;
    if (!s)
        return -1;
    for (int i = 0; i < 16; i++) {
        unsigned v = hex1[s[i]]; /* the NUL of a short id is 0: bad, and stops */
        if (!v)
            return -1;
        hi = hi << 4 | (v - 1);
    }
    for (int i = 16; i < 32; i++) {
        unsigned v = hex1[s[i]];
        if (!v)
            return -1;
        lo = lo << 4 | (v - 1);
    }
    bad |= s[32] != 0;
    if (bad)
        return -1;
    k->hi = hi;
    k->lo = lo;
    return 0;
}

void dataset_key_id(const struct ds_key *k, char out[DS_ID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[i] = hex[(k->hi >> (60 - 4 * i)) & 15];
        out[16 + i] = hex[(k->lo >> (60 - 4 * i)) & 15];
    }
    out[32] = 0;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

int32_t dataset_idmap_find(const struct idmap *m, const char *id)
{
    if (!id || strlen(id) != DS_ID_LEN - 1 || !m->n)
        return -1;
    const char(*hit)[DS_ID_LEN] = bsearch(id, m->ids, (size_t)m->n, DS_ID_LEN, cmp_id);
    return hit ? (int32_t)(hit - m->ids) : -1;
}

void dataset_idmap_free(struct idmap *m)
{
    free(m->ids);
    m->ids = NULL;
    m->n = 0;
}

/* Days from civil date (Howard Hinnant's algorithm). */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Days in month m (1..12) of year y, Gregorian leap years. */
static int days_in_month(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return len[m - 1] + (m == 2 && leap);
}

/* Only the date is read: after it may come nothing, or a space or 'T' and a
 * time of day, which is ignored. A date that is not on the calendar
 * (2018-02-31, 2017-02-29) is malformed, not the day it would overflow to.
 * Years start at 1970 so that every valid day is >= 0 and -1 stays an error
 * (callers test < 0; the years before were rejected that way already). */
int32_t dataset_parse_day(const char *s)
{
    if (!s || strlen(s) < 10)
        return -1;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return -1;
    if (s[10] && s[10] != ' ' && s[10] != 'T')
        return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (m < 1 || m > 12 || y < 1970 || y > 2200 || d < 1 || d > days_in_month(y, m))
        return -1;
    return days_from_civil(y, m, d);
}

void dataset_format_day(int32_t z, char out[11])
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    char buf[48];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    memcpy(out, buf, 10);
    out[10] = 0;
}

int dataset_state_index(const struct dataset *ds, const char *state)
{
    if (!state)
        return -1;
    for (int i = 0; i < ds->n_states; i++)
        if (!strcmp(ds->states[i], state))
            return i;
    return -1;
}

void dataset_free(struct dataset *ds)
{
    dataset_idmap_free(&ds->users);
    dataset_idmap_free(&ds->items);
    dataset_idmap_free(&ds->sellers);
    free(ds->user_state);
    free(ds->item_cat);
    free(ds->item_price);
    free(ds->states);
    free(ds->cats);
    free(ds->events);
    memset(ds, 0, sizeof *ds);
}

int dataset_train_matrix(const struct dataset *ds, int32_t cutoff_day, struct csr *ui, char *err,
                         size_t errlen)
{
    int64_t n = 0;
    while (n < ds->n_events && ds->events[n].day < cutoff_day)
        n++;
    int32_t *r = malloc((size_t)(n ? n : 1) * sizeof *r);
    int32_t *c = malloc((size_t)(n ? n : 1) * sizeof *c);
    if (!r || !c) {
        free(r);
        free(c);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory");
    }
    for (int64_t k = 0; k < n; k++) {
        r[k] = ds->events[k].user;
        c[k] = ds->events[k].item;
    }
    int rc = csr_from_pairs(ds->users.n, ds->items.n, n, r, c, ui, err, errlen);
    free(r);
    free(c);
    return rc;
}

static void *dup_mem(const void *p, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

int dataset_copy_context(const struct dataset *s, struct dataset *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->users.n = s->users.n;
    d->items.n = s->items.n;
    d->n_states = s->n_states;
    d->n_cats = s->n_cats;
    d->users.ids = dup_mem(s->users.ids, (size_t)s->users.n * DS_ID_LEN);
    d->items.ids = dup_mem(s->items.ids, (size_t)s->items.n * DS_ID_LEN);
    d->user_state = dup_mem(s->user_state, (size_t)s->users.n * sizeof *s->user_state);
    d->item_cat = dup_mem(s->item_cat, (size_t)s->items.n * sizeof *s->item_cat);
    d->item_price = dup_mem(s->item_price, (size_t)s->items.n * sizeof *s->item_price);
    d->states = dup_mem(s->states, (size_t)s->n_states * 3);
    d->cats = dup_mem(s->cats, (size_t)s->n_cats * DS_CAT_LEN);
    if (!d->users.ids || !d->items.ids || !d->user_state || !d->item_cat || !d->item_price ||
        !d->states || !d->cats) {
        dataset_free(d);
        return err_code_set(err, errlen, ERR_NOMEM, "out of memory copying the dataset");
    }
    return 0;
}
