/* Poller: the health state machine (pure), the JSON readers, and the real
 * libcurl multi loop against a small HTTP server on a loopback socket that is
 * then closed, so the region goes DOWN after exactly 3 failed checks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "tui/poller.h"
#include "tui/poller_json.h"

static void test_fsm(void)
{
    struct health_fsm f;
    poller_fsm_init(&f);
    CHECK_INT(f.status, REGION_UNKNOWN);
    CHECK_STR(poller_status_word(f.status), "WAIT");
    /* Failures before the first success: still unknown until the third. */
    CHECK_INT(poller_fsm_update(&f, 0, 0), REGION_UNKNOWN);
    CHECK_INT(poller_fsm_update(&f, 0, 0), REGION_UNKNOWN);
    CHECK_INT(poller_fsm_update(&f, 0, 0), REGION_DOWN);
    /* One success is enough to come back. */
    CHECK_INT(poller_fsm_update(&f, 1, 0), REGION_UP);
    CHECK_INT(f.fails, 0);
    /* Two failures keep UP, the third makes it DOWN. */
    CHECK_INT(poller_fsm_update(&f, 0, 0), REGION_UP);
    CHECK_INT(poller_fsm_update(&f, 0, 0), REGION_UP);
    CHECK_INT(poller_fsm_update(&f, 0, 0), REGION_DOWN);
    CHECK_INT(poller_fsm_update(&f, 0, 0), REGION_DOWN);
    CHECK_STR(poller_status_word(f.status), "DOWN");
    /* A success in between resets the count. */
    poller_fsm_update(&f, 1, 0);
    poller_fsm_update(&f, 0, 0);
    poller_fsm_update(&f, 0, 0);
    CHECK_INT(poller_fsm_update(&f, 1, 1), REGION_DEGRADED);
    CHECK_STR(poller_status_word(f.status), "DEGRADED");
    CHECK_INT(poller_fsm_update(&f, 0, 0), REGION_DEGRADED);
    CHECK_INT(f.checks, 13);
    CHECK_INT(f.ok_checks, 3);
}

static const char health_json[] =
    "{\"region\": \"us-west\", \"location\": \"California\", \"status\": \"UP\", \"uptime_s\": "
    "12.5,"
    " \"requests\": {\"total\": 120, \"errors\": 2, \"per_second\": 4.1},"
    " \"latency_ms\": {\"p50\": 0.21, \"p99\": 1.9},"
    " \"cache\": {\"size\": 40, \"hits\": 80, \"misses\": 40, \"hit_ratio\": 0.667},"
    " \"model\": {\"status\": \"ok\", \"version\": 3, \"algorithm\": \"hybrid\", \"warning\": "
    "null},"
    " \"database\": {\"ok\": true, \"path\": \"olist.db\"}}";

