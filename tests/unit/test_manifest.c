/* store/manifest and store/pointer: round trips, refusals (format, fields),
 * and the pointer's activation history. */
#include <stdlib.h>

#include "store/manifest.h"
#include "store/pointer.h"
#include "test.h"
#include "util/error.h"

static const char SHA[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_manifest_round_trip(void)
{
    struct manifest m = {.format = MANIFEST_FORMAT, .version = 7, .train_seconds = 1.5};
    snprintf(m.algorithm, sizeof m.algorithm, "hybrid");
    snprintf(m.cutoff, sizeof m.cutoff, "2018-06-01");
    snprintf(m.created_at, sizeof m.created_at, "2026-12-02 04:00:00");
    snprintf(m.model_sha256, sizeof m.model_sha256, "%s", SHA);
    m.params_json = "{\"k\":20}";
    m.metrics_json = "{\"model\":{\"all\":{\"hit_rate\":0.25}}}";
    m.n_parts = 1;
    snprintf(m.parts[0].name, sizeof m.parts[0].name, MANIFEST_ARTIFACT);
    m.parts[0].size = 5000000000ull; /* over 32 bits */
    memcpy(m.parts[0].sha256, SHA, 65);
    char *s = manifest_to_json(&m), err[512];
    CHECK(s != NULL);
    struct manifest r;
    CHECK_INT(manifest_parse(s, strlen(s), "x", &r, err, sizeof err), 0);
    CHECK_INT(r.format, 1);
    CHECK_INT(r.version, 7);
    CHECK_STR(r.algorithm, "hybrid");
    CHECK_STR(r.cutoff, "2018-06-01");
    CHECK_STR(r.created_at, "2026-12-02 04:00:00");
    CHECK_STR(r.model_sha256, SHA);
    CHECK_STR(r.params_json, "{\"k\":20}");
    CHECK(strstr(r.metrics_json, "0.25") != NULL);
    CHECK_NEAR(r.train_seconds, 1.5, 1e-12);
    const struct manifest_part *p = manifest_find(&r, MANIFEST_ARTIFACT);
    CHECK(p != NULL);
    CHECK(p && p->size == 5000000000ull);
    CHECK(p && !strcmp(p->sha256, SHA));
    CHECK(manifest_find(&r, "other") == NULL);
    manifest_free(&r);
    manifest_free(&r); /* twice is fine */
    free(s);
}

/* One case: a manifest text and the code and words its refusal carries. */
static const struct {
    const char *json;
    int code;
    const char *words;
} manifest_cases[] = {
    {"{\"format\":2,\"version\":1,\"algorithm\":\"a\",\"parts\":[]}", ERR_INVALID,
     "manifest format 2; this build reads format 1"},
    {"{\"format\":99,\"anything\":true}", ERR_INVALID, "format 99"},
    {"{\"version\":1,\"algorithm\":\"a\"}", ERR_CORRUPT, "\"format\""},
    {"{\"format\":1.5}", ERR_CORRUPT, "\"format\""},
    {"[1]", ERR_CORRUPT, "not a JSON object"},
    {"{\"format\":1,", ERR_CORRUPT, "not a JSON object"},
    {"{\"format\":1,\"version\":0,\"algorithm\":\"a\"}", ERR_CORRUPT, "\"version\""},
    {"{\"format\":1,\"version\":3}", ERR_CORRUPT, "\"algorithm\""},
    {"{\"format\":1,\"version\":3,\"algorithm\":\"a\",\"params\":[1]}", ERR_CORRUPT, "\"params\""},
    {"{\"format\":1,\"version\":3,\"algorithm\":\"a\"}", ERR_CORRUPT, "\"parts\""},
    {"{\"format\":1,\"version\":3,\"algorithm\":\"a\",\"parts\":[{\"name\":\"../x\","
     "\"size\":1,\"sha256\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}]"
     "}",
     ERR_CORRUPT, "\"name\""},
    {"{\"format\":1,\"version\":3,\"algorithm\":\"a\",\"parts\":[{\"name\":\"a\",\"size\":1,"
     "\"sha256\":\"ABC\"}]}",
     ERR_CORRUPT, "sha256"},
    {"{\"format\":1,\"version\":3,\"algorithm\":\"a\",\"parts\":[{\"name\":\"a\",\"size\":-1,"
     "\"sha256\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}]}",
     ERR_CORRUPT, "\"size\""},
    {"{\"format\":1,\"version\":3,\"algorithm\":\"a\",\"parts\":["
     "{\"name\":\"a\",\"size\":1,\"sha256\":"
     "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
     "{\"name\":\"a\",\"size\":1,\"sha256\":"
     "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}]}",
     ERR_CORRUPT, "twice"},
};

static void test_manifest_refusals(void)
{
    for (size_t i = 0; i < sizeof manifest_cases / sizeof *manifest_cases; i++) {
        struct manifest m;
        char err[512] = "";
        const char *j = manifest_cases[i].json;
        int rc = manifest_parse(j, strlen(j), "s3://b/p/v3/manifest.json", &m, err, sizeof err);
        CHECK_INT(rc, manifest_cases[i].code);
        if (!strstr(err, manifest_cases[i].words) || !strstr(err, "s3://b/p/v3/manifest.json"))
            printf("#   case %zu: \"%s\"\n", i, err);
        CHECK(strstr(err, manifest_cases[i].words) != NULL);
        CHECK(strstr(err, "s3://b/p/v3/manifest.json") != NULL);
        CHECK(m.params_json == NULL && m.metrics_json == NULL);
    }
}

static void test_pointer_history(void)
{
    struct pointer p = {0}, q;
    char err[512], *s;
    int64_t now = 0;
    CHECK_INT(pointer_rollback(&p, &now, err, sizeof err), ERR_CONFLICT);
    CHECK_INT(pointer_activate(&p, 1), 0);
    CHECK_INT(pointer_rollback(&p, &now, err, sizeof err), ERR_CONFLICT);
    CHECK(strstr(err, "first") != NULL);
    CHECK_INT(pointer_activate(&p, 2), 0);
    CHECK_INT(pointer_activate(&p, 2), 1); /* already active: unchanged */
    CHECK_INT(pointer_activate(&p, 5), 0);
    CHECK_INT(p.n, 3);
    s = pointer_to_json(&p);
    CHECK_INT(pointer_parse(s, strlen(s), "x", &q, err, sizeof err), 0);
    free(s);
    CHECK_INT(q.active, 5);
    CHECK_INT(q.n, 3);
    CHECK_INT(q.history[0], 1);
    CHECK_STR(q.updated_at, p.updated_at);
    CHECK_INT(pointer_rollback(&q, &now, err, sizeof err), 0);
    CHECK_INT(now, 2);
    CHECK_INT(pointer_rollback(&q, &now, err, sizeof err), 0);
    CHECK_INT(now, 1);
    CHECK_INT(q.active, 1);
    CHECK_INT(pointer_rollback(&q, &now, err, sizeof err), ERR_CONFLICT);
    /* a full history forgets its oldest entry */
    struct pointer f = {0};
    for (int v = 1; v <= POINTER_HISTORY_MAX + 3; v++)
        pointer_activate(&f, v);
    CHECK_INT(f.n, POINTER_HISTORY_MAX);
    CHECK_INT(f.history[0], 4);
    CHECK_INT(f.active, POINTER_HISTORY_MAX + 3);
}

static void test_pointer_refusals(void)
{
    static const struct {
        const char *json;
        int code;
        const char *words;
    } c[] = {
        {"{\"format\":3,\"active\":1,\"history\":[1]}", ERR_INVALID, "pointer format 3"},
        {"{\"active\":1,\"history\":[1]}", ERR_CORRUPT, "\"format\""},
        {"{\"format\":1,\"active\":2,\"history\":[1]}", ERR_CORRUPT, "\"active\""},
        {"{\"format\":1,\"active\":0,\"history\":[1]}", ERR_CORRUPT, "\"active\""},
        {"{\"format\":1,\"active\":1,\"history\":[\"1\"]}", ERR_CORRUPT, "\"history\""},
        {"{\"format\":1,\"active\":1}", ERR_CORRUPT, "\"history\""},
        {"nope", ERR_CORRUPT, "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        struct pointer p;
        char err[512] = "";
        CHECK_INT(
            pointer_parse(c[i].json, strlen(c[i].json), "s3://b/active.json", &p, err, sizeof err),
            c[i].code);
        CHECK(strstr(err, c[i].words) != NULL);
        CHECK(strstr(err, "s3://b/active.json") != NULL);
        CHECK_INT(p.active, 0);
    }
    struct pointer p;
    char err[64];
    const char *empty = "{\"format\":1,\"active\":0,\"history\":[]}";
    CHECK_INT(pointer_parse(empty, strlen(empty), "x", &p, err, sizeof err), 0);
}

int main(void)
{
    RUN(test_manifest_round_trip);
    RUN(test_manifest_refusals);
    RUN(test_pointer_history);
    RUN(test_pointer_refusals);
    return TEST_SUMMARY();
}
