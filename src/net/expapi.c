/* The experiments routes (see expapi.h). */
#include "net/expapi.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/api.h"
#include "net/bio.h"
#include "net/body.h"
#include "net/expjson.h"
#include "net/expstore.h"
#include "net/render.h"
#include "util/error.h"
#include "util/log.h"

enum job_kind { JOB_CREATE, JOB_STOP, JOB_PROMOTE };

struct expapi_job {
    enum job_kind kind;
    struct experiments *x;
    struct exp_record *rec;     /* JOB_CREATE: the new one, until exp_add takes it */
    struct exp_record *target;  /* what the job acted on (the registry's) */
    char name[EXP_NAME_MAX];    /* JOB_STOP, JOB_PROMOTE */
    char variant[EXP_NAME_MAX]; /* JOB_PROMOTE: "" = the leader */
    int status;                 /* the answer's HTTP status when res->rc < 0 */
    int64_t promoted_version;
    char region[32], served_by[32];
};

/* 1 when s (n bytes) is a valid name: 1..EXP_NAME_MAX-1 of [A-Za-z0-9._-]. */
static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= EXP_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* An integer member lo..hi (absent: def, when def >= lo). 0, or -1 with err. */
static int int_member(const cJSON *o, const char *key, const char *field, long long lo,
                      long long hi, long long def, long long *out, char *err, size_t errlen)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!j && def >= lo) {
        *out = def;
        return 0;
    }
    if (!j || !cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble) ||
        j->valuedouble < (double)lo || j->valuedouble > (double)hi) {
        snprintf(err, errlen, "%s must be an integer %lld..%lld", field, lo, hi);
        return -1;
    }
    *out = (long long)j->valuedouble;
    return 0;
}

/* A name member into out. 0, or -1 with err. */
static int name_member(const cJSON *o, const char *key, const char *field, char *out, char *err,
                       size_t errlen)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(j) || !name_ok(j->valuestring, strlen(j->valuestring))) {
        snprintf(err, errlen, "%s must be 1..%d characters of A-Z a-z 0-9 . _ -", field,
                 EXP_NAME_MAX - 1);
        return -1;
    }
    snprintf(out, EXP_NAME_MAX, "%s", j->valuestring);
    return 0;
}

int expapi_parse(const char *body, size_t len, struct exp_record *rec, char *err, size_t errlen)
{
    cJSON *o = NULL;
    char field[64];
    long long v;
    int st = 422, sum = 0;
    memset(rec, 0, sizeof *rec);
    if (body_parse_object(body, len, &o, err, errlen) < 0)
        return 400;
    if (name_member(o, "name", "name", rec->name, err, errlen) < 0)
        goto out;
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(o, "variants");
    int n = cJSON_IsArray(vs) ? cJSON_GetArraySize(vs) : 0;
    if (n < 2 || n > EXP_VARIANTS_MAX) {
        snprintf(err, errlen, "variants must be an array of 2..%d variants", EXP_VARIANTS_MAX);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(vs, i);
        struct exp_variant *var = &rec->v[i];
        if (!cJSON_IsObject(e)) {
            snprintf(err, errlen, "variants[%d] must be an object", i);
            goto out;
        }
        snprintf(field, sizeof field, "variants[%d].name", i);
        if (name_member(e, "name", field, var->name, err, errlen) < 0)
            goto out;
        for (int k = 0; k < i; k++)
            if (!strcmp(rec->v[k].name, var->name)) {
                snprintf(err, errlen, "%s: variant %s is named twice", field, var->name);
                goto out;
            }
        snprintf(field, sizeof field, "variants[%d].model_version", i);
        if (int_member(e, "model_version", field, 1, 1000000000000LL, 0, &v, err, errlen) < 0)
            goto out;
        var->version = v;
        snprintf(field, sizeof field, "variants[%d].share", i);
        if (int_member(e, "share", field, 1, 100, 0, &v, err, errlen) < 0)
            goto out;
        var->share = (int)v;
        sum += var->share;
    }
    rec->n_variants = n;
    if (sum != 100) {
        snprintf(err, errlen, "variants: the shares sum to %d, not 100", sum);
        goto out;
    }
    if (int_member(o, "traffic", "traffic", 1, 100, 100, &v, err, errlen) < 0)
        goto out;
    rec->traffic = (int)v;
    rec->running = 1;
    st = 0;
out:
    cJSON_Delete(o);
    return st;
}