static void test_json_health_and_stats(void)
{
    static struct region_view r;
    memset(&r, 0, sizeof r);
    CHECK_INT(poller_json_health(health_json, &r), 0);
    CHECK_STR(r.server_status, "UP");
    CHECK_NEAR(r.p50, 0.21, 1e-12);
    CHECK_NEAR(r.p99, 1.9, 1e-12);
    CHECK_NEAR(r.rps, 4.1, 1e-12);
    CHECK_INT(r.req_total, 120);
    CHECK_INT(r.cache_hits, 80);
    CHECK_INT(r.model_version, 3);
    CHECK_STR(r.algorithm, "hybrid");
    CHECK_STR(r.model_warning, "");
    CHECK_STR(r.db_path, "olist.db");
    CHECK_INT(r.db_ok, 1);
    CHECK_STR(r.host, "");         /* an older server names no host */
    CHECK_STR(r.model_source, ""); /* ... nor the model's source */
    CHECK(isnan(r.window_s));      /* an older server: its figures are lifetime ones */
    CHECK_NEAR(r.life_p99, 1.9, 1e-12);
    CHECK_NEAR(r.life_rps, 4.1, 1e-12);
    CHECK_INT(poller_json_health(
                  "{\"requests\":{\"total\":9,\"per_second\":0.5},\"latency_ms\":{\"p50\":0.1,"
                  "\"p99\":0.2},\"window\":{\"seconds\":10,\"requests\":5},\"lifetime\":{"
                  "\"per_second\":3.5,\"latency_ms\":{\"p50\":0.3,\"p99\":40}}}",
                  &r),
              0);
    CHECK_NEAR(r.window_s, 10, 0);
    CHECK_NEAR(r.p99, 0.2, 1e-12);
    CHECK_NEAR(r.rps, 0.5, 1e-12);
    CHECK_NEAR(r.life_p99, 40, 1e-12);
    CHECK_NEAR(r.life_rps, 3.5, 1e-12);
    /* the host and where the model came from; a store failure is DEGRADED with a reason */
    CHECK_INT(poller_json_health(
                  "{\"host\":\"db-7.example\",\"status\":\"DEGRADED\",\"model\":{\"status\":"
                  "\"ok\",\"version\":7,\"source\":\"s3://models/prod/v7\",\"warning\":"
                  "\"s3://models/prod/v8: checksum mismatch\"}}",
                  &r),
              0);
    CHECK_STR(r.host, "db-7.example");
    CHECK_STR(r.model_source, "s3://models/prod/v7");
    CHECK_STR(r.model_warning, "s3://models/prod/v8: checksum mismatch");
    CHECK_STR(r.server_status, "DEGRADED");
    CHECK_INT(r.model_version, 7);
    /* no model loaded: the server sends "source": null */
    CHECK_INT(poller_json_health("{\"host\":\"h\",\"model\":{\"version\":0,\"source\":null}}", &r),
              0);
    CHECK_STR(r.model_source, "");
    CHECK_INT(poller_json_health("not json", &r), -1);
    CHECK_INT(poller_json_health("[1,2]", &r), -1);

    struct model_stats m;
    memset(&m, 0, sizeof m);
    CHECK_INT(
        poller_json_stats(
            "{\"region\":\"x\",\"model\":{\"algorithm\":\"als\",\"version\":2,\"users\":96096,"
            "\"products\":32951,\"interactions\":100000,\"sparsity\":0.99997,"
            "\"train_seconds\":1.5,\"metrics\":{\"precision@10\":0.0123,\"ndcg@10\":0.02}}}",
            &m),
        0);
    CHECK_STR(m.algorithm, "als");
    CHECK_INT(m.version, 2);
    CHECK_INT(m.users, 96096);
    CHECK_NEAR(m.sparsity, 0.99997, 1e-12);
    CHECK_STR(m.metrics, "precision@10=0.0123 ndcg@10=0.02");
    CHECK_INT(poller_json_stats("{\"region\":\"x\"}", &m), -1);
}

static void test_json_recs_user_models(void)
{
    static struct rec_result rr;
    char err[128];
    CHECK_INT(poller_json_recs(
                  "{\"user_id\":\"a\",\"known\":true,\"latency_ms\":0.35,\"cache\":\"MISS\","
                  "\"model_version\":3,"
                  "\"recommendations\":[{\"rank\":1,\"product_id\":\"p1\",\"category\":"
                  "\"toys\",\"price\":9.5,"
                  "\"avg_rating\":4.2,\"n_ratings\":31,\"score\":0.83,\"source\":\"usercf\"},"
                  "{\"rank\":2,\"product_id\":\"p2\",\"category\":null,\"price\":1,\"score\":0."
                  "5,\"source\":\"pop\"}]}",
                  &rr, err, sizeof err),
              0);
    CHECK_INT(rr.n, 2);
    CHECK_INT(rr.known, 1);
    CHECK_STR(rr.cache, "MISS");
    CHECK_STR(rr.items[0].product_id, "p1");
    CHECK_INT(rr.items[0].n_ratings, 31);
    CHECK_STR(rr.items[1].category, "");
    CHECK(isnan(rr.items[1].avg_rating));
    CHECK_INT(poller_json_recs("{\"error\":{}}", &rr, err, sizeof err), -1);

    static struct user_history h;
    CHECK_INT(
        poller_json_user(
            "{\"user_id\":\"u\",\"state\":\"SP\",\"orders\":2,\"purchases\":[{\"order_id\":\"o\","
            "\"product_id\":\"p\",\"category\":\"toys\",\"price\":3,\"timestamp\":\"2018-01-02 "
            "10:00:00\"}]}",
            &h, err, sizeof err),
        0);
    CHECK_INT(h.n, 1);
    CHECK_INT(h.orders, 2);
    CHECK_STR(h.p[0].timestamp, "2018-01-02 10:00:00");

    static struct tui_data d;
    CHECK_INT(
        poller_json_models(
            "{\"active\":3,\"models\":[{\"version\":3,\"algorithm\":\"hybrid\",\"active\":true},"
            "{\"version\":2,\"algorithm\":\"als\",\"active\":false,\"size\":1234}]}",
            &d),
        0);
    CHECK_INT(d.n_models, 2);
    CHECK_INT(d.models_active, 3);
    CHECK_INT(d.models[0].active, 1);
    CHECK_INT(d.models[1].active, 0);
    CHECK_INT(d.models[1].size, 1234);
    int a = 0;
    CHECK_INT(poller_json_active("{\"active\": 2}", &a), 0);
    CHECK_INT(a, 2);
    CHECK_INT(poller_json_active("{}", &a), -1);
    char uid[40];
    CHECK_INT(poller_json_random_user("{\"user_id\":\"abc\"}", uid, sizeof uid), 0);
    CHECK_STR(uid, "abc");
    char msg[128];
    poller_json_error_message("{\"error\": {\"status\": 404, \"message\": \"no such user\"}}", 404,
                              msg, sizeof msg);
    CHECK_STR(msg, "HTTP 404: no such user");
    poller_json_error_message("<html>", 502, msg, sizeof msg);
    CHECK_STR(msg, "HTTP 502");
}

