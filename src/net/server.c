/* Region worker threads and their epoll loops (see server.h).
 * Each worker (worker.h) owns: a listening socket, an eventfd for commands,
 * an array of connections, each registered with its own handler (evloop.h)
 * and served by conn.c. Requests are handled on the worker thread
 * (api_handle); responses of pipelined requests are batched into one write;
 * model jobs answer later (a deferred response, conn_done). This file holds
 * the threads, listeners, commands and the server API. */
#include "net/server.h"
#include "net/conn.h"
#include "net/worker.h"
#include "net/accesslog.h"
#include "util/log.h"
#include "net/api.h"
#include "net/apikeys.h"
#include "net/bio.h"
#include "net/exp.h"
#include "net/events.h"
#include "net/events_store.h"
#include "engine/overlay.h"
#include "net/evloop.h"
#include "net/http.h"
#include "net/render.h"
#include "net/storepoll.h"
#include "net/retrain_sched.h"
#include "util/error.h"
#include "util/clock.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Binds a non-blocking listener on host:port: 0 with the socket and the bound port, or -1/err. */
static int listen_on(const char *host, int port, int *fd, int *bound, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV | AI_NUMERICHOST};
    struct addrinfo *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc)
        return err_set(err, errlen, "%s:%d: %s", host, port, gai_strerror(rc));
    int s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    /* Accepted sockets inherit TCP_NODELAY and TCP_NOTSENT_LOWAT from the
     * listener: no setsockopt per connection. Both only tune (a kernel before
     * 3.12 has no TCP_NOTSENT_LOWAT), so their failure is not fatal. */
    int lowat = SEND_LOWAT;
    if (s >= 0) {
        (void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        (void)setsockopt(s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
    }
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(s, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s, 1024) < 0) {
        err_set(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (s >= 0)
            close(s);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(s, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    *fd = s;
    return 0;
}

static void close_listener(struct worker *w)
{
    if (w->lfd >= 0) {
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd, NULL);
        close(w->lfd);
        w->lfd = -1;
    }
    atomic_store(&w->reg.up, 0);
}

static void open_listener(struct worker *w, int fd)
{
    w->lfd = fd;
    evloop_add(w->epfd, fd, EPOLLIN, &w->listen_ev);
    atomic_store(&w->reg.up, 1);
}

static void listener_on_event(struct evloop_handler *h, uint32_t events, double now)
{
    struct worker *w = evloop_container_of(h, struct worker, listen_ev);
    (void)events;
    if (w->lfd >= 0) /* not closed earlier in this epoll batch */
        conn_accept_all(w, now);
}

static void command_on_event(struct evloop_handler *h, uint32_t events, double now)
{
    struct worker *w = evloop_container_of(h, struct worker, command_ev);
    (void)events;
    (void)now;
    uint64_t v;
    ssize_t r = read(w->evfd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&w->cmu);
    int cmd = w->cmd;
    unsigned long seq = w->cmd_seq;
    w->cmd = 0;
    if (cmd & CMD_PAUSE) {
        close_listener(w);
        for (int i = 0; i < w->max_conns; i++)
            if (w->conns[i])
                conn_close(w, w->conns[i]);
        w->paused = 1;
    }
    if ((cmd & CMD_RESUME) && !(cmd & CMD_DRAIN)) {
        if (w->lfd < 0)
            open_listener(w, w->new_lfd);
        else
            close(w->new_lfd); /* already listening */
        w->paused = 0;
    } else if (cmd & CMD_RESUME) {
        close(w->new_lfd);
    }
    if (cmd & CMD_DRAIN) {
        /* Clients already queued on the listener have sent their requests:
         * accept them, so they are answered, before it closes. */
        if (w->lfd >= 0 && !w->accept_muted)
            conn_accept_all(w, clock_monotonic());
        close_listener(w);
        w->draining = 1;
        w->drain_deadline = clock_monotonic() + DRAIN_SECONDS;
    }
    w->cmd_done = seq;
    pthread_cond_broadcast(&w->ccv);
    pthread_mutex_unlock(&w->cmu);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[128];
    double last_sweep = clock_monotonic();
    for (;;) {
        int n = epoll_wait(w->epfd, evs, 128, TICK_MS);
        if (n < 0 && errno != EINTR)
            break;
        double now = clock_monotonic();
        evloop_dispatch(evs, n > 0 ? n : 0, now);
        events_flush(w->reg.sh->events); /* one writer wake-up per turn: group commit */
        if (now - last_sweep >= TICK_MS / 1000.0 || w->draining) {
            if (w->accept_muted && w->lfd >= 0)
                evloop_mod(w->epfd, w->lfd, EPOLLIN, &w->listen_ev);
            w->accept_muted = 0;
            conn_sweep(w, now);
            conn_trim(w); /* at most once a tick */
            last_sweep = now;
        }
        conn_reap(w);
        if (w->draining && (w->n_conns == 0 || now > w->drain_deadline))
            break;
    }
    for (int i = 0; i < w->max_conns; i++)
        if (w->conns[i])
            conn_close(w, w->conns[i]);
    conn_reap(w);
    pthread_mutex_lock(&w->cmu); /* release anyone waiting on a late command */
    w->exited = 1;
    if (w->cmd & CMD_RESUME) /* a restart that came too late */
        close(w->new_lfd);
    w->cmd = 0;
    w->cmd_done = w->cmd_seq;
    pthread_cond_broadcast(&w->ccv);
    pthread_mutex_unlock(&w->cmu);
    return NULL;
}

/* Sends a command and, when wait is set, waits until the worker has carried
 * it out (commands from several threads add up; none is lost). 0, or -1
 * when the worker's loop has already ended (the command was not run). */
static int worker_command(struct worker *w, int cmd, int wait)
{
    uint64_t one = 1;
    pthread_mutex_lock(&w->cmu);
    if (w->exited) {
        pthread_mutex_unlock(&w->cmu);
        return -1;
    }
    w->cmd |= cmd;
    unsigned long mine = ++w->cmd_seq;
    ssize_t r = write(w->evfd, &one, sizeof one);
    (void)r;
    while (wait && w->cmd_done < mine)
        pthread_cond_wait(&w->ccv, &w->cmu);
    pthread_mutex_unlock(&w->cmu);
    return 0;
}

static void worker_free(struct worker *w)
{
    if (!w)
        return;
    if (w->lfd >= 0)
        close(w->lfd);
    if (w->evfd >= 0)
        close(w->evfd);
    if (w->epfd >= 0)
        close(w->epfd);
    free(w->conns);
    free(w->dead);
    if (w->reg.sh)
        api_region_free(&w->reg);
    pthread_mutex_destroy(&w->cmu);
    pthread_cond_destroy(&w->ccv);
    free(w);
}

/* A worker for region rc. NULL with err on failure. */
static struct worker *worker_new(struct server *s, const struct region_conf *rc, char *err,
                                 size_t errlen)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w) {
        err_set(err, errlen, "out of memory");
        return NULL;
    }
    w->s = s;
    w->lfd = w->evfd = w->epfd = -1;
    w->listen_ev.on_event = listener_on_event;
    w->command_ev.on_event = command_on_event;
    pthread_mutex_init(&w->cmu, NULL);
    pthread_cond_init(&w->ccv, NULL);
    http_limits_default(&w->lim);
    w->lim_proxy = w->lim;
    w->lim_proxy.max_head += HTTP_PROXY_HEAD_GROWTH;
    w->lim_proxy.max_headers += HTTP_PROXY_HEADERS;
    w->max_conns = s->conf.max_connections;
    w->conns = calloc((size_t)w->max_conns, sizeof *w->conns);
    w->dead = calloc((size_t)w->max_conns, sizeof *w->dead);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!w->conns || !w->dead || w->epfd < 0 || w->evfd < 0) {
        err_set(err, errlen, "region %s: %s", rc->name, strerror(errno));
        goto fail;
    }
    if (api_region_init(&w->reg, &s->sh, rc, err, errlen) < 0 ||
        api_region_attach(&w->reg, w->epfd, conn_done, w, err, errlen) < 0)
        goto fail; /* attach: activations answer later */
    int fd;
    if (listen_on(rc->host, rc->port, &fd, &w->port, err, errlen) < 0)
        goto fail;
    evloop_add(w->epfd, w->evfd, EPOLLIN, &w->command_ev);
    open_listener(w, fd);
    return w;
