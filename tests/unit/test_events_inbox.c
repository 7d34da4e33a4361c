/* The loops' mailbox (net/inbox.c) as the events syncer uses it: a chain
 * posted at once (inbox_post_list) wakes the loop once and runs in order,
 * after what was posted before; single posts go on the same list; what is
 * still waiting when the inbox is freed is handed to its callback. */
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/evloop.h"
#include "net/inbox.h"
#include "test.h"

struct item {
    struct inbox_item link;
    int id;
};

static int ran[16], n_ran, calls;

static void record(struct inbox_item *list)
{
    calls++;
    for (struct inbox_item *it = list; it; it = it->next)
        if (n_ran < 16)
            ran[n_ran++] = evloop_container_of(it, struct item, link)->id;
}

/* Dispatches what epoll reports within ms; returns the number of events. */
static int turn(int epfd, int ms)
{
    struct epoll_event evs[4];
    int n = epoll_wait(epfd, evs, 4, ms);
    if (n > 0)
        evloop_dispatch(evs, n, 0);
    return n;
}

static void test_inbox_post_list_one_wake_in_order(void)
{
    char err[256];
    struct inbox *ib;
    struct item it[6];
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    CHECK(epfd >= 0);
    CHECK_INT(inbox_new(epfd, record, "test", &ib, err, sizeof err), 0);
    for (int i = 0; i < 6; i++)
        it[i].id = i + 1;
    n_ran = calls = 0;
    CHECK_INT(turn(epfd, 0), 0); /* nothing posted: no wake-up */
    inbox_post(ib, &it[0].link);
    it[1].link.next = &it[2].link; /* a chain 2 -> 3 -> 4; 4's next is set by the post */
    it[2].link.next = &it[3].link;
    it[3].link.next = &it[5].link; /* garbage past the last: must be cut */
    inbox_post_list(ib, &it[1].link, &it[3].link);
    CHECK_INT(n_ran, 0); /* nothing runs before the loop's turn */
    CHECK_INT(turn(epfd, 1000), 1);
    CHECK_INT(calls, 1); /* one wake-up, one run for all four */
    CHECK_INT(n_ran, 4);
    CHECK(ran[0] == 1 && ran[1] == 2 && ran[2] == 3 && ran[3] == 4);
    CHECK_INT(turn(epfd, 0), 0);                   /* the eventfd was drained */
    inbox_post_list(ib, &it[4].link, &it[4].link); /* a chain of one */
    CHECK_INT(turn(epfd, 1000), 1);
    CHECK_INT(n_ran, 5);
    CHECK_INT(ran[4], 5);
    inbox_post(ib, &it[5].link); /* left waiting: inbox_free hands it over */
    inbox_free(ib);
    CHECK_INT(n_ran, 6);
    CHECK_INT(ran[5], 6);
    close(epfd);
}

int main(void)
{
    RUN(test_inbox_post_list_one_wake_in_order);
    return TEST_SUMMARY();
}