/* A one-route HTTP server on loopback: answers every request with the health
 * JSON and closes the connection. Stops when the listener is shut down. */
struct mini_server {
    int fd, port;
    pthread_t th;
};

/* The requests the mini server received, one after another (emptied when full). */
static pthread_mutex_t last_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_req[65536];

static void *serve(void *arg)
{
    struct mini_server *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char req[4096];
        ssize_t got = read(c, req, sizeof req - 1);
        pthread_mutex_lock(&last_mu);
        size_t used = strlen(last_req);
        if (used + sizeof req >= sizeof last_req)
            used = 0;
        snprintf(last_req + used, sizeof last_req - used, "%.*s", got > 0 ? (int)got : 0, req);
        pthread_mutex_unlock(&last_mu);
        char resp[2048];
        int n =
            snprintf(resp, sizeof resp,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     strlen(health_json), health_json);
        ssize_t w = write(c, resp, (size_t)n);
        (void)w;
        close(c);
    }
}

static int mini_start(struct mini_server *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(s->fd, 16) < 0 ||
        getsockname(s->fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->th, NULL, serve, s);
}

static void mini_stop(struct mini_server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->th, NULL);
}

/* Steps the poller until `done` holds or `max_checks` health checks ran. */
static void step_until_checks(struct poller *p, long checks)
{
    struct tui_data *d = poller_data(p);
    char err[128];
    int ready;
    for (int guard = 0; d->r[0].fsm.checks < checks && guard < 100000; guard++)
        if (poller_step(p, -1, 50, &ready, err, sizeof err) < 0)
            break;
}

/* Starts mini server s and a poller of one region, us-west, on it, over conf
 * (the caller's, zeroed, maybe with key files). The poller, or NULL after a
 * failed check; the caller stops s either way. */
static struct poller *mini_poller(struct mini_server *s, struct regions_conf *conf)
{
    char err[256];
    CHECK_INT(mini_start(s), 0);
    conf->n_regions = 1;
    snprintf(conf->regions[0].name, sizeof conf->regions[0].name, "us-west");
    snprintf(conf->regions[0].host, sizeof conf->regions[0].host, "127.0.0.1");
    conf->regions[0].port = s->port;
    struct poller *p = poller_create(conf, 0.05, err, sizeof err);
    CHECK(p != NULL);
    return p;
}

