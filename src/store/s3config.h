/* Where and as whom to reach S3: the standard AWS environment variables and
 * s3://BUCKET/PREFIX store URLs. Pure parsing, no network: src/store/s3.c
 * does the requests. The secret is kept for signing and never printed. */
#ifndef RECSYS_STORE_S3CONFIG_H
#define RECSYS_STORE_S3CONFIG_H

#include <stddef.h>

struct s3_config {
    char endpoint[256];   /* "http://127.0.0.1:4568", no trailing '/': AWS_ENDPOINT_URL,
                             else "https://s3.REGION.amazonaws.com" */
    char region[64];      /* AWS_REGION (else AWS_DEFAULT_REGION), default "us-east-1" */
    char access_key[128]; /* AWS_ACCESS_KEY_ID */
    char secret_key[128]; /* AWS_SECRET_ACCESS_KEY: for signing only, never printed */
    char session_token[4096]; /* AWS_SESSION_TOKEN of temporary (STS) credentials, sent
                                 signed as x-amz-security-token; "" when unset. Never printed */
    int path_style;       /* 1: ENDPOINT/BUCKET/KEY (MinIO, s3rver: the default when
                             AWS_ENDPOINT_URL is set); 0: https://BUCKET.ENDPOINT/KEY.
                             RECSYS_S3_PATH_STYLE=0|1 overrides. */
};

/* A store URL s3://BUCKET[/PREFIX]; prefix has no leading or trailing '/'
 * ("" for the bucket's root). */
struct s3_location {
    char bucket[64];
    char prefix[512];
};

/* Fills c from the environment. ERR_INVALID naming the variable when the
 * keys are missing or a value does not fit or is malformed. */
int s3_config_from_env(struct s3_config *c, char *err, size_t errlen);

/* Parses "s3://BUCKET/PREFIX". ERR_INVALID naming the URL and what is wrong
 * (scheme, bucket name rules, length). */
int s3_location_parse(const char *url, struct s3_location *loc, char *err, size_t errlen);

/* The object key for name under loc's prefix: "PREFIX/name", or "name" when
 * the prefix is empty. ERR_INVALID when it does not fit in keylen. */
int s3_location_key(const struct s3_location *loc, const char *name, char *key, size_t keylen,
                    char *err, size_t errlen);

#endif
