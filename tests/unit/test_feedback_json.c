/* The events body reader (net/events_json.c): a table of bodies and what
 * the walk makes of them (events seen, fields kept, the status), then
 * deterministic mutations of valid bodies: no crash, only the documented
 * results, and whatever the reader accepts cJSON accepts too (it is the
 * stricter of the two). */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/events_json.h"
#include "test.h"

struct seen {
    int n;
    struct events_json_event ev[8];
};

static int collect(void *ctx, size_t index, const struct events_json_event *ev)
{
    struct seen *s = ctx;
    if ((size_t)s->n != index)
        return -999;
    if (s->n < 8)
        s->ev[s->n] = *ev;
    s->n++;
    return 0;
}

static int walk(const char *body, struct seen *s, size_t max)
{
    memset(s, 0, sizeof *s);
    return events_json_walk(body, strlen(body), max, collect, s);
}

static void test_events_json_table(void)
{
    static const struct {
        const char *body;
        int rc, n;
    } cases[] = {
        {"{\"user_id\":\"u\",\"product_id\":\"p\",\"type\":\"view\"}", 0, 1},
        {" {\"events\":[{\"user_id\":\"a\"},{\"user_id\":\"b\"}]} ", 0, 2},
        {"{\"events\":[{\"x\":[1,{\"y\":null}],\"user_id\":\"a\"},3,\"s\"]}", 0, 3},
        {"{\"events\":[]}", -422, 0},
        {"{\"events\":{}}", -422, 0},
        {"{\"events\":5}", -422, 0},
        {"{\"events\":[{},{},{},{}]}", -413, 3},
        {"[]", -400, 0},
        {"", -400, 0},
        {"{", -400, 0},
        {"{\"events\":[{}]", -400, 0},
        {"{\"events\":[{}]} x", -400, 0},
        {"{\"events\":[{},]}", -400, 0}, /* syntax is checked before any event is seen */
        {"{\"a\":01}", -400, 0},
        {"{\"a\":1.}", -400, 0},
        {"{\"a\":tru}", -400, 0},
        {"{\"a\":\"\\x\"}", -400, 0},
        {"{\"a\":\"tab\there\"}", -400, 0},
        {"{\"a\" 1}", -400, 0},
        {"{}", 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct seen s;
        int rc = walk(cases[i].body, &s, 3);
        if (rc != cases[i].rc || s.n != cases[i].n)
            printf("#   case %zu: %s\n", i, cases[i].body);
        CHECK_INT(rc, cases[i].rc);
        CHECK_INT(s.n, cases[i].n);
    }
}

static void test_events_json_values(void)
{
    struct seen s;
    const char *b = "{\"events\":[{\"user_id\":\"A\\u0042c\\/d\",\"ts\":1.5e3,\"type\":null,"
                    "\"request_id\":[1],\"product_id\":\"\\u00e9\",\"extra\":{\"ts\":1}},"
                    "7,{\"ts\":\"2018-01-01\",\"user_id\":\"" /* 80 characters: cut */
                    "0123456789012345678901234567890123456789"
                    "0123456789012345678901234567890123456789\"}]}";
    CHECK_INT(walk(b, &s, 10), 0);
    CHECK_INT(s.n, 3);
    CHECK(s.ev[0].is_object);
    CHECK_INT(s.ev[0].user_id.kind, EJ_STRING);
    CHECK_STR(s.ev[0].user_id.s, "ABc/d");
    CHECK_INT(s.ev[0].ts.kind, EJ_NUMBER);
    CHECK_NEAR(s.ev[0].ts.num, 1500.0, 1e-9);
    CHECK_INT(s.ev[0].type.kind, EJ_NULL);
    CHECK_INT(s.ev[0].request_id.kind, EJ_OTHER);
    CHECK_STR(s.ev[0].product_id.s, "?"); /* non-ASCII: no id has it */
    CHECK_INT(s.ev[0].product_id.too_long, 0);
    CHECK(!s.ev[1].is_object);
    CHECK_INT(s.ev[1].user_id.kind, EJ_ABSENT);
    CHECK_INT(s.ev[2].ts.kind, EJ_STRING);
    CHECK_STR(s.ev[2].ts.s, "2018-01-01");
    CHECK_INT(s.ev[2].user_id.too_long, 1);
    CHECK_INT(strlen(s.ev[2].user_id.s), EVENTS_JSON_STR - 1);
    /* a single event with an "events" member is a batch */
    CHECK_INT(walk("{\"user_id\":\"x\",\"events\":[{\"user_id\":\"y\"}]}", &s, 10), 0);
    CHECK_INT(s.n, 1);
    CHECK_STR(s.ev[0].user_id.s, "y");
    /* the callback's error stops the walk */
    CHECK_INT(events_json_walk("{\"events\":[{},{}]}", 18, 10, collect, &s), -999);
}

static int count_only(void *ctx, size_t index, const struct events_json_event *ev)
{
    (void)index;
    (void)ev;
    ++*(int *)ctx;
    return 0;
}

/* Flips, inserts and deletes bytes of valid bodies (xorshift, fixed seed). */
static void test_events_json_mutations(void)
{
    static const char *seeds[] = {
        "{\"events\":[{\"user_id\":\"0123456789abcdef0123456789abcdef\",\"product_id\":"
        "\"fedcba9876543210fedcba9876543210\",\"type\":\"click\",\"ts\":1519898400,"
        "\"request_id\":\"r-1\"},{\"user_id\":\"aa\",\"type\":\"purchase\",\"ts\":\"2018-03-01T10:"
        "00:00Z\"}]}",
        "{\"user_id\":\"0123456789abcdef0123456789abcdef\",\"extra\":[true,false,null,{\"k\":-1.5e-"
        "3}]}",
    };
    static const char alphabet[] = "{}[]\",:\\ 0123456789.eE-+tfnulrsa\x01\xc3\xa9";
    uint64_t x = 88172645463325252ull;
    int bad = 0, accepted = 0;
    for (int round = 0; round < 20000; round++) {
        char buf[512];
        const char *seed = seeds[round % 2];
        size_t n = strlen(seed);
        memcpy(buf, seed, n);
        for (int k = 0; k < 1 + round % 4; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x % n);
            char c = alphabet[(x >> 20) % (sizeof alphabet - 1)];
            if ((x >> 40) % 3 == 0) {
                buf[at] = c;
            } else if ((x >> 40) % 3 == 1 && n < sizeof buf - 1) {
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
            } else if (n > 1) {
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
            }
        }
        int cnt = 0;
        int rc = events_json_walk(buf, n, 1000, count_only, &cnt);
        if (rc != 0 && rc != -400 && rc != -413 && rc != -422)
            bad++;
        if (rc == 0) {
            accepted++;
            const char *end = NULL;
            cJSON *j = cJSON_ParseWithLengthOpts(buf, n, &end, 0);
            while (j && end < buf + n && (*end == ' ' || *end == '\n'))
                end++;
            if (!j || end != buf + n) {
                bad++;
                printf("#   accepted, cJSON refuses: %.*s\n", (int)n, buf);
            }
            cJSON_Delete(j);
        }
    }
    CHECK_INT(bad, 0);
    CHECK(accepted > 100); /* the mutations leave many bodies valid */
}

int main(void)
{
    RUN(test_events_json_table);
    RUN(test_events_json_values);
    RUN(test_events_json_mutations);
    return TEST_SUMMARY();
}
