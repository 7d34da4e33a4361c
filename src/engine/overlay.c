/* The overlay's store: users' recent purchases (chained hash + LRU list) and
 * decayed product counts with a ranked top list (see overlay.h). */
#include "engine/overlay.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

#define OV_BUCKETS (1 << 18) /* power of two */
#define OV_NONE    (-1)

struct ov_user {
    char id[REC_ID_LEN];
    uint32_t hash;
    int32_t hnext, prev, next; /* hash chain; LRU list (head = most recent) */
    int n, cap;
    struct overlay_purchase *p; /* oldest first */
};

struct ov_product {
    char id[REC_ID_LEN];
    uint32_t hash;
    int32_t hnext;
    double value; /* sum of 2^((arrival - t0) / half-life): ranks without decaying */
};

struct overlay {
    pthread_rwlock_t lock;
    atomic_int used; /* 0 until the first purchase */
    int32_t ubucket[OV_BUCKETS], pbucket[OV_BUCKETS];
    struct ov_user *users;
    size_t n_users, cap_users;
    int32_t head, tail;
    struct ov_product *prods;
    size_t n_prods, cap_prods;
    double t0; /* reference time of value, unix seconds */
    int n_hot;
    int32_t hot[OVERLAY_HOT]; /* product slots by value, descending */
};

/* FNV-1a of an id; the low bits pick the bucket, all of it is compared
 * before the id. */
static uint32_t ov_hash(const char *id)
{
    uint32_t h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h;
}

struct overlay *overlay_new(void)
{
    struct overlay *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    pthread_rwlock_init(&o->lock, NULL);
    for (int i = 0; i < OV_BUCKETS; i++)
        o->ubucket[i] = o->pbucket[i] = OV_NONE;
    o->head = o->tail = OV_NONE;
    return o;
}

void overlay_free(struct overlay *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n_users; i++)
        free(o->users[i].p);
    free(o->users);
    free(o->prods);
    pthread_rwlock_destroy(&o->lock);
    free(o);
}

int overlay_empty(const struct overlay *o)
{
    return !o || !atomic_load_explicit(&((struct overlay *)o)->used, memory_order_acquire);
}

static int32_t user_find(const struct overlay *o, const char *id, uint32_t h)
{
    for (int32_t i = o->ubucket[h & (OV_BUCKETS - 1)]; i != OV_NONE; i = o->users[i].hnext)
        if (o->users[i].hash == h && !strcmp(o->users[i].id, id))
            return i;
    return OV_NONE;
}

static void lru_unlink(struct overlay *o, int32_t i)
{
    struct ov_user *u = &o->users[i];
    if (u->prev != OV_NONE)
        o->users[u->prev].next = u->next;
    else
        o->head = u->next;
    if (u->next != OV_NONE)
        o->users[u->next].prev = u->prev;
    else
        o->tail = u->prev;
}

static void lru_front(struct overlay *o, int32_t i)
{
    struct ov_user *u = &o->users[i];
    u->prev = OV_NONE;
    u->next = o->head;
    if (o->head != OV_NONE)
        o->users[o->head].prev = i;
    o->head = i;
    if (o->tail == OV_NONE)
        o->tail = i;
}

/* A slot for a new user: a fresh one, or the least recently active user's. */
static int32_t user_slot(struct overlay *o, const char *id, uint32_t h)
{
    int32_t i;
    if (o->n_users < OVERLAY_USERS && mem_grow((void **)&o->users, sizeof *o->users, o->n_users + 1,
                                               &o->cap_users, OVERLAY_USERS) == 0) {
        i = (int32_t)o->n_users++;
        memset(&o->users[i], 0, sizeof o->users[i]);
    } else if ((i = o->tail) != OV_NONE) {
        struct ov_user *old = &o->users[i];
        int32_t *pp = &o->ubucket[old->hash & (OV_BUCKETS - 1)];
        while (*pp != i)
            pp = &o->users[*pp].hnext;
        *pp = old->hnext;
        lru_unlink(o, i);
        old->n = 0;
    } else {
        return OV_NONE;
    }
    struct ov_user *u = &o->users[i];
    memcpy(u->id, id, REC_ID_LEN);
    u->hash = h;
    u->hnext = o->ubucket[h & (OV_BUCKETS - 1)];
    o->ubucket[h & (OV_BUCKETS - 1)] = i;
    lru_front(o, i);
    return i;
}

static void user_add(struct overlay *o, const char *uid, const char *pid, int64_t ts)
{
    uint32_t h = ov_hash(uid);
    int32_t i = user_find(o, uid, h);
    if (i == OV_NONE) {
        if ((i = user_slot(o, uid, h)) == OV_NONE)
            return;
    } else {
        lru_unlink(o, i);
        lru_front(o, i);
    }
    struct ov_user *u = &o->users[i];
    if (u->n == OVERLAY_USER_ITEMS) { /* the oldest goes */
        memmove(u->p, u->p + 1, (size_t)(u->n - 1) * sizeof *u->p);
        u->n--;
    }
    if (u->n == u->cap) { /* most users buy once or twice: grow from 1, not mem_grow's 16 */
        int cap = u->cap ? u->cap * 2 : 1;
        if (cap > OVERLAY_USER_ITEMS)
            cap = OVERLAY_USER_ITEMS;
        struct overlay_purchase *g = realloc(u->p, (size_t)cap * sizeof *g);
        if (!g)
            return;
        u->p = g;
        u->cap = cap;
    }
    memcpy(u->p[u->n].product_id, pid, REC_ID_LEN);
    u->p[u->n].ts = ts;
    u->n++;
}

