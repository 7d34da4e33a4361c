/* Attribution of events to recent experiment lists (see expattr.h). */
#include "net/expattr.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "net/exp.h"

void expattr_init(struct expattr *a)
{
    pthread_mutex_init(&a->mu, NULL);
    a->slot = NULL;
}

void expattr_free(struct expattr *a)
{
    free(a->slot);
    a->slot = NULL;
    pthread_mutex_destroy(&a->mu);
}

uint64_t expattr_id_hash(const char *id)
{
    char low[REC_ID_LEN];
    size_t i = 0;
    for (; id[i] && i < sizeof low - 1; i++)
        low[i] = (char)tolower((unsigned char)id[i]);
    low[i] = '\0';
    uint64_t h = expstats_hash("id", low);
    return h ? h : 1; /* 0 marks an empty slot */
}

/* The first slot of user's set of EXPATTR_WAYS. */
static struct expattr_list *set_of(struct expattr *a, uint64_t user)
{
    return &a->slot[(user ^ (user >> 32)) % (EXPATTR_SLOTS / EXPATTR_WAYS) * EXPATTR_WAYS];
}

/* user's slot in its set, or NULL. */
static struct expattr_list *find(struct expattr *a, uint64_t user)
{
    struct expattr_list *s = a->slot ? set_of(a, user) : NULL;
    for (int w = 0; s && w < EXPATTR_WAYS; w++)
        if (s[w].user == user)
            return &s[w];
    return NULL;
}

/* Where a new list of user goes: its own slot, else an empty one, else the
 * oldest of the set. */
static struct expattr_list *victim(struct expattr *a, uint64_t user)
{
    struct expattr_list *s = set_of(a, user), *v = find(a, user);
    for (int w = 0; !v && w < EXPATTR_WAYS; w++)
        if (!s[w].user)
            v = &s[w];
    for (int w = 0; !v && w < EXPATTR_WAYS; w++)
        if (!v || s[w].t < v->t)
            v = &s[w];
    return v ? v : s;
}

void expattr_record(struct expattr *a, const char *user, uint64_t serial, struct exp_counts *c,
                    const char *json, size_t len, double now)
{
    static const char key[] = "\"product_id\":\"";
    struct expattr_list l;
    memset(&l, 0, sizeof l);
    l.user = expattr_id_hash(user);
    l.serial = serial;
    l.t = now;
    l.c = c;
    const char *p = json, *end = json + len;
    while (l.n < EXPATTR_ITEMS && p < end) {
        const char *k = memmem(p, (size_t)(end - p), key, sizeof key - 1);
        if (!k)
            break;
        k += sizeof key - 1;
        const char *q = memchr(k, '"', (size_t)(end - k));
        if (!q || q - k >= REC_ID_LEN)
            break;
        char id[REC_ID_LEN];
        memcpy(id, k, (size_t)(q - k));
        id[q - k] = '\0';
        l.items[l.n++] = expattr_id_hash(id);
        p = q + 1;
    }
    pthread_mutex_lock(&a->mu);
    if (!a->slot)
        a->slot = calloc(EXPATTR_SLOTS, sizeof *a->slot); /* untouched pages cost nothing */
    if (a->slot)
        *victim(a, l.user) = l;
    pthread_mutex_unlock(&a->mu);
}

int expattr_event(struct expattr *a, const char *user, const char *product, uint64_t serial,
                  enum expattr_kind kind, double now)
{
    uint64_t u = expattr_id_hash(user), pr = expattr_id_hash(product);
    int hit = 0;
    pthread_mutex_lock(&a->mu);
    struct expattr_list *l = find(a, u);
    if (l && now - l->t <= EXPATTR_TTL) {
        if (serial && serial == l->serial) {
            hit = 1; /* the list the event names */
        } else {
            for (int i = 0; i < l->n && !hit; i++)
                hit = l->items[i] == pr;
        }
    }
    if (hit) {
        struct exp_counts *c = l->c;
        if (kind == EXPATTR_CLICK) {
            atomic_fetch_add_explicit(&c->clicks, 1, memory_order_relaxed);
            if (!l->clicked)
                atomic_fetch_add_explicit(&c->lists_clicked, 1, memory_order_relaxed);
            l->clicked = 1;
        } else {
            atomic_fetch_add_explicit(&c->purchases, 1, memory_order_relaxed);
            if (!l->bought)
                atomic_fetch_add_explicit(&c->lists_bought, 1, memory_order_relaxed);
            l->bought = 1;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return hit;
}
