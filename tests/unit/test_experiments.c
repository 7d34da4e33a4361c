/* A/B experiments on the tiny shop of the engine tests: the creation body's
 * checks (net/expapi.c), variant engines sharing the catalogue
 * (engine_open_variant), the registry and its snapshots (net/exp.c):
 * assignment through a snapshot is sticky and splits evenly, variants get
 * their own cache keys, request ids are unique; attribution of clicks and
 * purchases (net/expattr.c) by request id and by the last list within 24 h,
 * through the same hook the events writer calls; persistence across a
 * restart (net/expstore.c). */
#include <ctype.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/train.h"
#include "engine_fixture.h"
#include "exp_fixture.h"
#include "net/exp.h"
#include "net/expapi.h"
#include "net/expattr.h"
#include "net/expjson.h"
#include "net/expstore.h"
#include "util/error.h"
#include "util/sbuf.h"
#include "test.h"

static int parse(const char *body, struct exp_record *rec, char *err, size_t errlen)
{
    return expapi_parse(body, strlen(body), rec, err, errlen);
}

/* Each bad body names its field; a good one fills the record. */
static void test_parse_checks_every_field(void)
{
    static const struct {
        const char *body;
        int status;
        const char *says;
    } cases[] = {
        {"[1]", 400, "object"},
        {"{\"name\":\"a\"", 400, ""},
        {"{\"variants\":[]}", 422, "name"},
        {"{\"name\":\"has space\",\"variants\":[]}", 422, "name"},
        {"{\"name\":\"x\",\"variants\":[{\"name\":\"A\",\"model_version\":1,\"share\":100}]}", 422,
         "variants must be an array of 2"},
        {"{\"name\":\"x\",\"variants\":[{\"name\":\"A\",\"model_version\":1,\"share\":50},"
         "{\"name\":\"B\",\"model_version\":2,\"share\":40}]}",
         422, "sum to 90"},
        {"{\"name\":\"x\",\"variants\":[{\"name\":\"A\",\"model_version\":1,\"share\":50},"
         "{\"name\":\"A\",\"model_version\":2,\"share\":50}]}",
         422, "variants[1].name"},
        {"{\"name\":\"x\",\"variants\":[{\"name\":\"A\",\"model_version\":0,\"share\":50},"
         "{\"name\":\"B\",\"model_version\":2,\"share\":50}]}",
         422, "variants[0].model_version"},
        {"{\"name\":\"x\",\"variants\":[{\"name\":\"A\",\"model_version\":1,\"share\":50},"
         "{\"name\":\"B\",\"model_version\":2.5,\"share\":50}]}",
         422, "variants[1].model_version"},
        {"{\"name\":\"x\",\"variants\":[{\"name\":\"A\",\"model_version\":1,\"share\":150},"
         "{\"name\":\"B\",\"model_version\":2,\"share\":-50}]}",
         422, "variants[0].share"},
        {"{\"name\":\"x\",\"traffic\":0,\"variants\":[{\"name\":\"A\",\"model_version\":1,"
         "\"share\":50},{\"name\":\"B\",\"model_version\":2,\"share\":50}]}",
         422, "traffic"},
        {"{\"name\":\"x\",\"variants\":[{\"name\":\"A\",\"model_version\":1,\"share\":50},"
         "\"B\"]}",
         422, "variants[1] must be an object"},
    };
    struct exp_record rec;
    char err[300];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int st = parse(cases[i].body, &rec, err, sizeof err);
        if (st != cases[i].status || !strstr(err, cases[i].says))
            printf("#   case %zu: %d \"%s\"\n", i, st, err);
        CHECK_INT(st, cases[i].status);
        CHECK(strstr(err, cases[i].says) != NULL);
    }
    CHECK_INT(parse("{\"name\":\"als-vs-hybrid\",\"traffic\":40,\"variants\":["
                    "{\"name\":\"A\",\"model_version\":3,\"share\":25},"
                    "{\"name\":\"B\",\"model_version\":5,\"share\":75}]}",
                    &rec, err, sizeof err),
              0);
    CHECK_STR(rec.name, "als-vs-hybrid");
    CHECK_INT(rec.n_variants, 2);
    CHECK_INT(rec.traffic, 40);
    CHECK_INT(rec.v[1].version, 5);
    CHECK_INT(rec.v[1].share, 75);
    CHECK_INT(rec.running, 1);
}

/* A variant engine serves its own version and shares base's customers:
 * the same profile, the other model. Unknown versions are ERR_NOT_FOUND. */
