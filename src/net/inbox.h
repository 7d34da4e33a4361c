/* A region loop's mailbox for work finished on another thread: any thread
 * posts an item (a mutex and an intrusive list), an eventfd in the loop's
 * epoll set wakes the loop once per batch of posts, and the loop runs the
 * owner's callback on everything that arrived, oldest first. The loop never
 * waits on the poster beyond that short mutex. bio.c (model jobs) and
 * events.c (committed event batches) each give every region one. */
#ifndef RECSYS_NET_INBOX_H
#define RECSYS_NET_INBOX_H

#include <stddef.h>

/* Embedded in whatever is posted; the owner finds its struct with
 * evloop_container_of. */
struct inbox_item {
    struct inbox_item *next;
};

/* Runs on the loop with the arrived items, a NULL-terminated list in
 * arrival order; it owns them. */
typedef void (*inbox_run_fn)(struct inbox_item *list);

struct inbox;

/* An inbox on epoll set epfd whose items run goes through. 0, or ERR_FAIL
 * with err naming what (the eventfd) failed. */
int inbox_new(int epfd, inbox_run_fn run, const char *what, struct inbox **out, char *err,
              size_t errlen);

/* Closes the eventfd, hands the items still waiting to run (their clients
 * are gone: it only frees them) and frees the inbox. NULL is fine. */
void inbox_free(struct inbox *ib);

/* Appends it (from any thread) and wakes the loop when the inbox was empty. */
void inbox_post(struct inbox *ib, struct inbox_item *it);
/* Appends the chain first..last (linked by next; last->next is set to
 * NULL) at once: one lock and at most one wake-up for all of them. */
void inbox_post_list(struct inbox *ib, struct inbox_item *first, struct inbox_item *last);

#endif
