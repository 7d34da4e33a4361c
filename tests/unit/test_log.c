/* util/log: the line format (fields, escaping, cuts), the queue to a file, and a stuck sink
 * that must drop and count lines and still close. */
#include "util/log.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static cJSON *parse_line(const char *buf, size_t n)
{
    if (n == 0 || buf[n - 1] != '\n' || memchr(buf, '\n', n - 1))
        return NULL; /* exactly one line */
    return cJSON_ParseWithLength(buf, n - 1);
}

static void test_format_fields(void)
{
    char buf[LOG_LINE_MAX];
    const char *path = "/a\"b\\c\nd";
    const char *volatile none = NULL; /* a literal NULL makes gcc warn */
    size_t n = log_format(buf, sizeof buf, LOG_LEVEL_WARN, "us-west", "access",
                          "method=%.*s path=%s status=%d bytes=%zu ms=%.3f big=%lld u=%llu "
                          "hex=%x none=%s nan=%f kind=text pct=50%% flag ver=v%d",
                          3, "GETX", path, 404, (size_t)12, 1.25, -9000000000LL,
                          18000000000000000000ULL, 255, none, NAN, 7);
    CHECK(n > 0 && n < sizeof buf);
    cJSON *j = parse_line(buf, n);
    CHECK(j != NULL);
    if (!j) {
        printf("#   %s", buf);
        return;
    }
    CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "time")));
    CHECK_INT(strlen(cJSON_GetObjectItem(j, "time")->valuestring), 24); /* ISO 8601, ms, Z */
    CHECK_STR(cJSON_GetObjectItem(j, "level")->valuestring, "warn");
    CHECK_STR(cJSON_GetObjectItem(j, "region")->valuestring, "us-west");
    CHECK_STR(cJSON_GetObjectItem(j, "event")->valuestring, "access");
    CHECK_STR(cJSON_GetObjectItem(j, "method")->valuestring, "GET");
    CHECK_STR(cJSON_GetObjectItem(j, "path")->valuestring, path);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(j, "status")));
    CHECK_INT(cJSON_GetObjectItem(j, "status")->valueint, 404);
    CHECK_INT(cJSON_GetObjectItem(j, "bytes")->valueint, 12);
    CHECK_NEAR(cJSON_GetObjectItem(j, "ms")->valuedouble, 1.25, 1e-9);
    CHECK_NEAR(cJSON_GetObjectItem(j, "big")->valuedouble, -9e9, 1);
    CHECK(strstr(buf, "\"u\":18000000000000000000"));
    CHECK_STR(cJSON_GetObjectItem(j, "hex")->valuestring, "ff");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "none")));
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "nan")));
    CHECK_STR(cJSON_GetObjectItem(j, "kind")->valuestring, "text");
    CHECK_STR(cJSON_GetObjectItem(j, "pct")->valuestring, "50%");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "flag")));
    CHECK_STR(cJSON_GetObjectItem(j, "ver")->valuestring, "v7");
    cJSON_Delete(j);

    /* no fields, no region */
    n = log_format(buf, sizeof buf, LOG_LEVEL_ERROR, NULL, "stop", NULL);
    j = parse_line(buf, n);
    CHECK(j != NULL);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "region")));
    CHECK_STR(cJSON_GetObjectItem(j, "level")->valuestring, "error");
    CHECK_INT(cJSON_GetArraySize(j), 4);
    cJSON_Delete(j);
}

