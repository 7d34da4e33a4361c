/* Event dispatch for the epoll loops of server.c and upstream.c, in the
 * manner of redis aeFileEvent and h2o sockets: every registration carries
 * its own handler, so the loop calls whatever is registered and never looks
 * at what a pointer points to. A handler is embedded in the struct it serves
 * (usually as the first member) and recovers it with evloop_container_of. */
#ifndef RECSYS_NET_EVLOOP_H
#define RECSYS_NET_EVLOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct evloop_handler {
    /* events: the EPOLL* bits; now: clock_monotonic() of this loop turn. */
    void (*on_event)(struct evloop_handler *h, uint32_t events, double now);
};

#define evloop_container_of(ptr, type, member)                                                     \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* A response a request handler finishes later, from another event of the
 * loop (a model job's answer), in the manner of h2o's generators. The
 * client connection holds it until the handler reports completion, and
 * calls cancel instead when the client goes away first; cancel frees it. */
struct evloop_deferred {
    void (*cancel)(struct evloop_deferred *d);
};

/* epoll_ctl ADD / MOD of fd with h as its handler: 0, or -1 (errno). */
int evloop_add(int epfd, int fd, uint32_t events, struct evloop_handler *h);
int evloop_mod(int epfd, int fd, uint32_t events, struct evloop_handler *h);
/* Calls the handler of each of the n events epoll_wait returned. A handler
 * may close fds and retire handlers named later in the same batch: those
 * must stay allocated until the batch is over (each owner reaps its own). */
void evloop_dispatch(const struct epoll_event *evs, int n, double now);

#endif
