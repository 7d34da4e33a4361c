/* s3config: AWS environment variables and s3:// store URLs. */
#include <stdlib.h>
#include <string.h>

#include "store/s3config.h"
#include "test.h"
#include "util/error.h"

static void clear_env(void)
{
    const char *vars[] = {"AWS_ACCESS_KEY_ID",  "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                          "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",      "RECSYS_S3_PATH_STYLE",
                          "AWS_SESSION_TOKEN"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
}

static void test_env_minio_style(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4568//", 1);
    struct s3_config c;
    char err[256] = "";
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), 0);
    CHECK_STR(c.endpoint, "http://127.0.0.1:4568");
    CHECK_STR(c.region, "us-east-1");
    CHECK_INT(c.path_style, 1);
    setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), 0);
    CHECK_STR(c.region, "eu-west-1");
    setenv("AWS_REGION", "sa-east-1", 1); /* AWS_REGION wins */
    setenv("RECSYS_S3_PATH_STYLE", "0", 1);
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), 0);
    CHECK_STR(c.region, "sa-east-1");
    CHECK_INT(c.path_style, 0);
}

static void test_env_aws_default(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    setenv("AWS_REGION", "us-west-2", 1);
    struct s3_config c;
    char err[256] = "";
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), 0);
    CHECK_STR(c.endpoint, "https://s3.us-west-2.amazonaws.com");
    CHECK_INT(c.path_style, 0);
    CHECK_STR(c.session_token, ""); /* long-term keys: no token */
    setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEBYaDH", 1);
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), 0);
    CHECK_STR(c.session_token, "FwoGZXIvYXdzEBYaDH");
    clear_env();
}

static void test_env_errors_name_the_variable(void)
{
    struct s3_config c;
    char err[256] = "";
    clear_env();
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "AWS_ACCESS_KEY_ID") != NULL);
    setenv("AWS_ACCESS_KEY_ID", "k", 1);
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "AWS_SECRET_ACCESS_KEY") != NULL);
    setenv("AWS_SECRET_ACCESS_KEY", "topsecret", 1);
    setenv("AWS_ENDPOINT_URL", "ftp://x", 1);
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "AWS_ENDPOINT_URL") != NULL);
    CHECK(strstr(err, "topsecret") == NULL);
    unsetenv("AWS_ENDPOINT_URL");
    setenv("AWS_REGION", "us east", 1);
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "AWS_REGION") != NULL);
    unsetenv("AWS_REGION");
    char big[5000];
    memset(big, 'T', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    setenv("AWS_SESSION_TOKEN", big, 1);
    CHECK_INT(s3_config_from_env(&c, err, sizeof err), ERR_INVALID);
    CHECK(strstr(err, "AWS_SESSION_TOKEN") != NULL && strstr(err, "TTTT") == NULL);
    clear_env();
}

static void test_location(void)
{
    struct s3_location l;
    char err[256] = "", key[600];
    CHECK_INT(s3_location_parse("s3://models/recsys/prod/", &l, err, sizeof err), 0);
    CHECK_STR(l.bucket, "models");
    CHECK_STR(l.prefix, "recsys/prod");
    CHECK_INT(s3_location_key(&l, "pointer.json", key, sizeof key, err, sizeof err), 0);
    CHECK_STR(key, "recsys/prod/pointer.json");
    CHECK_INT(s3_location_parse("s3://my.bucket-1", &l, err, sizeof err), 0);
    CHECK_STR(l.bucket, "my.bucket-1");
    CHECK_STR(l.prefix, "");
    CHECK_INT(s3_location_key(&l, "v7/manifest.json", key, sizeof key, err, sizeof err), 0);
    CHECK_STR(key, "v7/manifest.json");
    CHECK_INT(s3_location_key(&l, "x", key, 1, err, sizeof err), ERR_INVALID);
    const char *bad[] = {"http://models/x", "s3://",      "s3://ab",
                         "s3://Models/x",   "s3://-ab/x", "s3://abc/with space",
                         "s3://abc/q?x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        CHECK_INT(s3_location_parse(bad[i], &l, err, sizeof err), ERR_INVALID);
        CHECK(strstr(err, bad[i]) != NULL);
    }
}

int main(void)
{
    RUN(test_env_minio_style);
    RUN(test_env_aws_default);
    RUN(test_env_errors_name_the_variable);
    RUN(test_location);
    return TEST_SUMMARY();
}
