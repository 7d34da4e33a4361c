/* `recsys-tui s3`: put, get, list and delete single objects with the store's
 * S3 client (store/s3.h), configured from the AWS_* environment. A tool to
 * check credentials, endpoint and bucket before pointing regions at them. */
#include "cli/cmd_s3.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/exitcode.h"
#include "cli/opts.h"
#include "store/s3.h"
#include "store/s3config.h"
#include "util/error.h"
#include "util/sha256.h"

static const char s3_usage[] =
    "usage: recsys-tui s3 put s3://BUCKET/KEY FILE\n"
    "       recsys-tui s3 get s3://BUCKET/KEY FILE [--max-bytes N]\n"
    "       recsys-tui s3 ls s3://BUCKET[/PREFIX]\n"
    "       recsys-tui s3 rm s3://BUCKET/KEY\n"
    "\n"
    "Checks that the S3 model store is reachable with the configured credentials,\n"
    "using the same client the regions use. put uploads FILE (streamed; multipart\n"
    "above 64 MiB), get downloads into FILE (through FILE.part, renamed when whole)\n"
    "and prints its size and sha256, ls prints \"SIZE KEY\" per object (every page),\n"
    "rm deletes one object (a missing key is not an error).\n"
    "\n"
    "Environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (never printed), AWS_REGION\n"
    "(default us-east-1), AWS_SESSION_TOKEN (temporary credentials; never printed),\n"
    "AWS_ENDPOINT_URL (MinIO, s3rver; path-style addressing),\n"
    "RECSYS_S3_PATH_STYLE=0|1.\n"
    "\n"
    "  --max-bytes N   get: refuse an object larger than N bytes (default: no limit)\n"
    "  --help, -h      this text\n"
    "\n"
    "Exit status: 0 success, 1 the request failed (the message names the method, URL,\n"
    "HTTP status and S3 error code), 2 usage error.\n";

static int s3cmd_print(void *user, const char *key, uint64_t size)
{
    unsigned long long *count = user;
    (*count)++;
    printf("%llu %s\n", (unsigned long long)size, key);
    return 0;
}

/* A file's size and sha256, for put's report. */
static int s3cmd_file_sha(const char *path, uint64_t *size, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char buf[1 << 16];
    struct sha256_ctx h;
    uint8_t md[32];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    sha256_init(&h);
    *size = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sha256_update(&h, buf, n);
        *size += n;
    }
    int bad = ferror(f);
    fclose(f);
    sha256_final(&h, md);
    for (int i = 0; i < 32; i++)
        hex[2 * i] = digits[md[i] >> 4], hex[2 * i + 1] = digits[md[i] & 15];
    hex[64] = '\0';
    return bad ? -1 : 0;
}

static int s3cmd_run(struct s3_client *c, const char *verb, const char *url,
                     const struct s3_location *loc, const char *file, long long max_bytes,
                     char *err, size_t errlen)
{
    char hex[65];
    uint64_t size = 0;
    int rc;
    if (!strcmp(verb, "put")) {
        if ((rc = s3_put_file(c, loc->bucket, loc->prefix, file, err, errlen)) < 0)
            return rc;
        if (s3cmd_file_sha(file, &size, hex) < 0)
            return err_set(err, errlen, "%s: %s", file, strerror(errno));
        printf("uploaded %s to %s: %llu bytes, sha256 %s\n", file, url, (unsigned long long)size,
               hex);
    } else if (!strcmp(verb, "get")) {
        char part[4096];
        if (snprintf(part, sizeof part, "%s.part", file) >= (int)sizeof part)
            return err_code_set(err, errlen, ERR_INVALID, "%s: path too long", file);
        rc = s3_get_file(c, loc->bucket, loc->prefix, part, (uint64_t)max_bytes, &size, hex, err,
                         errlen);
        if (rc < 0)
            return rc;
        if (rename(part, file) != 0) {
            rc = err_set(err, errlen, "renaming %s to %s: %s", part, file, strerror(errno));
            remove(part);
            return rc;
        }
        printf("downloaded %s to %s: %llu bytes, sha256 %s\n", url, file, (unsigned long long)size,
               hex);
    } else if (!strcmp(verb, "ls")) {
        unsigned long long count = 0;
        char prefix[sizeof loc->prefix + 1];
        size_t n = strlen(url);
        /* "s3://b/dir/" lists inside dir, not dir-old too. */
        snprintf(prefix, sizeof prefix, "%s%s", loc->prefix,
                 loc->prefix[0] && n && url[n - 1] == '/' ? "/" : "");
        if ((rc = s3_list(c, loc->bucket, prefix, s3cmd_print, &count, err, errlen)) < 0)
            return rc;
        fprintf(stderr, "%llu objects\n", count);
    } else {
        if ((rc = s3_delete(c, loc->bucket, loc->prefix, err, errlen)) < 0)
            return rc;
        printf("deleted %s\n", url);
    }
    return 0;
}

int cmd_s3(int argc, char **argv)
{
    const char *args[3] = {NULL, NULL, NULL};
    int nargs = 0;
    long long max_bytes = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(s3_usage, stdout);
            return EXIT_OK;
        } else if (opts_value(argc, argv, &i, "--max-bytes", &v)) {
            long n;
            if (opts_parse_long(v, 1, 0x7fffffffffffffffL, &n) < 0)
                return opts_usage_error("s3", "--max-bytes wants a positive number", v);
            max_bytes = n;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return opts_usage_error("s3", "unknown option", argv[i]);
        } else if (nargs < 3) {
            args[nargs++] = argv[i];
        } else {
            return opts_usage_error("s3", "too many arguments", argv[i]);
        }
    }
    const char *verb = args[0], *url = args[1], *file = args[2];
    int wants_file = verb && (!strcmp(verb, "put") || !strcmp(verb, "get"));
    if (!verb ||
        (strcmp(verb, "put") && strcmp(verb, "get") && strcmp(verb, "ls") && strcmp(verb, "rm")))
        return opts_usage_error("s3", "wants put, get, ls or rm", verb);
    if (!url || (wants_file && !file) || (!wants_file && file))
        return opts_usage_error(
            "s3", wants_file ? "wants s3://BUCKET/KEY and FILE" : "wants one s3:// URL", NULL);
    char err[ERR_LEN];
    struct s3_location loc;
    struct s3_config cfg;
    struct s3_client *c = NULL;
    if (s3_location_parse(url, &loc, err, sizeof err) < 0)
        return opts_usage_error("s3", err, NULL);
    if (strcmp(verb, "ls") && !loc.prefix[0])
        return opts_usage_error("s3", "the URL names no object key", url);
    int rc = s3_config_from_env(&cfg, err, sizeof err);
    if (rc == 0)
        rc = s3_client_new(&cfg, &c, err, sizeof err);
    memset(cfg.secret_key, 0, sizeof cfg.secret_key);
    if (rc == 0)
        rc = s3cmd_run(c, verb, url, &loc, file, max_bytes, err, sizeof err);
    s3_client_free(c);
    if (rc < 0) {
        fprintf(stderr, "recsys-tui s3 %s: %s\n", verb, err);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}
