/* regions.conf's retraining values (see retrainconf.h). */
#include "conf/retrainconf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int retrainconf_interval(const char *s, double *secs, char *err, size_t errlen)
{
    if (!s || !*s)
        return err_code_set(err, errlen, ERR_INVALID, "an interval is empty");
    if (!strcmp(s, "off") || !strcmp(s, "0")) {
        *secs = 0;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double unit = 1;
    if (end == s || errno || !isfinite(v))
        goto bad;
    if (*end && !end[1]) {
        switch (*end) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            goto bad;
        }
    } else if (*end)
        goto bad;
    v *= unit;
    if (v < RETRAINCONF_INTERVAL_MIN || v > RETRAINCONF_INTERVAL_MAX)
        return err_code_set(err, errlen, ERR_INVALID,
                            "interval \"%s\" must be off or between 1s and 366d", s);
    *secs = v;
    return 0;
bad:
    return err_code_set(err, errlen, ERR_INVALID,
                        "interval \"%s\" is not a number with an optional s, m, h or d suffix", s);
}

int retrainconf_tolerance(const char *s, double *value, int *relative, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || end == s || errno || !isfinite(v))
        goto bad;
    int rel = *end == '%';
    if (end[rel])
        goto bad;
    if (rel)
        v /= 100;
    if (v < -1 || v > 1)
        goto bad;
    *value = v;
    *relative = rel;
    return 0;
bad:
    return err_code_set(err, errlen, ERR_INVALID,
                        "tolerance \"%s\" must be a hit-rate difference -1..1 (0.01) or a "
                        "percentage -100%%..100%% (5%%)",
                        s ? s : "");
}