static void test_variant_engine_shares_the_catalogue(void)
{
    struct engine *v1 = NULL, *bad = NULL;
    struct engine_info info;
    struct user_profile a, b;
    char err[512], uid[33];
    CHECK_INT(engine_open_variant(base, 1, &v1, err, sizeof err), 0);
    engine_get_info(v1, &info);
    CHECK_INT(info.version, 1);
    CHECK_STR(info.algorithm, "popularity");
    id(uid, 0xA000, 1);
    CHECK_INT(engine_user_profile(base, uid, &a, err, sizeof err), 0);
    CHECK_INT(engine_user_profile(v1, uid, &b, err, sizeof err), 0);
    CHECK_INT(a.n_purchases, b.n_purchases);
    CHECK_INT(a.orders, 2);
    engine_user_profile_free(&a);
    engine_user_profile_free(&b);
    struct rec_request q = {.user = uid, .count = 3};
    struct rec_result r;
    CHECK_INT(engine_recommend(v1, &q, &r, err, sizeof err), 0);
    CHECK(r.n_items > 0);
    CHECK_STR(r.items[0].source, "popularity:global");
    CHECK_INT(engine_open_variant(base, 99, &bad, err, sizeof err), ERR_NOT_FOUND);
    CHECK(strstr(err, "99") != NULL);
    CHECK(bad == NULL);
    engine_release(v1); /* base lives on: it held a reference */
    CHECK_INT(engine_user_profile(base, uid, &a, err, sizeof err), 0);
    engine_user_profile_free(&a);
}

/* A record for versions 1 and 2 at 50/50 (traffic 100). */
/* 2,000 users split 50/50 within 5%, the same variant on every pick and
 * from another region's snapshot; each variant's engine is its version's;
 * cache keys differ by variant. */
static void test_assignment_through_snapshots(void)
{
    struct experiments *x;
    char err[512], uid[33], key[128];
    CHECK_INT(exp_new(db_path, &x, err, sizeof err), 0);
    struct exp_record *rec = start(x, "split", 100);
    struct exp_snap *s1 = NULL, *s2 = NULL;
    uint64_t g1 = 0, g2 = 0;
    exp_sync(x, NULL, &s1, &g1);
    exp_sync(x, NULL, &s2, &g2);
    CHECK(s1 != NULL);
    int n[2] = {0, 0}, same = 1;
    for (int i = 0; i < 2000; i++) {
        struct exp_pick p, q;
        uid_of(uid, i);
        CHECK_INT(exp_pick(s1, uid, &p), 1);
        CHECK_INT(exp_pick(s2, uid, &q), 1);
        for (char *c = uid; *c; c++) /* ids are case-insensitive */
            *c = (char)toupper((unsigned char)*c);
        struct exp_pick u;
        exp_pick(s1, uid, &u);
        same &= p.variant == q.variant && p.variant == u.variant;
        n[p.variant]++;
        if (i == 0) {
            struct engine_info info;
            engine_get_info(p.engine, &info);
            CHECK_INT(info.version, p.version);
            CHECK(p.rec == rec);
        }
    }
    CHECK(same);
    CHECK(n[0] >= 950 && n[0] <= 1050);
    struct exp_pick pa = {.rec = rec, .variant = 0}, pb = {.rec = rec, .variant = 1};
    char ka[128];
    snprintf(ka, sizeof ka, "r:x:10:0");
    snprintf(key, sizeof key, "r:x:10:0");
    exp_cache_suffix(ka, &pa);
    exp_cache_suffix(key, &pb);
    CHECK(strcmp(ka, key) != 0);
    CHECK(strncmp(ka, "r:x:10:0:x", 10) == 0);
    /* a stopped experiment covers nobody once a region syncs */
    exp_stop(x, rec, NULL);
    exp_sync(x, NULL, &s1, &g1);
    struct exp_pick p;
    CHECK_INT(exp_pick(s1, uid, &p), 0);
    exp_snap_release(s1, NULL);
    exp_snap_release(s2, NULL); /* the old one: its engines go with it */
    exp_close(x);
}

