/* Handler registration and dispatch (see evloop.h). Thin on purpose: one
 * epoll_ctl per call, no allocation, one indirect call per event. */
#include "net/evloop.h"

int evloop_add(int epfd, int fd, uint32_t events, struct evloop_handler *h)
{
    struct epoll_event ev = {.events = events, .data.ptr = h};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int evloop_mod(int epfd, int fd, uint32_t events, struct evloop_handler *h)
{
    struct epoll_event ev = {.events = events, .data.ptr = h};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

void evloop_dispatch(const struct epoll_event *evs, int n, double now)
{
    for (int i = 0; i < n; i++) {
        struct evloop_handler *h = evs[i].data.ptr;
        h->on_event(h, evs[i].events, now);
    }
}