/* {"experiment":{...},"region":...,"served_by":...} */
static void answer_one(struct experiments *x, const struct exp_record *rec, const char *region,
                       const char *served_by, const char *extra, struct sbuf *b)
{
    sbuf_reset(b);
    sbuf_puts(b, "{\"experiment\":");
    expjson_render(x, rec, b);
    if (extra)
        sbuf_puts(b, extra);
    sbuf_puts(b, ",\"region\":");
    sbuf_json_str(b, region);
    sbuf_puts(b, ",\"served_by\":");
    sbuf_json_str(b, served_by);
    sbuf_puts(b, "}");
}

static int is_post(const struct http_request *q)
{
    return q->method_len == 4 && !memcmp(q->method, "POST", 4);
}

/* 1 when the path ends with suffix. */
static int ends_with(const struct http_request *q, const char *suffix)
{
    size_t n = strlen(suffix);
    return q->path_len > n && !memcmp(q->path + q->path_len - n, suffix, n);
}

/* A new job, or NULL (500 set). */
static struct expapi_job *job_new(struct experiments *x, enum job_kind kind, const char *region,
                                  const char *served_by)
{
    struct expapi_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->kind = kind;
    j->x = x;
    snprintf(j->region, sizeof j->region, "%s", region);
    snprintf(j->served_by, sizeof j->served_by, "%s", served_by);
    return j;
}

/* POST /api/v1/experiments: checks, then a creation job. */
static int create(struct experiments *x, const struct http_request *q, const char *region,
                  const char *served_by, struct expapi_job **job, char *err, size_t errlen)
{
    struct exp_record *rec = malloc(sizeof *rec);
    if (!rec)
        return snprintf(err, errlen, "out of memory"), 500;
    int st = expapi_parse(q->body ? q->body : "", q->body_len, rec, err, errlen);
    if (st) {
        free(rec);
        return st;
    }
    pthread_mutex_lock(&x->mu);
    if (exp_find(x, rec->name, strlen(rec->name)))
        st = 409, snprintf(err, errlen, "name: an experiment named %s exists", rec->name);
    else if ((rec->traffic_from = exp_free_range(x, rec->traffic)) < 0)
        st = 409, snprintf(err, errlen,
                           "traffic: %d%% of users are not free: the running experiments "
                           "cover them (stop one, or give a smaller traffic share)",
                           rec->traffic);
    pthread_mutex_unlock(&x->mu);
    if (st || !(*job = job_new(x, JOB_CREATE, region, served_by))) {
        free(rec);
        return st ? st : (snprintf(err, errlen, "out of memory"), 500);
    }
    (*job)->rec = rec;
    return 0;
}

/* POST .../{name}/promote: the variant named in the body, if any. */
static int promote_variant(const struct http_request *q, char out[EXP_NAME_MAX], char *err,
                           size_t errlen)
{
    cJSON *o = NULL;
    out[0] = '\0';
    if (q->body_len == 0)
        return 0;
    if (body_parse_object(q->body, q->body_len, &o, err, errlen) < 0)
        return 400;
    int st = 0;
    if (cJSON_GetObjectItemCaseSensitive(o, "variant") &&
        name_member(o, "variant", "variant", out, err, errlen) < 0)
        st = 422;
    cJSON_Delete(o);
    return st;
}

