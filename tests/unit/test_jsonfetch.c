/* The dashboard's request helper (tui/jsonfetch.h) on file:// URLs, so no
 * server is needed: the answer gathered whole, the cap that cuts it, two
 * transfers on one multi handle (one failing) each reported once, the
 * owner kept across jsonfetch_end; the API key sent whole to a loopback
 * socket; and the cJSON readers. The other headers and POSTs are covered end
 * to end by the dashboard's tests (tests/e2e/tui*.sh, experiments_tui.sh). */
#include "tui/jsonfetch.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/clock.h"

static char dir[] = "/tmp/test_jsonfetch.XXXXXX";

/* Writes text to dir/name; its file:// URL into url. */
static void put_file(const char *name, const char *text, char *url, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    snprintf(url, n, "file://%s", path);
}

/* Moves multi on until a transfer finishes (20 s at most): it, or NULL. */
static struct jsonfetch *next_done(CURLM *multi, CURLcode *rc)
{
    double until = clock_monotonic() + 20;
    struct jsonfetch *j;
    int running;
    do {
        curl_multi_perform(multi, &running);
        if ((j = jsonfetch_done(multi, rc)))
            return j;
        curl_multi_poll(multi, NULL, 0, 50, NULL);
    } while (clock_monotonic() < until);
    return NULL;
}

static void test_get(void)
{
    CURLM *multi = curl_multi_init();
    struct jsonfetch j = {.owner = &j};
    struct jsonfetch_opts o = {.key = "k1", .timeout_ms = 5000, .connect_ms = 2000, .max = 1024};
    char url[300];
    CURLcode rc = CURLE_OK;
    put_file("a.json", "{\"n\": 4.5, \"s\": \"text\"}", url, sizeof url);
    CHECK_INT(jsonfetch_start(&j, multi, url, &o), 0);
    CHECK(j.easy != NULL);
    CHECK(next_done(multi, &rc) == &j);
    CHECK_INT(rc, CURLE_OK);
    CHECK_STR(j.body, "{\"n\": 4.5, \"s\": \"text\"}");
    CHECK_INT(j.len, strlen("{\"n\": 4.5, \"s\": \"text\"}"));
    CHECK_INT(j.too_big, 0);
    CHECK(jsonfetch_done(multi, &rc) == NULL); /* reported once */
    jsonfetch_end(&j, multi);
    CHECK(j.easy == NULL && j.body == NULL && j.len == 0);
    CHECK(j.owner == &j);
    jsonfetch_end(&j, multi); /* idle: nothing to do */
    CHECK_INT(jsonfetch_status(&j), 0);
    curl_multi_cleanup(multi);
}

/* An answer past max is cut: a write error, too_big set, nothing kept past it. */
static void test_cap(void)
{
    CURLM *multi = curl_multi_init();
    struct jsonfetch j = {0};
    struct jsonfetch_opts o = {.timeout_ms = 5000, .connect_ms = 2000, .max = 16};
    char url[300];
    CURLcode rc = CURLE_OK;
    put_file("big.json", "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]", url, sizeof url);
    CHECK_INT(jsonfetch_start(&j, multi, url, &o), 0);
    CHECK(next_done(multi, &rc) == &j);
    CHECK_INT(rc, CURLE_WRITE_ERROR);
    CHECK_INT(j.too_big, 1);
    CHECK(j.len < 16);
    jsonfetch_end(&j, multi);
    CHECK_INT(j.too_big, 0);
    curl_multi_cleanup(multi);
}

/* Two transfers in flight (one failing: a missing file) are each reported once. */
static void test_two_in_flight(void)
{
    CURLM *multi = curl_multi_init();
    struct jsonfetch a = {0}, b = {0};
    struct jsonfetch_opts o = {.timeout_ms = 5000, .connect_ms = 2000, .max = 1024};
    char url[300], missing[320];
    CURLcode rc = CURLE_OK, rc_a = CURLE_OK, rc_b = CURLE_OK;
    put_file("b.json", "{}", url, sizeof url);
    snprintf(missing, sizeof missing, "file://%s/none.json", dir);
    CHECK_INT(jsonfetch_start(&a, multi, url, &o), 0);
    CHECK_INT(jsonfetch_start(&b, multi, missing, &o), 0);
    int seen_a = 0, seen_b = 0;
    for (int i = 0; i < 2; i++) {
        struct jsonfetch *j = next_done(multi, &rc);
        seen_a += j == &a;
        seen_b += j == &b;
        if (j == &a)
            rc_a = rc;
        if (j == &b)
            rc_b = rc;
    }
    CHECK_INT(seen_a, 1);
    CHECK_INT(seen_b, 1);
    CHECK_INT(rc_a, CURLE_OK);
    CHECK_STR(a.body, "{}");
    CHECK(rc_b != CURLE_OK);
    CHECK(b.body == NULL);
    jsonfetch_end(&a, multi);
    jsonfetch_end(&b, multi);
    curl_multi_cleanup(multi);
}

