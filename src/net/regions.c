/* Placeholder so the tree links until the server lands; replaced by its owner. */
#include "net/regions.h"
#include "util/error.h"
#include <string.h>

void regions_defaults(struct regions_conf *out) { memset(out, 0, sizeof *out); }
int regions_load(const char *path, struct regions_conf *out, char *err, size_t errlen)
{
    regions_defaults(out);
    return err_set(err, errlen, "%s: regions.conf parser not built yet", path);
}
const struct region_conf *regions_find(const struct regions_conf *c, const char *name)
{
    for (int i = 0; i < c->n_regions; i++)
        if (!strcmp(c->regions[i].name, name))
            return &c->regions[i];
    return NULL;
}
double regions_distance_km(const struct region_conf *a, const struct region_conf *b)
{
    (void)a; (void)b; return 0;
}