/* Traffic layers: 60% + 40% fit, one more does not. */
static void test_traffic_ranges(void)
{
    struct experiments *x;
    char err[512];
    CHECK_INT(exp_new(db_path, &x, err, sizeof err), 0);
    struct exp_record *a = start(x, "t60", 60);
    CHECK_INT(a->traffic_from, 0);
    pthread_mutex_lock(&x->mu);
    CHECK_INT(exp_free_range(x, 41), -1);
    CHECK_INT(exp_free_range(x, 40), 60);
    pthread_mutex_unlock(&x->mu);
    struct exp_record *b = start(x, "t40", 40);
    CHECK_INT(b->traffic_from, 60);
    pthread_mutex_lock(&x->mu);
    CHECK_INT(exp_free_range(x, 1), -1);
    pthread_mutex_unlock(&x->mu);
    struct exp_record *dup = record("t60", 10);
    struct engine *eng[2] = {base, base};
    engine_retain(base);
    engine_retain(base);
    CHECK_INT(exp_add(x, dup, eng, err, sizeof err), ERR_CONFLICT);
    /* users fall in one of the two, by their traffic bucket */
    struct exp_snap *s = NULL;
    uint64_t g = 0;
    exp_sync(x, NULL, &s, &g);
    int in[2] = {0, 0};
    char uid[33];
    for (int i = 0; i < 1000; i++) {
        struct exp_pick p;
        uid_of(uid, i);
        CHECK_INT(exp_pick(s, uid, &p), 1);
        in[p.rec == b]++;
    }
    CHECK(in[0] > 540 && in[0] < 660);
    exp_stop(x, a, NULL);
    exp_stop(x, b, NULL);
    exp_snap_release(s, NULL);
    exp_close(x);
}

/* A rendered list as render_recs writes it (product ids only matter). */
static void list_json(char *out, size_t size, const int *products, int n)
{
    size_t k = (size_t)snprintf(out, size, "\"user_id\":\"x\",\"recommendations\":[");
    for (int i = 0; i < n; i++) {
        char pid[33];
        id(pid, 0xB000, (unsigned)products[i]);
        k += (size_t)snprintf(out + k, size - k, "%s{\"rank\":%d,\"product_id\":\"%s\"}",
                              i ? "," : "", i + 1, pid);
    }
    snprintf(out + k, size - k, "]");
}

/* The request id of a served list, from what exp_served appended. */
static void served(struct experiments *x, struct exp_pick *p, const char *uid, const int *products,
                   int n, double now, char rid[FEEDBACK_REQUEST_ID_LEN])
{
    char list[2048];
    struct sbuf b;
    sbuf_init(&b, 1 << 16);
    list_json(list, sizeof list, products, n);
    exp_served(x, p, "us-west", uid, list, strlen(list), now, &b);
    sbuf_puts(&b, "");
    const char *r = strstr(b.p ? b.p : "", "\"request_id\":\"");
    rid[0] = '\0';
    if (r) {
        r += 14;
        size_t l = strcspn(r, "\"");
        snprintf(rid, FEEDBACK_REQUEST_ID_LEN, "%.*s", (int)l, r);
    }
    char want[128];
    snprintf(want, sizeof want, "\"experiment\":\"%s\",\"variant\":", p ? p->rec->name : "");
    if (p)
        CHECK(strstr(b.p, want) != NULL);
    sbuf_free(&b);
}

static struct feedback_event event(const char *uid, int product, enum feedback_type t,
                                   const char *rid)
{
    struct feedback_event e;
    memset(&e, 0, sizeof e);
    snprintf(e.user_id, sizeof e.user_id, "%s", uid);
    id(e.product_id, 0xB000, (unsigned)product);
    e.type = t;
    snprintf(e.request_id, sizeof e.request_id, "%s", rid ? rid : "");
    return e;
}

/* Clicks and purchases land in the variant that served the list: by request
 * id, else by the product being in the user's last list; other users,
 * other products, views and foreign request ids count nothing; a list
 * counts once in the rates however often it is clicked. */
