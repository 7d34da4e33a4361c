/* The S3 client's pure parts: the hand-written XML reading (s3xml), the SigV4
 * URI encoding and query building (s3req), the error-body parsing, and the
 * argument checks that fail before any request. No server is reached. */
#include <stdlib.h>

#include "store/s3.h"
#include "store/s3req.h"
#include "store/s3xml.h"
#include "test.h"
#include "util/error.h"

static const char list_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>bkt</Name><Prefix>a/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
    "<IsTruncated>true</IsTruncated>"
    "<Contents><Key>a/x&amp;y&lt;z&gt;&quot;q&quot;&apos;.bin</Key><Size>12</Size>"
    "<ETag>&quot;abc&quot;</ETag></Contents>"
    "<Contents><Key>a/&#252;&#x1F600;</Key><Size>0</Size></Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "<Owner/>"
    "</ListBucketResult>";

static void test_find(void)
{
    const char *end = list_xml + sizeof list_xml - 1, *ce, *next;
    const char *c = s3xml_find(list_xml, end, "Key", &ce, &next);
    CHECK(c != NULL);
    /* <KeyCount> comes first and is not <Key>. */
    CHECK(c && strncmp(c, "a/x&amp;", 8) == 0);
    CHECK(c && ce > c && strncmp(ce, "</Key>", 6) == 0 && next == ce + 6);
    c = s3xml_find(list_xml, end, "Owner", &ce, &next);
    CHECK(c != NULL && ce == c && strncmp(next, "</ListBucketResult>", 19) == 0);
    CHECK(s3xml_find(list_xml, end, "Missing", &ce, NULL) == NULL);
    const char open_only[] = "<Key>never closed";
    CHECK(s3xml_find(open_only, open_only + sizeof open_only - 1, "Key", &ce, NULL) == NULL);
    const char close_first[] = "</Key><Key>k</Key>";
    c = s3xml_find(close_first, close_first + sizeof close_first - 1, "Key", &ce, NULL);
    CHECK(c == close_first + 11 && ce == c + 1);
    /* The range is respected: a tag past end is not seen. */
    CHECK(s3xml_find(list_xml, list_xml + 40, "Name", &ce, NULL) == NULL);
}

static void test_text(void)
{
    char out[256];
    const char *end = list_xml + sizeof list_xml - 1;
    CHECK_INT(s3xml_get(list_xml, end, "Key", out, sizeof out), 16);
    CHECK_STR(out, "a/x&y<z>\"q\"'.bin");
    CHECK_INT(s3xml_get(list_xml, end, "IsTruncated", out, sizeof out), 4);
    CHECK_STR(out, "true");
    CHECK(s3xml_get(list_xml, end, "NextContinuationToken", out, sizeof out) > 0);
    CHECK_STR(out, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    CHECK_INT(s3xml_get(list_xml, end, "Owner", out, sizeof out), 0);
    CHECK_STR(out, "");
    const char *second = strstr(list_xml, "a/&#252;");
    CHECK_INT(s3xml_text(second, strstr(second, "</Key>"), out, sizeof out), 8);
    CHECK_STR(out, "a/\xc3\xbc\xf0\x9f\x98\x80");
    const char *bad[] = {"&foo;",      "&amp",     "&#;",   "&#x;",  "&#0;",
                         "&#x110000;", "&#xD800;", "&#-5;", "&# 5;", "&#12345678901234;"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_INT(s3xml_text(bad[i], bad[i] + strlen(bad[i]), out, sizeof out), -1);
    /* Fits exactly, then one byte too many. */
    CHECK_INT(s3xml_text("abc", "abc" + 3, out, 4), 3);
    CHECK_INT(s3xml_text("abcd", "abcd" + 4, out, 4), -1);
    CHECK_INT(s3xml_text("&#x1F600;", "&#x1F600;" + 9, out, 4), -1);
    CHECK_INT(s3xml_text("&#x1F600;", "&#x1F600;" + 9, out, 5), 4);
}

static void test_encode(void)
{
    struct sbuf b;
    sbuf_init(&b, 1024);
    s3req_encode(&b, "dir/a b+c=d&e~f_g.h-i!*'()\xc3\xbc%", 1);
    CHECK_STR(b.p, "dir/a%20b%2Bc%3Dd%26e~f_g.h-i%21%2A%27%28%29%C3%BC%25");
    sbuf_reset(&b);
    s3req_encode(&b, "a/b", 0);
    CHECK_STR(b.p, "a%2Fb");
    sbuf_reset(&b);
    /* Parameters go in as given: the caller sorts them. */
    s3req_query_add(&b, "continuation-token", "ab+/=");
    s3req_query_add(&b, "list-type", "2");
    s3req_query_add(&b, "prefix", "");
    CHECK_STR(b.p, "continuation-token=ab%2B%2F%3D&list-type=2&prefix=");
    sbuf_free(&b);
}

static void test_error_code(void)
{
    char code[64], msg[64];
    const char body[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
                        "<Message>The key &quot;k&quot; does not exist\xc3\xbc</Message></Error>";
    s3req_error_code(body, sizeof body - 1, code, sizeof code, msg, sizeof msg);
    CHECK_STR(code, "NoSuchKey");
    CHECK_STR(msg, "The key \"k\" does not exist??"); /* printable ASCII only */
    s3req_error_code("<html>bad gateway</html>", 24, code, sizeof code, msg, sizeof msg);
    CHECK_STR(code, "");
    CHECK_STR(msg, "");
}

/* Checks that fail before a request: no server is needed, none is reached
 * (the endpoint is a closed port that would fail differently). */
static void test_argument_errors(void)
{
    struct s3_config cfg = {.endpoint = "http://127.0.0.1:9",
                            .region = "us-east-1",
                            .access_key = "AK",
                            .secret_key = "SK",
                            .path_style = 1};
    struct s3_client *c = NULL;
    char err[ERR_LEN];
    struct sbuf out;
    CHECK_INT(s3_client_new(&cfg, &c, err, sizeof err), 0);
    CHECK_INT(s3_put_buffer(c, "bkt", "", "x", 1, NULL, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "no object key") != NULL);
    CHECK_INT(s3_delete(c, "", "k", err, sizeof err), ERR_INVALID);
    char longkey[1100];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    sbuf_init(&out, 100);
    CHECK_INT(s3_get_buffer(c, "bkt", longkey, 10, &out, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "1024") != NULL);
    sbuf_free(&out);
    CHECK_INT(s3_put_file(c, "bkt", "k", "/nonexistent/recsys-s3-test", err, sizeof err),
              ERR_NOT_FOUND);
    CHECK(strstr(err, "/nonexistent/recsys-s3-test") != NULL);
    CHECK_INT(s3_put_file(c, "bkt", "k", "/", err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "not a regular file") != NULL);
    CHECK(strstr(err, "SK") == NULL);
    s3_client_free(c);
    s3_client_free(NULL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(test_find);
    RUN(test_text);
    RUN(test_encode);
    RUN(test_error_code);
    RUN(test_argument_errors);
    curl_global_cleanup();
    return TEST_SUMMARY();
}
