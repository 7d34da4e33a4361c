/* Attribution of clicks and purchases to the recommendation lists of
 * experiments: a bounded memory of the last list served to each user.
 *
 * The table has EXPATTR_SLOTS slots in sets of EXPATTR_WAYS, a set chosen
 * by a hash of the user id; a slot holds one user's last experiment list
 * (its request serial, when it was served, the variant's counters and the
 * first EXPATTR_ITEMS product ids as 64-bit hashes). That is EXPATTR_SLOTS
 * * sizeof(struct expattr_list) = 65,536 * 200 bytes = 12.5 MiB of address
 * space, allocated zeroed when the first list is recorded and touched only
 * as users come. A newer list of the user replaces the older one; a new
 * user in a full set replaces the set's oldest list (so about 65,000 users
 * are remembered at once, the most recent); lists older than EXPATTR_TTL
 * are ignored.
 *
 * An event is attributed to a list by its request_id when that list is
 * still remembered, else to the user's last list within EXPATTR_TTL when the
 * product is in it. A list counts once as clicked and once as converted, so
 * the rates stay proportions; every attributed event is counted too. One
 * mutex; every call is a few hundred nanoseconds. */
#ifndef RECSYS_NET_EXPATTR_H
#define RECSYS_NET_EXPATTR_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define EXPATTR_SLOTS 65536
#define EXPATTR_WAYS  4 /* slots per set: users sharing a set evict the oldest */
#define EXPATTR_ITEMS 20
#define EXPATTR_TTL   86400.0 /* seconds */

struct exp_counts;

struct expattr_list {
    uint64_t user;   /* hash of the user id; 0: empty */
    uint64_t serial; /* the request id's serial */
    double t;        /* monotonic seconds when served */
    struct exp_counts *c;
    uint8_t n, clicked, bought;
    uint64_t items[EXPATTR_ITEMS]; /* product id hashes */
};

struct expattr {
    pthread_mutex_t mu;
    struct expattr_list *slot; /* EXPATTR_SLOTS of them, NULL until the first list */
};

enum expattr_kind { EXPATTR_CLICK, EXPATTR_PURCHASE };

void expattr_init(struct expattr *a);
void expattr_free(struct expattr *a);
/* The 64-bit hash of an id, case-insensitive (ids are hexadecimal). */
uint64_t expattr_id_hash(const char *id);
/* Remembers the list just served to user: request serial, the variant's
 * counters c, and the product ids found in json (the rendered list:
 * every "product_id":"..." in order, the first EXPATTR_ITEMS). */
void expattr_record(struct expattr *a, const char *user, uint64_t serial, struct exp_counts *c,
                    const char *json, size_t len, double now);
/* Attributes one event. serial: the request id's serial (0: none or not
 * one of this process's). Counts into the list's variant and returns 1, or
 * returns 0 when no remembered list matches. */
int expattr_event(struct expattr *a, const char *user, const char *product, uint64_t serial,
                  enum expattr_kind kind, double now);

#endif