static void test_attribution(void)
{
    struct experiments *x;
    char err[512], u1[33], u2[33], rid1[FEEDBACK_REQUEST_ID_LEN], rid2[FEEDBACK_REQUEST_ID_LEN];
    CHECK_INT(exp_new(db_path, &x, err, sizeof err), 0);
    struct exp_record *rec = start(x, "attr", 100);
    struct exp_snap *s = NULL;
    uint64_t g = 0;
    exp_sync(x, NULL, &s, &g);
    struct exp_pick p1, p2;
    int i = 0;
    do /* two users in different variants */
        uid_of(u1, i++);
    while (!exp_pick(s, u1, &p1) || p1.variant != 0);
    do
        uid_of(u2, i++);
    while (!exp_pick(s, u2, &p2) || p2.variant != 1);
    served(x, &p1, u1, (int[]){PHONE, LAPTOP, MOUSE}, 3, 100.0, rid1);
    served(x, &p2, u2, (int[]){TABLET, HEADSET}, 2, 100.0, rid2);
    char other[FEEDBACK_REQUEST_ID_LEN];
    served(x, NULL, u1, (int[]){CABLE}, 1, 100.0, other); /* not in an experiment */
    CHECK(strncmp(rid1, "uswest-", 7) == 0);
    CHECK(strcmp(rid1, rid2) != 0 && strcmp(rid2, other) != 0);
    struct exp_counts *a = &rec->v[0].c, *b = &rec->v[1].c;
    CHECK_INT(atomic_load(&a->impressions), 1);
    CHECK_INT(atomic_load(&b->impressions), 1);
    struct feedback_event ev[] = {
        event(u1, LAPTOP, FEEDBACK_CLICK, rid1),           /* by request id */
        event(u1, MOUSE, FEEDBACK_CLICK, NULL),            /* by the last list: same list again */
        event(u1, CABLE, FEEDBACK_CLICK, NULL),            /* not in the list */
        event(u2, HEADSET, FEEDBACK_PURCHASE, NULL),       /* B's list, bought */
        event(u2, HEADSET, FEEDBACK_VIEW, rid2),           /* views are not outcomes */
        event(u2, PHONE, FEEDBACK_CLICK, "zz-00000000-1"), /* a foreign id, not in the list */
        event(u1, TABLET, FEEDBACK_PURCHASE, NULL),        /* u2's product, u1's list */
    };
    exp_on_events(x, ev, sizeof ev / sizeof ev[0]);
    CHECK_INT(atomic_load(&a->clicks), 2);
    CHECK_INT(atomic_load(&a->lists_clicked), 1);
    CHECK_INT(atomic_load(&a->purchases), 0);
    CHECK_INT(atomic_load(&b->clicks), 0);
    CHECK_INT(atomic_load(&b->purchases), 1);
    CHECK_INT(atomic_load(&b->lists_bought), 1);
    /* by request id even for a product not listed (the event names the list) */
    struct feedback_event named = event(u2, PHONE, FEEDBACK_CLICK, rid2);
    exp_on_events(x, &named, 1);
    CHECK_INT(atomic_load(&b->clicks), 1);
    /* after 24 h the list is forgotten */
    CHECK_INT(expattr_event(x->attr, u1, "", 0, EXPATTR_CLICK, 100.0 + EXPATTR_TTL + 1), 0);
    char pid[33];
    id(pid, 0xB000, PHONE);
    CHECK_INT(expattr_event(x->attr, u1, pid, 0, EXPATTR_CLICK, 100.0 + EXPATTR_TTL + 1), 0);
    CHECK_INT(expattr_event(x->attr, u1, pid, 0, EXPATTR_CLICK, 100.0 + EXPATTR_TTL - 1), 1);
    /* the JSON carries the counts, intervals and the leader */
    struct sbuf j;
    sbuf_init(&j, 1 << 20);
    expjson_render(x, rec, &j);
    sbuf_puts(&j, "");
    CHECK(strstr(j.p, "\"name\":\"attr\",\"status\":\"running\"") != NULL);
    CHECK(strstr(j.p, "\"impressions\":1,\"users\":1,\"clicks\":3") != NULL);
    CHECK(strstr(j.p, "\"leader\":\"B\"") != NULL);
    sbuf_reset(&j);
    expjson_prometheus(x, &j);
    sbuf_puts(&j, "");
    CHECK(strstr(j.p, "recsys_experiment_clicks_total{experiment=\"attr\",variant=\"A\"} 3\n") !=
          NULL);
    CHECK(strstr(j.p, "recsys_experiment_running{experiment=\"attr\"} 1\n") != NULL);
    sbuf_free(&j);
    CHECK_INT(exp_leader(rec), 1);
    exp_snap_release(s, NULL);
    exp_close(x); /* saves the counters */
    /* a restart finds it running, with its counters and engines */
    CHECK_INT(exp_new(db_path, &x, err, sizeof err), 0);
    CHECK_INT(exp_load(x, base, err, sizeof err), 0);
    pthread_mutex_lock(&x->mu);
    struct exp_record *again = exp_find(x, "attr", 4);
    pthread_mutex_unlock(&x->mu);
    CHECK(again != NULL);
    if (again) {
        CHECK_INT(again->running, 1);
        CHECK_INT(atomic_load(&again->v[0].c.clicks), 3);
        CHECK_INT(atomic_load(&again->v[1].c.purchases), 1);
        CHECK_INT((int)(expstats_hll_estimate(again->v[0].c.users) + 0.5), 1);
        CHECK_INT(again->v[1].version, 2);
    }
    s = NULL;
    g = 0;
    exp_sync(x, NULL, &s, &g);
    struct exp_pick p;
    CHECK_INT(exp_pick(s, u1, &p), 1);
    CHECK_INT(p.variant, 0);
    exp_snap_release(s, NULL);
    exp_close(x);
}

