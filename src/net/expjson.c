/* Experiments as JSON and Prometheus text (see expjson.h). */
#include "net/expjson.h"

#include <math.h>
#include <string.h>

#include "net/expstats.h"

/* A snapshot of one variant's counters and what follows from them. */
struct vstat {
    uint64_t imp, clicks, purchases, lc, lb;
    double users;
    double ctr, ctr_lo, ctr_hi, conv, conv_lo, conv_hi;
    int known; /* impressions > 0 */
};

static void vstat_get(const struct exp_variant *v, struct vstat *s)
{
    memset(s, 0, sizeof *s);
    s->imp = atomic_load(&v->c.impressions);
    s->clicks = atomic_load(&v->c.clicks);
    s->purchases = atomic_load(&v->c.purchases);
    s->lc = atomic_load(&v->c.lists_clicked);
    s->lb = atomic_load(&v->c.lists_bought);
    s->users = floor(expstats_hll_estimate(v->c.users) + 0.5);
    s->known = s->imp > 0;
    if (s->lc > s->imp)
        s->lc = s->imp;
    if (s->lb > s->imp)
        s->lb = s->imp;
    if (s->known) {
        s->ctr = (double)s->lc / (double)s->imp;
        s->conv = (double)s->lb / (double)s->imp;
        expstats_wilson(s->lc, s->imp, &s->ctr_lo, &s->ctr_hi);
        expstats_wilson(s->lb, s->imp, &s->conv_lo, &s->conv_hi);
    }
}

static void num_or_null(struct sbuf *b, double v, int known)
{
    if (known && isfinite(v))
        sbuf_printf(b, "%.6g", v);
    else
        sbuf_puts(b, "null");
}

static void interval(struct sbuf *b, const char *key, double v, double lo, double hi, int known)
{
    sbuf_printf(b, ",\"%s\":{\"value\":", key);
    num_or_null(b, v, known);
    sbuf_puts(b, ",\"low\":");
    num_or_null(b, lo, known);
    sbuf_puts(b, ",\"high\":");
    num_or_null(b, hi, known);
    sbuf_puts(b, "}");
}

/* ,"ctr_z":..,"ctr_p_value":..,"conversion_z":..,"conversion_p_value":.. of s
 * against control c. */
static void ztests(struct sbuf *b, const struct vstat *c, const struct vstat *s)
{
    double z, p;
    int ok = expstats_ztest(s->lc, s->imp, c->lc, c->imp, &z, &p) == 0;
    sbuf_puts(b, "\"ctr_z\":");
    num_or_null(b, z, ok);
    sbuf_puts(b, ",\"ctr_p_value\":");
    num_or_null(b, p, ok);
    ok = expstats_ztest(s->lb, s->imp, c->lb, c->imp, &z, &p) == 0;
    sbuf_puts(b, ",\"conversion_z\":");
    num_or_null(b, z, ok);
    sbuf_puts(b, ",\"conversion_p_value\":");
    num_or_null(b, p, ok);
}

void expjson_render(struct experiments *x, const struct exp_record *rec, struct sbuf *b)
{
    struct vstat st[EXP_VARIANTS_MAX];
    int running;
    char stopped[24], promoted[EXP_NAME_MAX];
    pthread_mutex_lock(&x->mu);
    running = rec->running;
    memcpy(stopped, rec->stopped_at, sizeof stopped);
    memcpy(promoted, rec->promoted, sizeof promoted);
    pthread_mutex_unlock(&x->mu);
    for (int v = 0; v < rec->n_variants; v++)
        vstat_get(&rec->v[v], &st[v]);
    sbuf_puts(b, "{\"name\":");
    sbuf_json_str(b, rec->name);
    sbuf_printf(b, ",\"status\":\"%s\",\"created_at\":", running ? "running" : "stopped");
    sbuf_json_str(b, rec->created_at);
    sbuf_puts(b, ",\"stopped_at\":");
    if (stopped[0])
        sbuf_json_str(b, stopped);
    else
        sbuf_puts(b, "null");
    sbuf_puts(b, ",\"promoted\":");
    if (promoted[0])
        sbuf_json_str(b, promoted);
    else
        sbuf_puts(b, "null");
    sbuf_printf(b, ",\"traffic\":{\"share\":%d,\"buckets\":[%d,%d]},\"variants\":[", rec->traffic,
                rec->traffic_from, rec->traffic_from + rec->traffic);
    for (int v = 0; v < rec->n_variants; v++) {
        const struct vstat *s = &st[v];
        sbuf_puts(b, v ? ",{\"name\":" : "{\"name\":");
        sbuf_json_str(b, rec->v[v].name);
        sbuf_printf(b,
                    ",\"model_version\":%lld,\"share\":%d,\"impressions\":%llu,\"users\":%.0f,"
                    "\"clicks\":%llu,\"purchases\":%llu,\"lists_clicked\":%llu,"
                    "\"lists_converted\":%llu",
                    (long long)rec->v[v].version, rec->v[v].share, (unsigned long long)s->imp,
                    s->users, (unsigned long long)s->clicks, (unsigned long long)s->purchases,
                    (unsigned long long)s->lc, (unsigned long long)s->lb);
        interval(b, "ctr", s->ctr, s->ctr_lo, s->ctr_hi, s->known);
        interval(b, "conversion", s->conv, s->conv_lo, s->conv_hi, s->known);
        sbuf_puts(b, ",\"vs_control\":");
        if (v == 0) {
            sbuf_puts(b, "null}");
        } else {
            sbuf_puts(b, "{");
            ztests(b, &st[0], s);
            sbuf_puts(b, "}}");
        }
    }
    sbuf_puts(b, "],\"p_value\":");
    if (rec->n_variants >= 2) {
        double z, p;
        int ok = expstats_ztest(st[1].lc, st[1].imp, st[0].lc, st[0].imp, &z, &p) == 0;
        sbuf_puts(b, "{\"ctr\":");
        num_or_null(b, p, ok);
        ok = expstats_ztest(st[1].lb, st[1].imp, st[0].lb, st[0].imp, &z, &p) == 0;
        sbuf_puts(b, ",\"conversion\":");
        num_or_null(b, p, ok);
        sbuf_puts(b, "}");
    } else {
        sbuf_puts(b, "null");
    }
    sbuf_puts(b, ",\"leader\":");
    sbuf_json_str(b, rec->v[exp_leader(rec)].name);
    sbuf_puts(b, "}");
}