/* An over-long field is cut and the line stays one valid JSON object. */
static void test_format_cut(void)
{
    static char big[3 * LOG_LINE_MAX];
    memset(big, '"', sizeof big - 1); /* each byte escapes to two */
    char buf[LOG_LINE_MAX];
    size_t n = log_format(buf, sizeof buf, LOG_LEVEL_INFO, "r", "error", "a=%d msg=%s b=%d c=%s", 1,
                          big, 2, "after");
    CHECK(n <= LOG_LINE_MAX);
    cJSON *j = parse_line(buf, n);
    CHECK(j != NULL);
    if (j) {
        CHECK_INT(cJSON_GetObjectItem(j, "a")->valueint, 1);
        const cJSON *m = cJSON_GetObjectItem(j, "msg");
        CHECK(cJSON_IsString(m) && strlen(m->valuestring) > 500);
        CHECK(cJSON_GetObjectItem(j, "b") == NULL); /* nothing after the cut */
        cJSON_Delete(j);
    }
    /* a small buffer gives a valid line without the field, or nothing at all */
    char small[160];
    n = log_format(small, sizeof small, LOG_LEVEL_INFO, "us-west", "start", "x=%d", 12345);
    CHECK(n < sizeof small);
    j = parse_line(small, n);
    CHECK(j != NULL);
    CHECK(j && cJSON_GetObjectItem(j, "x") && cJSON_GetObjectItem(j, "x")->valueint == 12345);
    cJSON_Delete(j);
    n = log_format(small, 130, LOG_LEVEL_INFO, "us-west", "start", "x=%s y=%d", big, 5);
    j = parse_line(small, n);
    CHECK(j != NULL);
    CHECK(j && !cJSON_GetObjectItem(j, "y"));
    cJSON_Delete(j);
    n = log_format(small, 100, LOG_LEVEL_INFO, "us-west-with-a-name-far-too-long-for-a-line",
                   "start-with-an-absurdly-long-event-name", NULL);
    CHECK_INT(n, 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char data[1 << 20];
    *len = fread(data, 1, sizeof data - 1, f);
    data[*len] = 0;
    fclose(f);
    return data;
}

static void test_file_sink(void)
{
    char path[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    char err[256];
    log_event(LOG_LEVEL_INFO, "x", "before", NULL); /* not open: nothing, no crash */
    CHECK(!log_active());
    CHECK_INT(log_open("off", err, sizeof err), 0);
    CHECK(!log_active());
    CHECK_INT(log_open(path, err, sizeof err), 0);
    CHECK_INT(log_open(path, err, sizeof err), 0);  /* a second reference */
    CHECK(log_open("stderr", err, sizeof err) < 0); /* another sink while open */
    CHECK(log_active());
    CHECK(!log_on_stderr());
    struct log_stats s0;
    log_get_stats(&s0);
    for (int i = 0; i < 100; i++)
        log_info("eu-west", "reload", "i=%d", i);
    log_close(); /* one reference left: still open */
    CHECK(log_active());
    log_info(NULL, "stop", NULL);
    log_close();
    CHECK(!log_active());
    struct log_stats s1;
    log_get_stats(&s1);
    CHECK_INT(s1.written - s0.written, 101);
    CHECK_INT(s1.dropped - s0.dropped, 0);
    size_t len = 0;
    char *data = slurp(path, &len);
    CHECK(data != NULL);
    int lines = 0, ordered = 1;
    for (char *p = data; data && *p;) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        cJSON *j = parse_line(p, (size_t)(nl - p + 1));
        CHECK(j != NULL);
        if (j && lines < 100 && cJSON_GetObjectItem(j, "i")->valueint != lines)
            ordered = 0;
        cJSON_Delete(j);
        lines++;
        p = nl + 1;
    }
    CHECK_INT(lines, 101);
    CHECK(ordered);
    unlink(path);
}

struct flood {
    int n;
};

static void *flood_main(void *arg)
{
    struct flood *f = arg;
    for (int i = 0; i < f->n; i++)
        log_warn("ap-south", "access", "i=%d pad=%s", i,
                 "................................................................");
    return NULL;
}

/* A pipe nobody reads: the producers never block, lines beyond the pipe and the queue are
 * dropped and counted, and log_close gives up on the stuck writer instead of hanging. */
static void test_stuck_sink(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    char path[64], err[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
    CHECK_INT(log_open(path, err, sizeof err), 0);
    struct log_stats s0;
    log_get_stats(&s0);
    struct flood f = {20000};
    pthread_t a, b;
    pthread_create(&a, NULL, flood_main, &f);
    pthread_create(&b, NULL, flood_main, &f);
    pthread_join(a, NULL); /* returns at all: the producers did not block */
    pthread_join(b, NULL);
    log_close(); /* returns at all: the stuck writer was abandoned */
    struct log_stats s1;
    log_get_stats(&s1);
    uint64_t written = s1.written - s0.written, dropped = s1.dropped - s0.dropped;
    CHECK(dropped > 0);
    CHECK(written > 0);
    CHECK(written < 40000);
    CHECK_INT(written + dropped, 40000);
    CHECK(s1.queued == 0);
    /* the log opens again afterwards */
    char path2[] = "/tmp/test_log_XXXXXX";
    int fd = mkstemp(path2);
    close(fd);
    CHECK_INT(log_open(path2, err, sizeof err), 0);
    log_info("us-east", "start", "port=%d", 8001);
    log_close();
    size_t len;
    char *data = slurp(path2, &len);
    CHECK(data && strstr(data, "\"event\":\"start\",\"port\":8001}\n"));
    unlink(path2);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    RUN(test_format_fields);
    RUN(test_format_cut);
    RUN(test_file_sink);
    RUN(test_stuck_sink);
    return TEST_SUMMARY();
}