int expapi_handle(struct experiments *x, const struct http_request *q, const char *name,
                  size_t name_len, const char *region, const char *served_by, struct sbuf *b,
                  struct expapi_job **job, char *err, size_t errlen)
{
    *job = NULL;
    if (!x)
        return snprintf(err, errlen, "experiments are not available in this process"), 503;
    if (!name) {
        if (is_post(q))
            return create(x, q, region, served_by, job, err, errlen);
        sbuf_reset(b);
        sbuf_puts(b, "{");
        expjson_render_all(x, b);
        sbuf_puts(b, ",\"region\":");
        sbuf_json_str(b, region);
        sbuf_puts(b, ",\"served_by\":");
        sbuf_json_str(b, served_by);
        sbuf_puts(b, "}");
        return 200;
    }
    pthread_mutex_lock(&x->mu);
    struct exp_record *rec = exp_find(x, name, name_len);
    pthread_mutex_unlock(&x->mu);
    if (!rec)
        return snprintf(err, errlen, "no experiment named %.*s",
                        (int)(name_len > 64 ? 64 : name_len), name),
               404;
    if (!is_post(q)) {
        answer_one(x, rec, region, served_by, NULL, b);
        return 200;
    }
    int promote = ends_with(q, "/promote");
    char variant[EXP_NAME_MAX] = "";
    int st = promote ? promote_variant(q, variant, err, errlen) : 0;
    if (st)
        return st;
    if (!(*job = job_new(x, promote ? JOB_PROMOTE : JOB_STOP, region, served_by)))
        return snprintf(err, errlen, "out of memory"), 500;
    snprintf((*job)->name, sizeof(*job)->name, "%s", rec->name);
    snprintf((*job)->variant, sizeof(*job)->variant, "%s", variant);
    return 0;
}

/* The process's main engine, retained, or NULL. */
static struct engine *main_engine(struct api_shared *sh)
{
    pthread_mutex_lock(&sh->engine_mu);
    struct engine *e = sh->engine;
    engine_retain(e);
    pthread_mutex_unlock(&sh->engine_mu);
    return e;
}

/* Opens every variant's engine beside the main one; the first failure is
 * the answer (422 naming the variant's model_version when the version is
 * unknown or unusable). */
static int open_engines(struct api_shared *sh, struct expapi_job *j, struct engine **eng,
                        struct bio_result *res)
{
    struct exp_record *rec = j->rec;
    struct engine *base = main_engine(sh);
    struct engine_info bi;
    int rc = 0, v = 0;
    char why[400];
    if (!base) {
        j->status = 503;
        return err_code_set(res->err, sizeof res->err, ERR_BUSY, "no engine: %s", sh->engine_err);
    }
    engine_get_info(base, &bi);
    for (; v < rec->n_variants; v++) {
        eng[v] = NULL;
        for (int k = 0; k < v && !eng[v]; k++)
            if (rec->v[k].version == rec->v[v].version)
                engine_retain(eng[v] = eng[k]);
        if (!eng[v] && !bi.fallback && bi.version == rec->v[v].version)
            engine_retain(eng[v] = base);
        if (!eng[v] &&
            (rc = engine_open_variant(base, rec->v[v].version, &eng[v], why, sizeof why)) < 0)
            break;
    }
    engine_release(base);
    if (rc == 0)
        return 0;
    j->status = rc == ERR_NOT_FOUND || rc == ERR_CORRUPT ? 422 : render_status(rc);
    err_code_set(res->err, sizeof res->err, rc, "variants[%d].model_version: %s", v, why);
    while (v-- > 0)
        engine_release(eng[v]);
    return rc;
}

static void run_create(struct api_shared *sh, struct expapi_job *j, struct bio_result *res)
{
    struct experiments *x = j->x;
    struct exp_record *rec = j->rec;
    struct engine *eng[EXP_VARIANTS_MAX];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(rec->created_at, sizeof rec->created_at, "%Y-%m-%d %H:%M:%S", &tm);
    pthread_mutex_lock(&x->mu); /* again: jobs queued together may have taken the room */
    int st = exp_find(x, rec->name, strlen(rec->name))                   ? 1
             : (rec->traffic_from = exp_free_range(x, rec->traffic)) < 0 ? 2
             : x->n >= EXP_MAX                                           ? 3
                                                                         : 0;
    pthread_mutex_unlock(&x->mu);
    if (st) {
        static const char *const why[] = {
            "", "name: an experiment named %s exists",
            "traffic: the users of %s are taken by running experiments",
            "name: %s would be one too many: a database keeps at most " EXP_MAX_TEXT
            " experiments"};
        j->status = 409;
        res->rc = err_code_set(res->err, sizeof res->err, ERR_CONFLICT, why[st], rec->name);
        return;
    }
    if ((res->rc = open_engines(sh, j, eng, res)) < 0)
        return;
    if ((res->rc = expstore_insert(x->db_path, rec, res->err, sizeof res->err)) < 0) {
        j->status = res->rc == ERR_CONFLICT ? 409 : render_status(res->rc);
        for (int v = 0; v < rec->n_variants; v++)
            engine_release(eng[v]);
        return;
    }
    j->rec = NULL; /* exp_add owns it now, even when it fails */
    if ((res->rc = exp_add(x, rec, eng, res->err, sizeof res->err)) < 0) {
        j->status = render_status(res->rc);
        return;
    }
    j->target = rec;
    log_info(j->region, "experiment", "name=%s action=create variants=%d traffic=%d", rec->name,
             rec->n_variants, rec->traffic);
}