/* A one-request HTTP server on loopback: keeps the request head it read. */
struct one_shot {
    int fd;
    char head[4096];
};

static void *serve_one(void *arg)
{
    struct one_shot *s = arg;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0)
        return NULL;
    size_t len = 0;
    while (len + 1 < sizeof s->head) {
        ssize_t n = read(c, s->head + len, sizeof s->head - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        s->head[len] = '\0';
        if (strstr(s->head, "\r\n\r\n"))
            break;
    }
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    if (write(c, answer, sizeof answer - 1) < 0)
        s->head[0] = '\0';
    close(c);
    return NULL;
}

/* A key longer than any fixed header buffer (300 characters) arrives whole:
 * a cut key would be a wrong key, a failed attempt at the region. */
static void test_long_key(void)
{
    struct one_shot srv = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    CHECK(srv.fd >= 0);
    CHECK_INT(bind(srv.fd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_INT(listen(srv.fd, 1), 0);
    CHECK_INT(getsockname(srv.fd, (struct sockaddr *)&a, &alen), 0);
    /* accept gives up after 10 s, so a request that never comes fails the test, not hangs it */
    struct timeval tv = {10, 0};
    setsockopt(srv.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    pthread_t t;
    CHECK_INT(pthread_create(&t, NULL, serve_one, &srv), 0);

    char key[301], want[320], url[64];
    for (int i = 0; i < 300; i++)
        key[i] = (char)('a' + i % 26);
    key[300] = '\0';
    snprintf(want, sizeof want, "X-API-Key: %s\r\n", key);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/health/", ntohs(a.sin_port));
    CURLM *multi = curl_multi_init();
    struct jsonfetch j = {0};
    struct jsonfetch_opts o = {.key = key, .timeout_ms = 5000, .connect_ms = 2000, .max = 64};
    CURLcode rc = CURLE_OK;
    CHECK_INT(jsonfetch_start(&j, multi, url, &o), 0);
    CHECK(next_done(multi, &rc) == &j);
    CHECK_INT(rc, CURLE_OK);
    CHECK_INT(jsonfetch_status(&j), 200);
    jsonfetch_end(&j, multi);
    curl_multi_cleanup(multi);
    pthread_join(t, NULL);
    close(srv.fd);
    CHECK(strstr(srv.head, want) != NULL);
}

static void test_readers(void)
{
    cJSON *o = cJSON_Parse("{\"n\": 2.5, \"s\": \"hi\", \"b\": true, \"z\": null}");
    CHECK_NEAR(jsonfetch_num(o, "n"), 2.5, 0);
    CHECK(isnan(jsonfetch_num(o, "s")));
    CHECK(isnan(jsonfetch_num(o, "missing")));
    CHECK(isnan(jsonfetch_num(NULL, "n")));
    char out[8] = "x";
    jsonfetch_str(o, "s", out, sizeof out);
    CHECK_STR(out, "hi");
    jsonfetch_str(o, "n", out, sizeof out);
    CHECK_STR(out, ""); /* a number is not a string */
    jsonfetch_str(o, "b", out, sizeof out);
    CHECK_STR(out, "");
    jsonfetch_str(NULL, "s", out, sizeof out);
    CHECK_STR(out, "");
    cJSON_Delete(o);

    /* whole numbers: what is not one in range is 0, never a cast of NAN */
    o = cJSON_Parse("{\"v\": 42.9, \"neg\": -3, \"z\": null, \"s\": \"7\", \"big\": 1e300}");
    CHECK_INT(jsonfetch_long(o, "v"), 42);
    CHECK_INT(jsonfetch_long(o, "neg"), -3);
    CHECK_INT(jsonfetch_long(o, "z"), 0);
    CHECK_INT(jsonfetch_long(o, "s"), 0);
    CHECK_INT(jsonfetch_long(o, "big"), 0);
    CHECK_INT(jsonfetch_long(o, "missing"), 0);
    CHECK_INT(jsonfetch_long(NULL, "v"), 0);
    cJSON_Delete(o);

    char msg[64];
    cJSON *e = cJSON_Parse("{\"error\": {\"code\": 404, \"message\": \"no such route\"}}");
    jsonfetch_error_text(e, "fallback", msg, sizeof msg);
    CHECK_STR(msg, "no such route");
    cJSON_Delete(e);
    e = cJSON_Parse("{\"error\": \"flat\"}");
    jsonfetch_error_text(e, "fallback", msg, sizeof msg);
    CHECK_STR(msg, "fallback");
    cJSON_Delete(e);
    jsonfetch_error_text(NULL, "not JSON", msg, sizeof msg);
    CHECK_STR(msg, "not JSON");
}

int main(void)
{
    if (!mkdtemp(dir) || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        printf("not ok - setup\n");
        return 1;
    }
    RUN(test_get);
    RUN(test_cap);
    RUN(test_two_in_flight);
    RUN(test_long_key);
    RUN(test_readers);
    curl_global_cleanup();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
    return TEST_SUMMARY();
}
