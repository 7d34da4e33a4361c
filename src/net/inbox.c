/* A loop's mailbox for work finished on other threads (see inbox.h). */
#include "net/inbox.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net/evloop.h"
#include "util/error.h"

struct inbox {
    struct evloop_handler ev; /* the eventfd's, in the loop's epoll set */
    int fd;
    inbox_run_fn run;
    pthread_mutex_t mu;
    struct inbox_item *head, *tail; /* posted, not yet run */
};

static void inbox_on_event(struct evloop_handler *h, uint32_t events, double now)
{
    struct inbox *ib = evloop_container_of(h, struct inbox, ev);
    uint64_t v;
    (void)events;
    (void)now;
    ssize_t r = read(ib->fd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&ib->mu);
    struct inbox_item *list = ib->head;
    ib->head = ib->tail = NULL;
    pthread_mutex_unlock(&ib->mu);
    if (list)
        ib->run(list);
}

int inbox_new(int epfd, inbox_run_fn run, const char *what, struct inbox **out, char *err,
              size_t errlen)
{
    struct inbox *ib = calloc(1, sizeof *ib);
    *out = NULL;
    if (!ib)
        return err_set(err, errlen, "out of memory");
    ib->ev.on_event = inbox_on_event;
    ib->run = run;
    pthread_mutex_init(&ib->mu, NULL);
    if ((ib->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
        evloop_add(epfd, ib->fd, EPOLLIN, &ib->ev) < 0) {
        err_set(err, errlen, "cannot create an eventfd for %s", what);
        inbox_free(ib);
        return ERR_FAIL;
    }
    *out = ib;
    return 0;
}

void inbox_free(struct inbox *ib)
{
    if (!ib)
        return;
    if (ib->fd >= 0)
        close(ib->fd);
    if (ib->head)
        ib->run(ib->head);
    pthread_mutex_destroy(&ib->mu);
    free(ib);
}

void inbox_post(struct inbox *ib, struct inbox_item *it)
{
    inbox_post_list(ib, it, it);
}

void inbox_post_list(struct inbox *ib, struct inbox_item *first, struct inbox_item *last)
{
    uint64_t one = 1;
    last->next = NULL;
    pthread_mutex_lock(&ib->mu);
    int was_empty = ib->head == NULL;
    if (ib->tail)
        ib->tail->next = first;
    else
        ib->head = first;
    ib->tail = last;
    pthread_mutex_unlock(&ib->mu);
    if (was_empty) {
        ssize_t r = write(ib->fd, &one, sizeof one);
        (void)r;
    }
}