/* Stop, or promote then stop. */
static void run_stop(struct api_shared *sh, struct expapi_job *j, struct bio_result *res)
{
    struct experiments *x = j->x;
    pthread_mutex_lock(&x->mu);
    struct exp_record *rec = exp_find(x, j->name, strlen(j->name));
    int running = rec && rec->running;
    pthread_mutex_unlock(&x->mu);
    j->target = rec;
    if (!running) {
        j->status = 409;
        res->rc = err_code_set(res->err, sizeof res->err, ERR_CONFLICT,
                               "experiment %s is not running", j->name);
        return;
    }
    const char *promoted = NULL;
    if (j->kind == JOB_PROMOTE) {
        int v = j->variant[0] ? -1 : exp_leader(rec);
        for (int k = 0; k < rec->n_variants && v < 0; k++)
            if (!strcmp(rec->v[k].name, j->variant))
                v = k;
        if (v < 0) {
            j->status = 422;
            res->rc = err_code_set(res->err, sizeof res->err, ERR_INVALID,
                                   "variant: experiment %s has no variant %s", j->name, j->variant);
            return;
        }
        j->promoted_version = rec->v[v].version;
        if (bio_activate_here(sh, j->promoted_version, res) < 0) {
            j->status = render_status(res->rc);
            return;
        }
        promoted = rec->v[v].name;
    }
    exp_stop(x, rec, promoted);
    char err[512];
    if (exp_save(x, rec, err, sizeof err) < 0)
        log_error(j->region, "experiment", "name=%s ok=false message=%s", rec->name, err);
    log_info(j->region, "experiment", "name=%s action=%s promoted=%s version=%lld", rec->name,
             promoted ? "promote" : "stop", promoted ? promoted : "-",
             (long long)j->promoted_version);
    res->rc = 0;
}

void expapi_run(struct api_shared *sh, void *arg, struct bio_result *res)
{
    struct expapi_job *j = arg;
    res->rc = 0;
    if (j->kind == JOB_CREATE)
        run_create(sh, j, res);
    else
        run_stop(sh, j, res);
}

int expapi_result(struct expapi_job *j, const struct bio_result *res, struct sbuf *b, char *err,
                  size_t errlen)
{
    int st;
    if (res->rc < 0) {
        snprintf(err, errlen, "%s", res->err);
        st = j->status ? j->status : render_status(res->rc);
    } else if (j->kind == JOB_PROMOTE) {
        char extra[256];
        snprintf(extra, sizeof extra,
                 ",\"promoted\":{\"variant\":\"%s\",\"model_version\":%lld},\"active\":%lld,"
                 "\"changed\":%s,\"reloaded\":%s",
                 j->target->promoted, (long long)j->promoted_version, (long long)res->active,
                 res->changed ? "true" : "false", res->reloaded ? "true" : "false");
        answer_one(j->x, j->target, j->region, j->served_by, extra, b);
        st = 200;
    } else {
        answer_one(j->x, j->target, j->region, j->served_by, NULL, b);
        st = j->kind == JOB_CREATE ? 201 : 200;
    }
    return st;
}

void expapi_job_free(struct expapi_job *j)
{
    if (!j)
        return;
    free(j->rec);
    free(j);
}
