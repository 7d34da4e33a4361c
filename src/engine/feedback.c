/* Feedback event helpers: type names, id and request_id checks, timestamps.
 * Pure functions; see feedback.h. */
#include "engine/feedback.h"

#include <string.h>

#include "util/error.h"

static const char *const feedback_names[] = {"view", "click", "add_to_cart", "purchase"};

const char *feedback_type_name(enum feedback_type t)
{
    if ((int)t < 0 || (size_t)t >= sizeof feedback_names / sizeof feedback_names[0])
        return "?";
    return feedback_names[t];
}

int feedback_type_parse(const char *s, enum feedback_type *out)
{
    for (size_t i = 0; s && i < sizeof feedback_names / sizeof feedback_names[0]; i++) {
        if (strcmp(s, feedback_names[i]) == 0) {
            *out = (enum feedback_type)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

int feedback_id_valid(const char *s)
{
    size_t i = 0;
    if (!s)
        return 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (i >= REC_ID_LEN - 1)
            return 0;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return i == REC_ID_LEN - 1;
}

int feedback_request_id_valid(const char *s)
{
    size_t i = 0;
    if (!s)
        return 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (i >= FEEDBACK_REQUEST_ID_LEN - 1)
            return 0;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return 0;
    }
    return i > 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t feedback_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at *p into *v, advancing *p. 0 or -1. */
static int feedback_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

int feedback_ts_parse(const char *s, int64_t *out, char *err, size_t errlen)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
    if (!s || feedback_digits(&p, 4, &y) || *p++ != '-' || feedback_digits(&p, 2, &mo) ||
        *p++ != '-' || feedback_digits(&p, 2, &d))
        goto bad;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (feedback_digits(&p, 2, &h) || *p++ != ':' || feedback_digits(&p, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (feedback_digits(&p, 2, &sec))
                goto bad;
            if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                    goto bad;
                while (*p >= '0' && *p <= '9')
                    p++;
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            sign = *p++ == '-' ? -1 : 1;
            if (feedback_digits(&p, 2, &oh))
                goto bad;
            if (*p == ':')
                p++;
            if (feedback_digits(&p, 2, &om))
                goto bad;
        }
    }
    if (*p)
        goto bad;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
        return err_code_set(err, errlen, ERR_INVALID, "date or time out of range in \"%.40s\"", s);
    int64_t t = feedback_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    *out = t - sign * (oh * 3600 + om * 60);
    return 0;
bad:
    return err_code_set(err, errlen, ERR_INVALID,
                        "expected unix seconds or ISO 8601 like 2018-01-31T12:00:00Z, got "
                        "\"%.40s\"",
                        s ? s : "");
}

int feedback_ts_check(int64_t ts, int64_t now, char *err, size_t errlen)
{
    if (ts < 946684800) /* 2000-01-01 */
        return err_code_set(err, errlen, ERR_INVALID, "timestamp before 2000-01-01");
    if (ts > now + FEEDBACK_FUTURE_SLACK)
        return err_code_set(err, errlen, ERR_INVALID, "timestamp more than a day in the future");
    return 0;
}

void feedback_ts_format(int64_t ts, char out[20])
{
    int64_t days = ts >= 0 ? ts / 86400 : (ts - 86399) / 86400;
    int64_t secs = ts - days * 86400;
    /* civil_from_days */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    int hh = (int)(secs / 3600), mm = (int)(secs / 60 % 60), ss = (int)(secs % 60);
    if (y < 0 || y > 9999) {
        memcpy(out, "0000-00-00 00:00:00", 20);
        return;
    }
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = ' ';
    out[11] = (char)('0' + hh / 10);
    out[12] = (char)('0' + hh % 10);
    out[13] = ':';
    out[14] = (char)('0' + mm / 10);
    out[15] = (char)('0' + mm % 10);
    out[16] = ':';
    out[17] = (char)('0' + ss / 10);
    out[18] = (char)('0' + ss % 10);
    out[19] = '\0';
}
