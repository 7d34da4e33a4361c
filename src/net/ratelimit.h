/* Token-bucket rate limit per client address (one limiter per region).
 * Not thread-safe: used under the region's lock. Times are passed in. */
#ifndef RECSYS_NET_RATELIMIT_H
#define RECSYS_NET_RATELIMIT_H

#define RATELIMIT_SLOTS    4096  /* clients tracked at once; the stalest is forgotten */
#define RATELIMIT_WAIT_MAX 86400 /* largest Retry-After, for absurdly low rates */

struct ratelimit;

/* rate tokens/s refill, burst = bucket depth; rate <= 0 disables (always
 * allows). NULL on OOM. */
struct ratelimit *ratelimit_new(double rate, double burst);
void ratelimit_free(struct ratelimit *r);
/* Takes one token for the 16-byte address (IPv4 mapped into IPv6). Returns 0
 * when allowed, else the whole seconds (1..RATELIMIT_WAIT_MAX) until a token
 * is available: the Retry-After value. */
int ratelimit_take(struct ratelimit *r, const unsigned char addr[16], double now);

#endif
