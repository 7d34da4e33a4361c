/* Who a request really comes from. Behind a proxy (HAProxy, a
 * load balancer) every connection comes from the proxy's address; the
 * proxy names the client in X-Forwarded-For. That header is believed only
 * when the connection comes from one of regions.conf's trusted_proxies, and
 * then only back to the first address that is not itself trusted, reading
 * from the right (each proxy appends the address it received from), as
 * nginx's real_ip_recursive does. Rate limiting, the admin check and the
 * logs all use the address this module gives. Pure: no locks, no I/O. */
#ifndef RECSYS_NET_FORWARDED_H
#define RECSYS_NET_FORWARDED_H

#include <stddef.h>

#include "conf/regions.h"
#include "net/http.h"

#define FORWARDED_ADDR_TEXT 46 /* INET6_ADDRSTRLEN */

enum forwarded_how {
    FORWARDED_DIRECT,  /* no X-Forwarded-For: the client is the peer */
    FORWARDED_TRUSTED, /* the client comes from X-Forwarded-For via trusted proxies */
    /* X-Forwarded-For that cannot be believed (the peer is not a trusted
     * proxy, or a trusted one passed on something that is not an address):
     * the address given is the nearest one known, but the real client is
     * not known. Admin routes refuse such a request unless a key proves who
     * it is. */
    FORWARDED_UNVERIFIED,
};

/* The client of req, received from peer (16 bytes, IPv4 mapped into IPv6),
 * into out; returns how it was found. Every X-Forwarded-For header counts,
 * in order, as one comma-separated list. An entry may carry a port
 * ("192.0.2.1:5000", "[2001:db8::1]:80"), which is ignored. */
enum forwarded_how forwarded_client(const struct regions_conf *conf, const unsigned char peer[16],
                                    const struct http_request *req, unsigned char out[16]);
/* The address as text: dotted quad for IPv4 (mapped), else IPv6. */
void forwarded_addr_text(const unsigned char addr[16], char out[FORWARDED_ADDR_TEXT]);
/* 1 for 127.0.0.0/8 and ::1. */
int forwarded_is_loopback(const unsigned char addr[16]);

#endif