fail:
    worker_free(w);
    return NULL;
}

/* Opens the engine; on failure the process serves without one (503s). */
static void open_engine(struct server *s)
{
    struct engine *e = NULL;
    s->sh.engine_err[0] = '\0';
    if (engine_open(s->sh.db_path, &e, s->sh.engine_err, sizeof s->sh.engine_err) < 0) {
        e = NULL;
        log_error(NULL, "error", "what=engine_open database=%s message=%s", s->sh.db_path,
                  s->sh.engine_err);
    }
    s->sh.engine = e;
    atomic_store(&s->sh.engine_gen, 1);
}

/* The overlay and the events writer (events.h); a failure is logged and the
 * events route answers 503, serving goes on. */
static void start_events(struct server *s)
{
    char err[512] = "out of memory", path[1100]; /* with a model store: no database here */
    int store = s->conf.model_store[0] != '\0';
    if (!(s->sh.overlay = overlay_new()) ||
        events_store_db_path(&s->conf, s->sh.db_path, path, sizeof path, err, sizeof err) < 0 ||
        events_start(&s->sh, path, store, &s->sh.events, err, sizeof err) < 0)
        log_error(NULL, "error", "what=events_start database=%s message=%s", s->sh.db_path, err);
}

/* The A/B experiments stored in the database, with their variants' engines
 * opened beside the main one (exp.h), and the thread that saves their
 * counters; before the events writer, which reports to them. A failure is
 * logged: the routes answer 503. */