/* Moves product slot k up the hot list (or into it) after its value grew. */
static void hot_update(struct overlay *o, int32_t k)
{
    int pos = -1;
    for (int i = 0; i < o->n_hot; i++)
        if (o->hot[i] == k)
            pos = i;
    if (pos < 0) {
        if (o->n_hot < OVERLAY_HOT)
            pos = o->n_hot++;
        else if (o->prods[o->hot[OVERLAY_HOT - 1]].value < o->prods[k].value)
            pos = OVERLAY_HOT - 1;
        else
            return;
        o->hot[pos] = k;
    }
    while (pos > 0 && o->prods[o->hot[pos - 1]].value < o->prods[k].value) {
        o->hot[pos] = o->hot[pos - 1];
        o->hot[--pos] = k;
    }
}

static void product_add(struct overlay *o, const char *pid, int64_t now)
{
    double x = ((double)now - o->t0) / OVERLAY_HALF_LIFE;
    if (x > 60 || x < -60) { /* rebase: every value scales alike, order unchanged */
        double f = exp2(-x);
        for (size_t i = 0; i < o->n_prods; i++)
            o->prods[i].value *= f;
        o->t0 = (double)now;
        x = 0;
    }
    uint32_t h = ov_hash(pid);
    int32_t k = o->pbucket[h & (OV_BUCKETS - 1)];
    while (k != OV_NONE && (o->prods[k].hash != h || strcmp(o->prods[k].id, pid)))
        k = o->prods[k].hnext;
    if (k == OV_NONE) {
        if (mem_grow((void **)&o->prods, sizeof *o->prods, o->n_prods + 1, &o->cap_prods,
                     OVERLAY_PRODUCTS) < 0)
            return; /* full: the real-time counts are best effort */
        k = (int32_t)o->n_prods++;
        memcpy(o->prods[k].id, pid, REC_ID_LEN);
        o->prods[k].hash = h;
        o->prods[k].value = 0;
        o->prods[k].hnext = o->pbucket[h & (OV_BUCKETS - 1)];
        o->pbucket[h & (OV_BUCKETS - 1)] = k;
    }
    o->prods[k].value += exp2(x);
    hot_update(o, k);
}

static void lower_id(char out[REC_ID_LEN], const char *in)
{
    size_t i = 0;
    for (; i < REC_ID_LEN - 1 && in[i]; i++)
        out[i] = (char)(in[i] >= 'A' && in[i] <= 'F' ? in[i] - 'A' + 'a' : in[i]);
    out[i] = '\0';
}

size_t overlay_add(struct overlay *o, const struct feedback_event *ev, size_t n, int64_t now)
{
    size_t added = 0;
    pthread_rwlock_wrlock(&o->lock);
    if (!atomic_load(&o->used) && !o->n_prods)
        o->t0 = (double)now;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].type != FEEDBACK_PURCHASE)
            continue;
        char uid[REC_ID_LEN], pid[REC_ID_LEN];
        lower_id(uid, ev[i].user_id);
        lower_id(pid, ev[i].product_id);
        user_add(o, uid, pid, ev[i].ts);
        product_add(o, pid, now);
        added++;
    }
    if (added)
        atomic_store_explicit(&o->used, 1, memory_order_release);
    pthread_rwlock_unlock(&o->lock);
    return added;
}

int overlay_user(struct overlay *o, const char *user_id, struct overlay_purchase *out, int max)
{
    char uid[REC_ID_LEN];
    int n = 0;
    if (overlay_empty(o))
        return 0;
    lower_id(uid, user_id);
    pthread_rwlock_rdlock(&o->lock);
    int32_t i = user_find(o, uid, ov_hash(uid));
    if (i != OV_NONE) {
        n = o->users[i].n < max ? o->users[i].n : max;
        memcpy(out, o->users[i].p + (o->users[i].n - n), (size_t)n * sizeof *out);
    }
    pthread_rwlock_unlock(&o->lock);
    return n;
}

int overlay_popular(struct overlay *o, int64_t now, double min_count, struct overlay_hot *out,
                    int max)
{
    int n = 0;
    if (overlay_empty(o))
        return 0;
    pthread_rwlock_rdlock(&o->lock);
    double f = exp2((o->t0 - (double)now) / OVERLAY_HALF_LIFE);
    for (int i = 0; i < o->n_hot && n < max; i++) {
        const struct ov_product *p = &o->prods[o->hot[i]];
        double c = p->value * f;
        if (c < min_count)
            break; /* ranked: the rest are smaller */
        memcpy(out[n].product_id, p->id, REC_ID_LEN);
        out[n++].count = c;
    }
    pthread_rwlock_unlock(&o->lock);
    return n;
}

void overlay_size(struct overlay *o, size_t *users, size_t *products)
{
    *users = *products = 0;
    if (overlay_empty(o))
        return;
    pthread_rwlock_rdlock(&o->lock);
    *users = o->n_users;
    *products = o->n_prods;
    pthread_rwlock_unlock(&o->lock);
}
