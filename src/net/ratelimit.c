/* Token buckets in a fixed open-addressing table: bounded memory whatever the
 * number of clients. When the probe window is full the least recently seen
 * client is replaced (it starts again with a full bucket). */
#include "net/ratelimit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 8

struct bucket {
    unsigned char addr[16];
    int used;
    double tokens, last;
};

struct ratelimit {
    double rate, burst;
    struct bucket slots[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(double rate, double burst)
{
    struct ratelimit *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->rate = rate;
    r->burst = burst < 1 ? 1 : burst;
    return r;
}

void ratelimit_free(struct ratelimit *r)
{
    free(r);
}

static uint32_t hash_addr(const unsigned char a[16])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ a[i]) * 16777619u;
    return h;
}

int ratelimit_take(struct ratelimit *r, const unsigned char addr[16], double now)
{
    if (r->rate <= 0)
        return 0;
    uint32_t h = hash_addr(addr);
    struct bucket *b = NULL, *victim = NULL;
    for (int i = 0; i < PROBES; i++) {
        struct bucket *s = &r->slots[(h + (uint32_t)i) % RATELIMIT_SLOTS];
        if (s->used && !memcmp(s->addr, addr, 16)) {
            b = s;
            break;
        }
        if (!s->used) {
            if (!victim || victim->used)
                victim = s; /* a free slot beats any eviction */
        } else if (!victim || (victim->used && s->last < victim->last)) {
            victim = s;
        }
    }
    if (!b) {
        b = victim;
        memcpy(b->addr, addr, 16);
        b->used = 1;
        b->tokens = r->burst;
        b->last = now;
    }
    if (now > b->last) {
        b->tokens += (now - b->last) * r->rate;
        if (b->tokens > r->burst)
            b->tokens = r->burst;
        b->last = now;
    }
    if (b->tokens >= 1) {
        b->tokens -= 1;
        return 0;
    }
    /* A tiny rate gives a wait beyond int range: clamp before the cast. */
    double wait = ceil((1 - b->tokens) / r->rate);
    return wait < 1 ? 1 : wait > RATELIMIT_WAIT_MAX ? RATELIMIT_WAIT_MAX : (int)wait;
}