static void start_experiments(struct server *s)
{
    char err[512];
    if (exp_new(s->sh.db_path, &s->sh.exps, err, sizeof err) < 0 ||
        exp_load(s->sh.exps, s->sh.engine, err, sizeof err) < 0)
        log_error(NULL, "error", "what=experiments database=%s message=%s", s->sh.db_path, err);
    if (s->sh.exps && exp_autosave_start(s->sh.exps, EXP_AUTOSAVE_S, err, sizeof err) < 0)
        log_error(NULL, "error", "what=experiments_autosave message=%s", err);
    if (s->sh.exps) {
        s->sh.on_events = exp_on_events;
        s->sh.on_events_ctx = s->sh.exps;
    }
}

/* A server with no worker yet (conf copied); NULL on OOM. */
static struct server *server_alloc(const struct regions_conf *conf)
{
    struct server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->conf = *conf;
    pthread_mutex_init(&s->sh.engine_mu, NULL);
    s->sh.conf = &s->conf;
    return s;
}

/* Starts the thread of every worker. Workers never take process signals
 * (the front end waits for them), so they start with all signals blocked.
 * 0, or -1 with err (the threads already started keep running: server_stop
 * joins them). */
static int start_threads(struct server *s, char *err, size_t errlen)
{
    sigset_t all, old;
    int rc = 0;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; i < s->n && rc == 0; i++) {
        if (pthread_create(&s->w[i]->th, NULL, worker_main, s->w[i]) != 0)
            rc = err_set(err, errlen, "cannot start the thread of %s", s->w[i]->reg.conf->name);
        else
            s->w[i]->started = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

int server_start(const struct regions_conf *conf, const char *db_path, const char *const *names,
                 int n, struct server **out, char *err, size_t errlen)
{
    *out = NULL;
    engine_set_item_renderer(render_item_fixed); /* each product rendered once per engine */
    struct server *s = server_alloc(conf);
    if (!s)
        return err_set(err, errlen, "out of memory");
    snprintf(s->sh.db_path, sizeof s->sh.db_path, "%s", db_path ? db_path : conf->database);
    if (gethostname(s->sh.host, sizeof s->sh.host - 1) < 0)
        snprintf(s->sh.host, sizeof s->sh.host, "unknown");
    if (conf->admin_keys_file[0] &&
        !(s->sh.admin_keys = apikeys_load(conf->admin_keys_file, err, errlen)))
        goto fail;
    if (conf->api_keys_file[0] && !(s->sh.keys = apikeys_load(conf->api_keys_file, err, errlen)))
        goto fail;
    if (accesslog_open(conf->log, &s->sh.log, err, errlen) < 0)
        goto fail;
    for (int i = 0; i < (n > 0 ? n : s->conf.n_regions); i++) {
        const struct region_conf *rc =
            n > 0 ? regions_find(&s->conf, names[i]) : &s->conf.regions[i];
        if (!rc) {
            err_set(err, errlen, "no region '%s' in the configuration", names[i]);
            goto fail;
        }
        for (int j = 0; j < s->n; j++)
            if (s->w[j]->reg.conf == rc) {
                err_set(err, errlen, "region '%s' selected twice", rc->name);
                goto fail;
            }
        if (!(s->w[s->n] = worker_new(s, rc, err, errlen)))
            goto fail;
        s->sh.regions[s->n] = &s->w[s->n]->reg;
        s->n++;
        s->sh.n_regions = s->n;
    }
    if (!s->conf.model_store[0])
        open_engine(s);
    else if (storepoll_new(&s->conf, &s->sh.store, err, errlen) < 0)
        goto fail;
    else
        storepoll_first(s->sh.store, &s->sh); /* the store's model, or the cached one */
    /* experiments write to the database: a region fed by a model store has none of its own
       (its cached artifact must stay as verified), so their routes answer 503 there; events
       go to an events-only database in the store cache instead (events_store.h) */
    if (!s->sh.store)
        start_experiments(s);
    if (s->conf.events_queue > 0) /* feedback events: else the route answers 503 */
        start_events(s);
    if (bio_start(&s->sh, &s->sh.bio, err, errlen) < 0 ||
        (s->sh.store && storepoll_start(s->sh.store, &s->sh, err, errlen) < 0) ||
        retrain_sched_start(&s->sh, &s->sh.retrain, err, errlen) < 0 ||
        start_threads(s, err, errlen) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    server_stop(s);
    return -1;
}

static struct worker *find_worker(const struct server *s, const char *region)
{
    for (int i = 0; s && region && i < s->n; i++)
        if (!strcmp(s->w[i]->reg.conf->name, region))
            return s->w[i];
    return NULL;
}

int server_port(const struct server *s, const char *region)
{
    struct worker *w = find_worker(s, region);
    return w ? w->port : -1;
}

int server_region_stop(struct server *s, const char *region)
{
    struct worker *w = find_worker(s, region);
    if (!w)
        return -1;
    return worker_command(w, CMD_PAUSE, 1);
}

int server_region_start(struct server *s, const char *region)
{
    struct worker *w = find_worker(s, region);
    char err[256];
    int fd, port;
    if (!w)
        return -1;
    if (atomic_load(&w->reg.up))
        return 0;
    if (listen_on(w->reg.conf->host, w->port, &fd, &port, err, sizeof err) < 0)
        return -1;
    pthread_mutex_lock(&w->cmu);
    w->new_lfd = fd;
    pthread_mutex_unlock(&w->cmu);
    if (worker_command(w, CMD_RESUME, 1) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}

/* The reload runs on the bio thread (bio.c), after any model job queued
 * before it; this thread waits for it. */
int server_reload(struct server *s, char *err, size_t errlen)
{
    struct bio_result res;
    if (bio_run(s->sh.bio, BIO_RELOAD, 0, &res) < 0)
        return err_set(err, errlen, "%s", res.err);
    return 0;
}

void server_stop(struct server *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        if (s->w[i]->started)
            worker_command(s->w[i], CMD_DRAIN, 0);
    for (int i = 0; i < s->n; i++)
        if (s->w[i]->started)
            pthread_join(s->w[i]->th, NULL);
    retrain_sched_stop(s->sh.retrain); /* it activates through the bio thread */
    storepoll_stop(s->sh.store); /* it hands engines to the bio thread */
    bio_stop(s->sh.bio); /* before the regions' inboxes go (worker_free) */
    events_stop(s->sh.events); /* the same */
    for (int i = 0; i < s->n; i++)
        worker_free(s->w[i]);
    exp_close(s->sh.exps); /* after the regions and the events writer let go */
    overlay_free(s->sh.overlay);
    engine_release(s->sh.engine);
    apikeys_free(s->sh.keys);
    apikeys_free(s->sh.admin_keys);
    accesslog_close(s->sh.log);
    pthread_mutex_destroy(&s->sh.engine_mu);
    free(s);
}
