/* Recommendation list helpers shared by every algorithm (see reclist.h). */
#include "engine/reclist.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/algo.h"

int reclist_owned(const struct model *m, int32_t user, int32_t item)
{
    if (user < 0 || user >= m->ui.n_rows)
        return 0;
    int64_t lo = m->ui.ptr[user], hi = m->ui.ptr[user + 1] - 1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (m->ui.idx[mid] == item)
            return 1;
        if (m->ui.idx[mid] < item)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

int reclist_allowed(const struct model *m, const struct rec_query *q, const struct rec_list *out,
                    int32_t item)
{
    if (item < 0 || item >= m->ctx.items.n)
        return 0;
    for (int i = 0; i < out->n; i++)
        if (out->items[i].item == item)
            return 0;
    return q->allow_repurchase || !reclist_owned(m, q->user, item);
}

int reclist_push(const struct model *m, const struct rec_query *q, struct rec_list *out,
                 int32_t item, float score, const char *source)
{
    if (out->n >= q->n || out->n >= REC_MAX_ITEMS || !reclist_allowed(m, q, out, item))
        return 0;
    out->items[out->n++] = (struct scored){item, score, source};
    return 1;
}

void reclist_explain(struct rec_list *out, const char *fmt, ...)
{
    size_t used = strlen(out->explain);
    if (used + 1 >= sizeof out->explain)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->explain + used, sizeof out->explain - used, fmt, ap);
    va_end(ap);
}
