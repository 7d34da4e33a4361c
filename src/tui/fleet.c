/* Model versions across the regions (see fleet.h). */
#include "tui/fleet.h"

#include <stdio.h>
#include <string.h>

static int counts(const struct region_view *r)
{
    return r->have_health && r->fsm.status != REGION_DOWN && r->model_version > 0;
}

void fleet_versions(struct tui_data *d)
{
    int versions[REGIONS_MAX], votes[REGIONS_MAX], nv = 0, counted = 0;
    for (int i = 0; i < d->n_regions && i < REGIONS_MAX; i++) {
        const struct region_view *r = &d->r[i];
        if (!counts(r))
            continue;
        counted++;
        int k = 0;
        while (k < nv && versions[k] != r->model_version)
            k++;
        if (k == nv) {
            versions[nv] = r->model_version;
            votes[nv++] = 0;
        }
        votes[k]++;
    }
    int best = -1;
    for (int k = 0; k < nv; k++)
        if (best < 0 || votes[k] > votes[best] ||
            (votes[k] == votes[best] && versions[k] > versions[best]))
            best = k;
    d->fleet_version = best >= 0 ? versions[best] : 0;
    d->n_versions = nv;
    for (int i = 0; i < d->n_regions && i < REGIONS_MAX; i++) {
        struct region_view *r = &d->r[i];
        r->version_odd = counted >= 2 && counts(r) && r->model_version != d->fleet_version;
    }
}

void fleet_versions_alert(const struct tui_data *d, char *out, size_t n)
{
    size_t used = 0;
    int others = 0, last_other = -1;
    if (n)
        out[0] = '\0';
    for (int i = 0; i < d->n_regions && i < REGIONS_MAX; i++) {
        const struct region_view *r = &d->r[i];
        if (!r->version_odd) {
            if (counts(r)) {
                others++;
                last_other = i;
            }
            continue;
        }
        int w =
            snprintf(out + used, n - used, "%s%s v%d", used ? ", " : "", r->name, r->model_version);
        if (w < 0 || (size_t)w >= n - used)
            return; /* cut: what fits is shown */
        used += (size_t)w;
    }
    if (!used || others == 0)
        return;
    if (others == 1)
        snprintf(out + used, n - used, "; %s v%d", d->r[last_other].name, d->fleet_version);
    else
        snprintf(out + used, n - used, "; the others v%d", d->fleet_version);
}

void fleet_tail(const char *s, int w, char *out, size_t n)
{
    size_t len = strlen(s);
    if (w < 0)
        w = 0;
    if (len <= (size_t)w) {
        snprintf(out, n, "%s", s);
        return;
    }
    if (w < 4) {
        snprintf(out, n, "%.*s", w, "...");
        return;
    }
    snprintf(out, n, "...%s", s + len - (size_t)(w - 3));
}