static void test_poller_real_socket(void)
{
    struct mini_server s;
    static struct regions_conf conf;
    memset(&conf, 0, sizeof conf);
    struct poller *p = mini_poller(&s, &conf);
    if (!p) {
        mini_stop(&s);
        return;
    }
    struct tui_data *d = poller_data(p);
    step_until_checks(p, 2);
    CHECK_INT(d->r[0].fsm.status, REGION_UP);
    CHECK_NEAR(d->r[0].p99, 1.9, 1e-12);
    CHECK_STR(d->r[0].location, "California");
    CHECK(d->r[0].p99_hist.len >= 2);
    /* R then typing an id before the random pick arrives: the typed lookup
     * wins and the late random answer (here not even a user) is dropped. */
    CHECK_INT(poller_random_user(p, 5, -1), 0);
    CHECK_INT(poller_lookup(p, "0123456789abcdef0123456789abcdef", 5, -1), 0);
    step_until_checks(p, d->r[0].fsm.checks + 4);
    CHECK_STR(d->user_id, "0123456789abcdef0123456789abcdef");
    CHECK_STR(d->lookup_msg, "");
    CHECK_INT(d->recs[0].state, LOOKUP_ERROR); /* health JSON is no recommendation */
    /* Redoing the current lookup (the count and region keys) passes the
     * poller's own user_id buffer: the id must survive. */
    CHECK_INT(poller_lookup(p, d->user_id, 9, 0), 0);
    CHECK_STR(d->user_id, "0123456789abcdef0123456789abcdef");
    CHECK_INT(d->count, 9);
    CHECK_INT(d->recs[0].state, LOOKUP_PENDING);
    /* Alone, the same answer is reported. */
    CHECK_INT(poller_random_user(p, 5, -1), 0);
    step_until_checks(p, d->r[0].fsm.checks + 4);
    CHECK_STR(d->lookup_msg, "random user: no user_id in the answer");
    mini_stop(&s); /* now every check is refused */
    long base = d->r[0].fsm.checks;
    step_until_checks(p, base + 2);
    CHECK_INT(d->r[0].fsm.status, REGION_UP);
    step_until_checks(p, base + 3);
    CHECK_INT(d->r[0].fsm.status, REGION_DOWN);
    CHECK(d->r[0].last_error[0] != '\0');
    CHECK(isnan(series_latest(&d->r[0].p99_hist)));
    /* Ids that would need URL escaping are refused, not sent. */
    CHECK_INT(poller_lookup(p, "../etc", 5, -1), -1);
    CHECK_INT(poller_lookup(p, "", 5, -1), -1);
    poller_destroy(p);
}

/* Steps the poller until the mini server has seen a whole request naming
 * path; copy gets it from the path to its blank line. */
static int saw_request(struct poller *p, const char *path, char *copy, size_t n)
{
    char err[128];
    int ready, seen = 0;
    for (int guard = 0; !seen && guard < 200; guard++) {
        poller_step(p, -1, 10, &ready, err, sizeof err);
        pthread_mutex_lock(&last_mu);
        const char *at = strstr(last_req, path), *end = at ? strstr(at, "\r\n\r\n") : NULL;
        if ((seen = end != NULL))
            snprintf(copy, n, "%.*s", (int)(end + 4 - at), at);
        pthread_mutex_unlock(&last_mu);
    }
    return seen;
}

/* Model changes are admin routes: the dashboard sends the first key of
 * admin_keys_file for them, and the API key for everything else. */
static void test_admin_key(void)
{
    struct mini_server s;
    static struct regions_conf conf;
    char got[4096], admin[] = "/tmp/test_poller.XXXXXX", user[] = "/tmp/test_poller.XXXXXX";
    memset(&conf, 0, sizeof conf);
    last_req[0] = '\0'; /* the earlier tests' requests carry no key */
    int fa = mkstemp(admin), fu = mkstemp(user);
    CHECK(fa >= 0 && fu >= 0 && write(fa, "# admins\nadmin-1\n", 17) == 17 &&
          write(fu, "user-1\n", 7) == 7);
    close(fa);
    close(fu);
    snprintf(conf.admin_keys_file, sizeof conf.admin_keys_file, "%s", admin);
    snprintf(conf.api_keys_file, sizeof conf.api_keys_file, "%s", user);
    struct poller *p = mini_poller(&s, &conf);
    if (p) {
        step_until_checks(p, 1);
        CHECK_INT(poller_model_activate(p, 7), 0);
        CHECK(saw_request(p, "/api/v1/models/7/activate", got, sizeof got));
        CHECK(strstr(got, "\r\nX-API-Key: admin-1\r\n") != NULL);
        CHECK_INT(poller_lookup(p, "0123456789abcdef0123456789abcdef", 5, 0), 0);
        CHECK(saw_request(p, "/api/v1/recommendations/user/", got, sizeof got));
        CHECK(strstr(got, "\r\nX-API-Key: user-1\r\n") != NULL);
        poller_destroy(p);
    }
    mini_stop(&s);
    unlink(admin);
    unlink(user);
}

int main(void)
{
    RUN(test_fsm);
    RUN(test_json_health_and_stats);
    RUN(test_json_recs_user_models);
    RUN(test_poller_real_socket);
    RUN(test_admin_key);
    return TEST_SUMMARY();
}