void expjson_render_all(struct experiments *x, struct sbuf *b)
{
    struct exp_record *recs[EXP_MAX];
    pthread_mutex_lock(&x->mu);
    int n = x->n;
    memcpy(recs, x->rec, (size_t)n * sizeof *recs);
    pthread_mutex_unlock(&x->mu);
    sbuf_puts(b, "\"experiments\":[");
    for (int i = 0; i < n; i++) {
        if (i)
            sbuf_puts(b, ",");
        expjson_render(x, recs[i], b);
    }
    sbuf_puts(b, "]");
}

/* Label values: experiment and variant names are [A-Za-z0-9._-] (expapi
 * checks), so they need no escaping. */
void expjson_prometheus(struct experiments *x, struct sbuf *b)
{
    struct exp_record *recs[EXP_MAX];
    int running[EXP_MAX];
    if (!x)
        return;
    pthread_mutex_lock(&x->mu);
    int n = x->n;
    for (int i = 0; i < n; i++) {
        recs[i] = x->rec[i];
        running[i] = x->rec[i]->running;
    }
    pthread_mutex_unlock(&x->mu);
    if (n == 0)
        return;
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        {"recsys_experiment_running", "gauge", "1 while the experiment serves traffic."},
        {"recsys_experiment_impressions_total", "counter", "Recommendation lists served."},
        {"recsys_experiment_users", "gauge", "Distinct users exposed (HyperLogLog estimate)."},
        {"recsys_experiment_clicks_total", "counter", "Click events attributed to its lists."},
        {"recsys_experiment_purchases_total", "counter",
         "Purchase events attributed to its lists."},
        {"recsys_experiment_ctr", "gauge", "Lists clicked / lists served."},
        {"recsys_experiment_ctr_low", "gauge", "95% Wilson interval of ctr, lower bound."},
        {"recsys_experiment_ctr_high", "gauge", "95% Wilson interval of ctr, upper bound."},
        {"recsys_experiment_conversion", "gauge", "Lists converted / lists served."},
        {"recsys_experiment_conversion_low", "gauge", "95% Wilson interval, lower bound."},
        {"recsys_experiment_conversion_high", "gauge", "95% Wilson interval, upper bound."},
        {"recsys_experiment_p_value", "gauge",
         "Two-proportion z-test of a variant against the first one."},
    };
    enum { NFAM = sizeof fam / sizeof fam[0] };
    for (int f = 0; f < NFAM; f++) {
        sbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name, fam[f].help, fam[f].name,
                    fam[f].type);
        for (int i = 0; i < n; i++) {
            const struct exp_record *r = recs[i];
            if (f == 0) {
                sbuf_printf(b, "%s{experiment=\"%s\"} %d\n", fam[f].name, r->name, running[i]);
                continue;
            }
            struct vstat c;
            vstat_get(&r->v[0], &c);
            for (int v = 0; v < r->n_variants; v++) {
                struct vstat s;
                vstat_get(&r->v[v], &s);
                double val[NFAM] = {
                    0,        (double)s.imp, s.users, (double)s.clicks, (double)s.purchases, s.ctr,
                    s.ctr_lo, s.ctr_hi,      s.conv,  s.conv_lo,        s.conv_hi,           0};
                if (f == NFAM - 1) {
                    double z, p;
                    if (v == 0)
                        continue;
                    if (expstats_ztest(s.lc, s.imp, c.lc, c.imp, &z, &p) == 0)
                        sbuf_printf(b, "%s{experiment=\"%s\",variant=\"%s\",metric=\"ctr\"} %.6g\n",
                                    fam[f].name, r->name, r->v[v].name, p);
                    if (expstats_ztest(s.lb, s.imp, c.lb, c.imp, &z, &p) == 0)
                        sbuf_printf(b,
                                    "%s{experiment=\"%s\",variant=\"%s\",metric=\"conversion\"} "
                                    "%.6g\n",
                                    fam[f].name, r->name, r->v[v].name, p);
                    continue;
                }
                if (f >= 5 && !s.known)
                    continue; /* no rate without impressions */
                sbuf_printf(b, "%s{experiment=\"%s\",variant=\"%s\"} %.9g\n", fam[f].name, r->name,
                            r->v[v].name, val[f]);
            }
        }
    }
}
