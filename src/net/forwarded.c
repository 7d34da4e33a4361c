/* X-Forwarded-For, read from the right through trusted proxies (see
 * forwarded.h). */
#include "net/forwarded.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

static const unsigned char V4MAP[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* One list entry (n bytes, spaces already trimmed) as an address: a bare
 * address, "[v6]", "[v6]:port" or "v4:port". 0 or -1. */
static int entry_addr(const char *s, size_t n, unsigned char out[16])
{
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return -1;
        size_t rest = n - (size_t)(close - s) - 1;
        if (rest && close[1] != ':')
            return -1;
        return regions_addr_parse(s + 1, (size_t)(close - s) - 1, out);
    }
    const char *colon = memchr(s, ':', n);
    if (colon && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) /* one colon: v4:port */
        n = (size_t)(colon - s);
    return regions_addr_parse(s, n, out);
}

/* Walks the entries of value (n bytes) from the right. Returns 1 when the
 * walk ended on an untrusted address (the client, in addr), 0 when every
 * entry was trusted (addr: the leftmost), -1 on an entry that is no address
 * (addr: the last one before it). */
static int walk(const struct regions_conf *conf, const char *v, size_t n, unsigned char addr[16])
{
    while (n) {
        size_t start = n;
        while (start && v[start - 1] != ',')
            start--;
        const char *e = v + start;
        size_t len = n - start;
        while (len && (*e == ' ' || *e == '\t'))
            e++, len--;
        while (len && (e[len - 1] == ' ' || e[len - 1] == '\t'))
            len--;
        n = start ? start - 1 : 0;
        if (len == 0 && n == 0 && start == 0)
            break; /* an empty header value */
        unsigned char a[16];
        if (entry_addr(e, len, a) < 0)
            return -1;
        memcpy(addr, a, 16);
        if (!regions_proxy_trusted(conf, a))
            return 1;
    }
    return 0;
}

enum forwarded_how forwarded_client(const struct regions_conf *conf, const unsigned char peer[16],
                                    const struct http_request *req, unsigned char out[16])
{
    memcpy(out, peer, 16);
    if (!http_header_get(req, "X-Forwarded-For", NULL))
        return FORWARDED_DIRECT;
    if (!regions_proxy_trusted(conf, peer))
        return FORWARDED_UNVERIFIED;
    for (int i = req->n_headers - 1; i >= 0; i--) {
        const struct http_header *h = &req->headers[i];
        if (h->name_len != 15 || strncasecmp(h->name, "X-Forwarded-For", 15))
            continue;
        int r = walk(conf, h->value, h->value_len, out);
        if (r < 0)
            return FORWARDED_UNVERIFIED;
        if (r > 0)
            return FORWARDED_TRUSTED;
    }
    return FORWARDED_TRUSTED; /* every hop trusted: the leftmost is the client */
}

void forwarded_addr_text(const unsigned char addr[16], char out[FORWARDED_ADDR_TEXT])
{
    if (!memcmp(addr, V4MAP, 12))
        inet_ntop(AF_INET, addr + 12, out, FORWARDED_ADDR_TEXT);
    else
        inet_ntop(AF_INET6, addr, out, FORWARDED_ADDR_TEXT);
}

int forwarded_is_loopback(const unsigned char addr[16])
{
    static const unsigned char v6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return !memcmp(addr, v6, 16) || (!memcmp(addr, V4MAP, 12) && addr[12] == 127);
}
