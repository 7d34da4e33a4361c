/* Admin routes: which routes are admin, who may call them (admin_check as a
 * table), and how a key is named in the log. */
#include "net/admin.h"
#include "net/apikeys.h"
#include "net/metrics.h"
#include "net/route.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static void test_admin_routes(void)
{
    static const struct {
        const char *path;
        int admin;
    } cases[] = {
        {"/api/v1/models/3/activate", 1},
        {"/api/v1/models/rollback", 1},
        {"/api/v1/models", 0},
        {"/api/v1/health", 0},
        {"/api/v1/recommendations/user/0123456789abcdef0123456789abcdef", 0},
        {"/api/v1/recommendations/stats", 0},
        {"/metrics", 0},
        {"/api/v1/users/random", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct route_match m;
        route_match(cases[i].path, strlen(cases[i].path), &m);
        CHECK(m.route >= 0);
        if (m.admin != cases[i].admin) {
            test_failed_checks++;
            printf("#   %s: admin %d, expected %d\n", cases[i].path, m.admin, cases[i].admin);
        }
    }
}

static void addr(const char *text, unsigned char out[16])
{
    CHECK_INT(regions_addr_parse(text, strlen(text), out), 0);
}

/* A key list loaded from text, through a file as the server reads it. */
static struct apikeys *keys_from(const char *text)
{
    char path[] = "/tmp/test_admin.XXXXXX", err[256] = "";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    struct apikeys *k = apikeys_load(path, err, sizeof err);
    unlink(path);
    CHECK(k != NULL);
    return k;
}

static void test_verdicts(void)
{
    struct apikeys *keys = keys_from("# admins\nroot-key-1\n");
    static const struct {
        int with_keys;
        const char *key, *client;
        enum forwarded_how how;
        enum admin_verdict want;
    } cases[] = {
        /* No admin keys: loopback only, as the real client. */
        {0, NULL, "127.0.0.1", FORWARDED_DIRECT, ADMIN_ALLOW},
        {0, NULL, "127.0.0.2", FORWARDED_DIRECT, ADMIN_ALLOW},
        {0, NULL, "::1", FORWARDED_DIRECT, ADMIN_ALLOW},
        {0, "anything", "127.0.0.1", FORWARDED_DIRECT, ADMIN_ALLOW},
        {0, NULL, "192.0.2.1", FORWARDED_DIRECT, ADMIN_NOT_LOCAL},
        {0, "root-key-1", "192.0.2.1", FORWARDED_DIRECT, ADMIN_NOT_LOCAL},
        {0, NULL, "192.0.2.1", FORWARDED_TRUSTED, ADMIN_NOT_LOCAL},
        {0, NULL, "127.0.0.1", FORWARDED_TRUSTED, ADMIN_ALLOW},
        /* Loopback peer with X-Forwarded-For it does not vouch for: a proxy
         * nobody listed; its clients are not known to be local. */
        {0, NULL, "127.0.0.1", FORWARDED_UNVERIFIED, ADMIN_NOT_LOCAL},
        /* Admin keys: the key decides, wherever the client is. */
        {1, NULL, "127.0.0.1", FORWARDED_DIRECT, ADMIN_KEY_MISSING},
        {1, "root-key-2", "127.0.0.1", FORWARDED_DIRECT, ADMIN_KEY_WRONG},
        {1, "root-key-", "127.0.0.1", FORWARDED_DIRECT, ADMIN_KEY_WRONG},
        {1, "root-key-1", "192.0.2.1", FORWARDED_TRUSTED, ADMIN_ALLOW},
        {1, "root-key-1", "192.0.2.1", FORWARDED_UNVERIFIED, ADMIN_ALLOW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char a[16];
        addr(cases[i].client, a);
        const char *k = cases[i].key;
        enum admin_verdict v =
            admin_check(cases[i].with_keys ? keys : NULL, k, k ? strlen(k) : 0, a, cases[i].how);
        if (v != cases[i].want) {
            test_failed_checks++;
            printf("#   case %zu: verdict %d, expected %d\n", i, v, cases[i].want);
        }
    }
    apikeys_free(keys);
}

/* Every key check a route goes through, API keys and admin keys together. */
static void test_gate(void)
{
    struct apikeys *admin = keys_from("admin-1\n"), *user = keys_from("user-1\n");
    static const struct {
        int users, admins, protected_route, adm;
        const char *key, *client;
        int want;
    } cases[] = {
        /* Open routes and no keys configured: nothing to check. */
        {0, 0, 0, 0, NULL, "192.0.2.1", 0},
        {1, 1, 0, 0, NULL, "192.0.2.1", 0},
        {0, 0, 1, 0, NULL, "192.0.2.1", 0},
        /* API keys: a user key or an admin key opens a protected route. */
        {1, 0, 1, 0, NULL, "127.0.0.1", 401},
        {1, 0, 1, 0, "nope", "127.0.0.1", 401},
        {1, 0, 1, 0, "user-1", "192.0.2.1", 0},
        {1, 1, 1, 0, "admin-1", "192.0.2.1", 0},
        {1, 0, 1, 0, "admin-1", "192.0.2.1", 401},
        /* Admin routes, no admin keys: loopback, plus an API key when keys are on. */
        {0, 0, 1, 1, NULL, "127.0.0.1", 0},
        {0, 0, 1, 1, NULL, "192.0.2.1", 403},
        {1, 0, 1, 1, "user-1", "192.0.2.1", 403},
        {1, 0, 1, 1, NULL, "127.0.0.1", 401},
        {1, 0, 1, 1, "user-1", "127.0.0.1", 0},
        /* Admin keys: only an admin key, from anywhere; a user key is not one. */
        {1, 1, 1, 1, "admin-1", "192.0.2.1", 0},
        {0, 1, 1, 1, "admin-1", "192.0.2.1", 0},
        {1, 1, 1, 1, "user-1", "127.0.0.1", 401},
        {1, 1, 1, 1, NULL, "127.0.0.1", 401},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char a[16];
        addr(cases[i].client, a);
        const char *k = cases[i].key, *why = NULL;
        int st = admin_gate(cases[i].users ? user : NULL, cases[i].admins ? admin : NULL,
                            cases[i].protected_route, cases[i].adm, k, k ? strlen(k) : 0, a,
                            FORWARDED_DIRECT, &why);
        if (st != cases[i].want || !why || (st != 0) != (why[0] != '\0')) {
            test_failed_checks++;
            printf("#   case %zu: %d (%s), expected %d\n", i, st, why ? why : "(null)",
                   cases[i].want);
        }
    }
    apikeys_free(admin);
    apikeys_free(user);
}

static void test_key_id(void)
{
    char id[ADMIN_KEY_ID_LEN];
    admin_key_id("abc", 3, id); /* sha256("abc") = ba7816bf... */
    CHECK_STR(id, "sha256:ba7816bf");
    admin_key_id("root-key-1", 10, id);
    CHECK(strlen(id) == ADMIN_KEY_ID_LEN - 1 && !strstr(id, "root"));
}

int main(void)
{
    RUN(test_admin_routes);
    RUN(test_verdicts);
    RUN(test_gate);
    RUN(test_key_id);
    return TEST_SUMMARY();
}
