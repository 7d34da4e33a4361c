/* The admin check and key names (see admin.h). */
#include "net/admin.h"
#include "net/apikeys.h"
#include "util/log.h"
#include "util/sha256.h"

#include <stdio.h>

enum admin_verdict admin_check(const struct apikeys *admin_keys, const char *key, size_t key_len,
                               const unsigned char client[16], enum forwarded_how how)
{
    if (admin_keys) {
        if (!key)
            return ADMIN_KEY_MISSING;
        return apikeys_check(admin_keys, key, key_len) ? ADMIN_ALLOW : ADMIN_KEY_WRONG;
    }
    return how != FORWARDED_UNVERIFIED && forwarded_is_loopback(client) ? ADMIN_ALLOW
                                                                        : ADMIN_NOT_LOCAL;
}

int admin_gate(const struct apikeys *keys, const struct apikeys *admin_keys, int protected_route,
               int admin, const char *key, size_t key_len, const unsigned char client[16],
               enum forwarded_how how, const char **why)
{
    *why = "";
    if (admin) {
        switch (admin_check(admin_keys, key, key_len, client, how)) {
        case ADMIN_NOT_LOCAL:
            *why = "admin route: only loopback clients may call it while no admin_keys_file is "
                   "configured";
            return 403;
        case ADMIN_KEY_MISSING:
            *why = "missing admin X-API-Key";
            return 401;
        case ADMIN_KEY_WRONG:
            *why = "wrong admin X-API-Key";
            return 401;
        case ADMIN_ALLOW:
            if (admin_keys)
                return 0;
            break;
        }
    }
    if (!protected_route || !keys)
        return 0;
    if (key && (apikeys_check(keys, key, key_len) ||
                (admin_keys && apikeys_check(admin_keys, key, key_len))))
        return 0;
    *why = key ? "wrong X-API-Key" : "missing X-API-Key";
    return 401;
}

void admin_key_id(const char *key, size_t key_len, char out[ADMIN_KEY_ID_LEN])
{
    char hex[65];
    sha256_hex(key, key_len, hex);
    snprintf(out, ADMIN_KEY_ID_LEN, "sha256:%.8s", hex);
}

void admin_log(const char *region, const char *action, const char *arg, size_t arg_len, int status,
               const unsigned char client[16], const unsigned char peer[16], enum forwarded_how how,
               const char *key, size_t key_len)
{
    char ip[FORWARDED_ADDR_TEXT], via[FORWARDED_ADDR_TEXT], kid[ADMIN_KEY_ID_LEN];
    forwarded_addr_text(client, ip);
    forwarded_addr_text(peer, via);
    if (key)
        admin_key_id(key, key_len, kid);
    log_event(status < 400 ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, region, "admin",
              "action=%s arg=%.*s status=%d client=%s via=%s key=%s", action, (int)arg_len,
              arg ? arg : "", status, ip, how == FORWARDED_DIRECT ? NULL : via, key ? kid : NULL);
}
