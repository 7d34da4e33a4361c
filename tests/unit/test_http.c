/* HTTP request and response parsers: tables of good and bad messages,
 * byte-at-a-time feeding, pipelining, limits. */
#include "net/http.h"
#include "test.h"

#include <stdlib.h>

static long parse(const char *s, struct http_request *r)
{
    struct http_limits lim;
    http_limits_default(&lim);
    return http_parse_request(s, strlen(s), &lim, r);
}

static void test_simple_get(void)
{
    struct http_request r;
    const char *s =
        "GET /api/v1/health/?a=1&count=5 HTTP/1.1\r\nHost: x\r\nRegion-Hint:  eu-west \r\n\r\n";
    CHECK_INT(parse(s, &r), (long)strlen(s));
    CHECK_INT(r.method_len, 3);
    CHECK(!memcmp(r.method, "GET", 3));
    CHECK_INT(r.path_len, strlen("/api/v1/health/"));
    CHECK(!memcmp(r.path, "/api/v1/health/", r.path_len));
    CHECK_INT(r.minor, 1);
    CHECK_INT(r.keep_alive, 1);
    CHECK_INT(r.n_headers, 2);
    size_t n;
    const char *v = http_header_get(&r, "region-hint", &n);
    CHECK(v && n == 7 && !memcmp(v, "eu-west", 7));
    CHECK(http_header_get(&r, "X-API-Key", &n) == NULL);
    char q[8];
    CHECK_INT(http_query_get(&r, "count", q, sizeof q), 0);
    CHECK_STR(q, "5");
    CHECK_INT(http_query_get(&r, "coun", q, sizeof q), -1);
    CHECK_INT(http_query_get(&r, "a", q, sizeof q), 0);
    CHECK_STR(q, "1");
}

/* A stray CRLF before a request (after a POST body) is skipped and counted;
 * only a few are, so a stream of them is still a bad request. */
static void test_leading_crlf_and_reasons(void)
{
    struct http_request r;
    const char *s = "\r\nGET /a HTTP/1.1\r\nHost: t\r\n\r\n";
    CHECK_INT(parse(s, &r), (long)strlen(s));
    CHECK_INT(r.path_len, 2);
    CHECK(!memcmp(r.path, "/a", 2));
    CHECK_INT(parse("\r\n", &r), 0);
    CHECK_INT(parse("\r\n\r\n", &r), 0);
    CHECK_INT(parse("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n", &r), -400);
    CHECK_STR(http_reject_reason(-413), "request body too large");
    CHECK_STR(http_reject_reason(431), "request line or headers too large");
    CHECK_STR(http_reject_reason(-501), "Transfer-Encoding is not supported");
    CHECK_STR(http_reject_reason(-505), "only HTTP/1.0 and HTTP/1.1 are served");
    CHECK_STR(http_reject_reason(-400), "malformed request");
}

static void test_keep_alive_rules(void)
{
    struct http_request r;
    CHECK(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0);
    CHECK_INT(r.keep_alive, 0);
    CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r) > 0);
    CHECK_INT(r.keep_alive, 1);
    CHECK(parse("GET / HTTP/1.1\r\nHost: t\r\nConnection: foo, close\r\n\r\n", &r) > 0);
    CHECK_INT(r.keep_alive, 0);
}

static void test_body_and_pipelining(void)
{
    struct http_request r;
    const char *two = "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 13\r\n\r\n{\"count\": 5}\n"
                      "GET /y HTTP/1.1\r\nHost: t\r\n\r\n";
    long n = parse(two, &r);
    CHECK(n > 0);
    CHECK_INT(r.body_len, 13);
    CHECK(!memcmp(r.body, "{\"count\": 5}\n", 13));
    long m = parse(two + n, &r);
    CHECK_INT(m, (long)strlen(two + n));
    CHECK(r.path_len == 2 && !memcmp(r.path, "/y", 2));
}

/* Every prefix of a complete request is "need more", never an error. */
static void test_incremental(void)
{
    const char *s = "POST /api/v1/recommendations/user/abc HTTP/1.1\r\nHost: h\r\n"
                    "Content-Length: 4\r\n\r\nabcd";
    struct http_limits lim;
    struct http_request r;
    http_limits_default(&lim);
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++)
        if (http_parse_request(s, i, &lim, &r) != 0) {
            test_failed_checks++;
            printf("#   prefix %zu did not ask for more\n", i);
            break;
        }
    CHECK_INT(http_parse_request(s, len, &lim, &r), (long)len);
}

