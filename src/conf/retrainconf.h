/* The values of regions.conf's retrain_every and retrain_tolerance (the
 * scheduled retraining of net/retrain_sched.c), parsed here so that
 * regions.conf, `recsys-tui retrain` and the tests accept the same
 * spellings. Pure functions: no I/O, no allocation. */
#ifndef RECSYS_CONF_RETRAINCONF_H
#define RECSYS_CONF_RETRAINCONF_H

#include <stddef.h>

#define RETRAINCONF_INTERVAL_MIN 1.0             /* seconds */
#define RETRAINCONF_INTERVAL_MAX (366.0 * 86400) /* a year */
#define RETRAINCONF_TOLERANCE    0.01            /* default: one hit-rate point, absolute */

/* Parses a duration: a number of seconds with an optional suffix s, m, h or
 * d ("90", "30s", "5m", "2h", "1d", "1.5h"), or "off" / "0" for none (*secs
 * = 0); otherwise RETRAINCONF_INTERVAL_MIN..MAX seconds. 0, or ERR_INVALID
 * with a sentence in err. */
int retrainconf_interval(const char *s, double *secs, char *err, size_t errlen);

/* Parses a tolerance: "0.01" (absolute hit rate, -1..1) into *value with
 * *relative 0, or "5%" (relative, -100%..100%) into 0.05 with *relative 1.
 * A negative value demands an improvement. 0, or ERR_INVALID with err. */
int retrainconf_tolerance(const char *s, double *value, int *relative, char *err, size_t errlen);

#endif
