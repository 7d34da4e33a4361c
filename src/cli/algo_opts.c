/* The algorithm options shared by `train` and `eval`. */
#include "cli/algo_opts.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cli/opts.h"

/* Integer options: name, range, field. */
struct int_opt {
    const char *name;
    int lo, hi;
    size_t offset;
};

struct double_opt {
    const char *name;
    double lo, hi;
    size_t offset;
};

static const struct int_opt int_opts[] = {
    {"--neighbours", 1, 1000, offsetof(struct algo_params, neighbours)},
    {"--max-postings", 1, 1000000, offsetof(struct algo_params, max_postings)},
    {"--item-neighbours", 1, 1000, offsetof(struct algo_params, item_neighbours)},
    {"--factors", 1, 256, offsetof(struct algo_params, factors)},
    {"--iterations", 1, 1000, offsetof(struct algo_params, iterations)},
    {"--cg-steps", 0, 100, offsetof(struct algo_params, cg_steps)},
    {"--window", 1, 100000, offsetof(struct algo_params, window_days)},
    {"--long-window", 1, 100000, offsetof(struct algo_params, long_window)},
    {"--state-window", 1, 100000, offsetof(struct algo_params, state_window)},
};

static const struct double_opt double_opts[] = {
    {"--threshold", 0, 1, offsetof(struct algo_params, threshold)},
    {"--reg", 0, 1e6, offsetof(struct algo_params, reg)},
    {"--alpha", 0, 1e6, offsetof(struct algo_params, alpha)},
    {"--state-weight", 0, 1000, offsetof(struct algo_params, state_weight)},
    {"--seller-weight", 0, 1000, offsetof(struct algo_params, seller_weight)},
    {"--repurchase-weight", 0, 1000, offsetof(struct algo_params, repurchase_weight)},
    {"--copurchase-weight", 0, 1000, offsetof(struct algo_params, copurchase_weight)},
    {"--itemcf-weight", 0, 1000, offsetof(struct algo_params, itemcf_weight)},
    {"--popularity-weight", 0, 1000, offsetof(struct algo_params, popularity_weight)},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int algo_opts_parse(int argc, char **argv, int *i, struct algo_params *p)
{
    const char *o = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    int bad = -2;
    for (size_t k = 0; k < COUNT(int_opts) && bad == -2; k++)
        if (!strcmp(o, int_opts[k].name))
            bad = opts_parse_int(v, int_opts[k].lo, int_opts[k].hi,
                                 (int *)((char *)p + int_opts[k].offset));
    for (size_t k = 0; k < COUNT(double_opts) && bad == -2; k++)
        if (!strcmp(o, double_opts[k].name))
            bad = opts_parse_double(v, double_opts[k].lo, double_opts[k].hi,
                                    (double *)((char *)p + double_opts[k].offset));
    if (bad == -2 && !strcmp(o, "--seed")) {
        /* read as a number, as it always was: "42.0" and "4.2e1" are 42 */
        double seed;
        bad = opts_parse_double(v, 0, 1e15, &seed);
        if (!bad)
            p->seed = (uint64_t)seed;
    }
    if (bad == -2)
        return 0;
    if (bad)
        return -1;
    (*i)++;
    return 1;
}

const char *algo_opts_help(void)
{
    return "Algorithm options:\n"
           "  --neighbours K       user-user neighbours (50)\n"
           "  --threshold S        user-user minimum cosine (0.3)\n"
           "  --max-postings P     buyers scanned per product, caps similarity cost (200)\n"
           "  --item-neighbours K  item-item neighbours (50)\n"
           "  --factors F          ALS factors (32)     --iterations N  ALS sweeps (10)\n"
           "  --reg L              ALS regularisation (0.1)   --alpha A  confidence slope (40)\n"
           "  --cg-steps N         ALS conjugate-gradient steps, 0 = Cholesky (3)\n"
           "  --seed N             ALS seed (42)\n"
           "  --window D           popularity window in days before the cutoff (30)\n"
           "  --long-window D      hybrid: longer window blended into popularity (90)\n"
           "  --state-window D     per-state popularity window (90)\n"
           "  --state-weight W     hybrid cold start: weight of state popularity (0)\n"
           "  --seller-weight W    hybrid: top products of the sellers the user bought from\n"
           "                       (0.0001: after co-purchases, before popularity; 0 = off)\n"
           "  --repurchase-weight W  hybrid: learned repurchase boost of owned items (1);\n"
           "                       0 = owned items are left out unless a request allows them\n"
           "  --copurchase-weight W  hybrid: co-purchase candidates (0.001)\n"
           "  --itemcf-weight W    hybrid: item-item against user-user (1)\n"
           "  --popularity-weight W  hybrid: global popularity as a candidate for users with\n"
           "                       history (0: it only fills)\n"
           "`recsys-tui tune` chooses these on validation cutoffs; train uses its choice.\n";
}