static void test_rejections(void)
{
    static const struct {
        const char *req;
        long want;
    } cases[] = {
        {"GET\r\n\r\n", -400},
        {"GET  / HTTP/1.1\r\n\r\n", -400},
        {"GET nope HTTP/1.1\r\n\r\n", -400},
        {"GET / HTTP/2.0\r\n\r\n", -505},
        {"GET / HTTP/1.2\r\n\r\n", -505},
        {"GET / FTP/1.1\r\n\r\n", -400},
        {"GET / HTTP/1.1\r\nNo colon\r\n\r\n", -400},
        {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", -400},
        {"GET / HTTP/1.1\r\n folded: x\r\n\r\n", -400},
        {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", -400},
        {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -400},
        {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 262145\r\n\r\n", -413},
        {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999\r\n\r\n", -413},
        {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", -501},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_request r;
        long got = parse(cases[i].req, &r);
        if (got != cases[i].want) {
            test_failed_checks++;
            printf("#   case %zu: got %ld, expected %ld\n", i, got, cases[i].want);
        }
    }
}

static void test_header_limits(void)
{
    struct http_limits lim;
    struct http_request r;
    http_limits_default(&lim);
    /* no terminator yet but already over the head limit */
    size_t big = HTTP_MAX_HEAD + 10;
    char *s = malloc(big + 64);
    memset(s, 'a', big + 64);
    memcpy(s, "GET /", 5);
    CHECK_INT(http_parse_request(s, big, &lim, &r), -431);
    /* complete but too large */
    memcpy(s + big - 4, "\r\n\r\n", 4);
    CHECK_INT(http_parse_request(s, big, &lim, &r), -431);
    free(s);
    /* too many headers */
    struct sbuf b;
    sbuf_init(&b, 1 << 20);
    sbuf_puts(&b, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
        sbuf_printf(&b, "X-H%d: %d\r\n", i, i);
    sbuf_puts(&b, "\r\n");
    CHECK_INT(http_parse_request(b.p, b.len, &lim, &r), -431);
    sbuf_reset(&b);
    sbuf_puts(&b, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= HTTP_MAX_HEADERS + HTTP_PROXY_HEADERS; i++)
        sbuf_printf(&b, "X-H%d: %d\r\n", i, i);
    sbuf_puts(&b, "\r\n");
    lim.max_headers = 100;
    CHECK_INT(http_parse_request(b.p, b.len, &lim, &r), -431); /* the array is the hard cap */
    sbuf_free(&b);
}

static void test_status_text(void)
{
    CHECK_STR(http_status_text(431), "Request Header Fields Too Large");
    CHECK_STR(http_status_text(429), "Too Many Requests");
    CHECK_STR(http_status_text(200), "OK");
    CHECK_STR(http_status_text(299), "Unknown");
}

/* RFC 9112 leniency and strictness, as nginx and h2o: each request with the
 * status or length it must get and, when accepted, the path and query the
 * handlers see. want > 0 is "the whole string"; 0 is "need more". */
static void test_rfc9112_table(void)
{
    static const struct {
        const char *req;
        long want; /* 1: complete (whole string), 0: need more, < 0: rejected */
        const char *path, *query;
    } cases[] = {
        /* 2.2: a bare LF ends a line; CRLF and LF may be mixed */
        {"GET /a HTTP/1.1\nHost: t\n\n", 1, "/a", NULL},
        {"GET /a?x=1 HTTP/1.1\r\nHost: t\n\r\n", 1, "/a", "x=1"},
        {"GET /a HTTP/1.0\n\n", 1, "/a", NULL},
        {"\nGET /b HTTP/1.1\nHost: t\n\n", 1, "/b", NULL},
        {"\r\n\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n", 1, "/b", NULL},
        {"POST /p HTTP/1.1\nHost: t\nContent-Length: 2\n\n{}", 1, "/p", NULL},
        {"GET /a HTTP/1.1\nHost: t\n", 0, NULL, NULL},
        {"GET /a HTTP/1.1\nHost: t\r", 0, NULL, NULL},
        {"GET /a HTTP/1.1\rHost: t\n\n", -505, NULL, NULL}, /* a bare CR is no terminator */
        {"GET /a HTTP/1.1\nHost: t\rX: y\n\n", -400, NULL, NULL},
        {"GET /a HTTP/1.1\nHost: t\n\r\r\n\n", -400, NULL, NULL},
        /* 3.2.2: absolute form gives its path and query */
        {"GET http://h:8000/api/v1/health/?a=1 HTTP/1.1\r\nHost: h:8000\r\n\r\n", 1,
         "/api/v1/health/", "a=1"},
        {"GET HTTPS://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n", 1, "/x", NULL},
        {"GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", 1, "/", NULL},
        {"GET http://h?q=2 HTTP/1.1\r\nHost: h\r\n\r\n", 1, "/", "q=2"},
        {"GET http://[::1]:80/v HTTP/1.0\r\n\r\n", 1, "/v", NULL},
        {"GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n", -400, NULL, NULL},
        {"GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", -400, NULL, NULL},
        {"GET http://user@h/x HTTP/1.1\r\nHost: h\r\n\r\n", -400, NULL, NULL},
        {"GET http:/x HTTP/1.1\r\nHost: h\r\n\r\n", -400, NULL, NULL},
        {"GET * HTTP/1.1\r\nHost: h\r\n\r\n", -400, NULL, NULL},
        /* 3.2: HTTP/1.1 needs exactly one valid Host; HTTP/1.0 may omit it */
        {"GET / HTTP/1.1\r\n\r\n", -400, NULL, NULL},
        {"GET / HTTP/1.1\r\nX: y\r\n\r\n", -400, NULL, NULL},
        {"GET / HTTP/1.0\r\n\r\n", 1, "/", NULL},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", -400, NULL, NULL},
        {"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", -400, NULL, NULL},
        {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -400, NULL, NULL},
        {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -400, NULL, NULL},
        {"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", -400, NULL, NULL},
        {"GET / HTTP/1.1\r\nHost:\r\n\r\n", 1, "/", NULL},
        {"GET / HTTP/1.1\r\nHOST: [::1]:8000\r\n\r\n", 1, "/", NULL},
        {"GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n", 1, "/", NULL},
        /* RFC 9110 10.1.1: only 100-continue; 417 for anything else */
        {"POST /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}", 1,
         "/p", NULL},
        {"POST /p HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}", -417, NULL,
         NULL},
        {"GET /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue, foo\r\n\r\n", -417, NULL, NULL},
        {"GET /p HTTP/1.0\r\nExpect: x\r\n\r\n", -417, NULL, NULL},
        {"POST /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 262145\r\n\r\n",
         -413, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct http_request r;
        long want = cases[i].want == 1 ? (long)strlen(cases[i].req) : cases[i].want;
        long got = parse(cases[i].req, &r);
        if (got != want)
            printf("#   case %zu: %s\n", i, cases[i].req);
        CHECK_INT(got, want);
        if (got <= 0 || !cases[i].path)
            continue;
        CHECK(r.path_len == strlen(cases[i].path) && !memcmp(r.path, cases[i].path, r.path_len));
        if (cases[i].query)
            CHECK(r.query && r.query_len == strlen(cases[i].query) &&
                  !memcmp(r.query, cases[i].query, r.query_len));
        else
            CHECK(r.query == NULL);
        /* the fields point into the request (the router forwards them) */
        CHECK(r.path >= cases[i].req && r.path + r.path_len <= cases[i].req + got);
    }
}

/* Expect: 100-continue: "need more" says whether to send the interim 100:
 * only for HTTP/1.1, only while no byte of the body has come. */
static void test_expect_continue(void)
{
    static const struct {
        const char *req;
        long want;
        int cont;
    } cases[] = {
        {"POST /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", 0, 1},
        {"POST /p HTTP/1.1\nHost: t\nexpect: 100-Continue\nContent-Length: 5\n\n", 0, 1},
        {"POST /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nab", 0,
         0},
        {"POST /p HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", 0, 0},
        {"POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n", 0, 0},
        {"POST /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n", -1, 0},
        {"POST /p HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Len", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct http_request r;
        r.expect_continue = 7; /* every return path sets it */
        long want = cases[i].want < 0 ? (long)strlen(cases[i].req) : cases[i].want;
        long got = parse(cases[i].req, &r);
        if (got != want || r.expect_continue != cases[i].cont)
            printf("#   case %zu: %s\n", i, cases[i].req);
        CHECK_INT(got, want);
        CHECK_INT(r.expect_continue, cases[i].cont);
    }
    CHECK_STR(http_status_text(417), "Expectation Failed");
    CHECK_STR(http_reject_reason(-417), "the only expectation served is Expect: 100-continue");
}

int main(void)
{
    RUN(test_simple_get);
    RUN(test_keep_alive_rules);
    RUN(test_body_and_pipelining);
    RUN(test_incremental);
    RUN(test_rejections);
    RUN(test_header_limits);
    RUN(test_status_text);
    RUN(test_leading_crlf_and_reasons);
    RUN(test_rfc9112_table);
    RUN(test_expect_continue);
    return TEST_SUMMARY();
}