/* Thousands of users are all remembered (sets, not one slot per hash);
 * past the table's size the oldest lists go first. The README's memory
 * bound is EXPATTR_SLOTS * sizeof(struct expattr_list). */
static void test_attribution_memory_is_bounded(void)
{
    struct expattr a;
    static struct exp_counts c;
    char uid[33], pid[33], list[256];
    id(pid, 0xB000, PHONE);
    snprintf(list, sizeof list, "{\"product_id\":\"%s\"}", pid);
    expattr_init(&a);
    CHECK_INT(sizeof(struct expattr_list), 200);
    for (int i = 0; i < 5000; i++) {
        uid_of(uid, i);
        expattr_record(&a, uid, (uint64_t)i + 1, &c, list, strlen(list), 10.0 + i);
    }
    int found = 0;
    for (int i = 0; i < 5000; i++) {
        uid_of(uid, i);
        found += expattr_event(&a, uid, pid, 0, EXPATTR_PURCHASE, 6000.0);
    }
    CHECK_INT(found, 5000);
    CHECK_INT(atomic_load(&c.lists_bought), 5000);
    for (int i = 5000; i < 5000 + 2 * EXPATTR_SLOTS; i++) { /* twice the table */
        uid_of(uid, i);
        expattr_record(&a, uid, (uint64_t)i + 1, &c, list, strlen(list), 10.0 + i);
    }
    uid_of(uid, 0);
    CHECK_INT(expattr_event(&a, uid, pid, 0, EXPATTR_CLICK, 200000.0), 0); /* evicted */
    uid_of(uid, 5000 + 2 * EXPATTR_SLOTS - 1);
    CHECK_INT(expattr_event(&a, uid, pid, 0, EXPATTR_CLICK, 200000.0), 1); /* the newest */
    expattr_free(&a);
}

/* What a region loop, the events writer and the bio thread do at once:
 * serve through a snapshot, attribute events, publish new snapshots
 * (another experiment starts and stops). Counts add up; TSan (make test
 * SAN=thread) checks the locking. */
struct race {
    struct experiments *x;
    int stop;
};

static void *race_events(void *arg)
{
    struct race *r = arg;
    char uid[33];
    for (int k = 0; k < 2000; k++) {
        uid_of(uid, k % 200);
        struct feedback_event ev = event(uid, PHONE, FEEDBACK_CLICK, NULL);
        exp_on_events(r->x, &ev, 1);
    }
    return NULL;
}

static void *race_publish(void *arg)
{
    struct race *r = arg;
    for (int k = 0; k < 20; k++) {
        char name[32];
        snprintf(name, sizeof name, "side-%d", k);
        struct exp_record *rec = start(r->x, name, 10);
        exp_stop(r->x, rec, NULL);
    }
    return NULL;
}

static void test_concurrent_serving_and_events(void)
{
    struct race r;
    char err[512], uid[33], rid[FEEDBACK_REQUEST_ID_LEN];
    CHECK_INT(exp_new(db_path, &r.x, err, sizeof err), 0);
    struct exp_record *rec = start(r.x, "race", 50);
    pthread_t te, tp;
    pthread_create(&te, NULL, race_events, &r);
    pthread_create(&tp, NULL, race_publish, &r);
    struct exp_snap *s = NULL;
    uint64_t g = 0;
    int served_n = 0;
    for (int k = 0; k < 2000; k++) {
        struct exp_pick p;
        uid_of(uid, k % 200);
        exp_sync(r.x, NULL, &s, &g);
        if (exp_pick(s, uid, &p) && p.rec == rec) {
            served(r.x, &p, uid, (int[]){PHONE, LAPTOP}, 2, 1.0, rid);
            served_n++;
        }
    }
    pthread_join(te, NULL);
    pthread_join(tp, NULL);
    uint64_t imp = atomic_load(&rec->v[0].c.impressions) + atomic_load(&rec->v[1].c.impressions);
    CHECK_INT(imp, served_n);
    CHECK(served_n > 0);
    exp_snap_release(s, NULL);
    exp_close(r.x);
}

int main(void)
{
    setup();
    RUN(test_parse_checks_every_field);
    RUN(test_variant_engine_shares_the_catalogue);
    RUN(test_assignment_through_snapshots);
    RUN(test_traffic_ranges);
    RUN(test_attribution);
    RUN(test_attribution_memory_is_bounded);
    RUN(test_concurrent_serving_and_events);
    engine_release(base);
    fixture_remove();
    return TEST_SUMMARY();
}
