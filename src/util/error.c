#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

static void format(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
}

int err_code_set(char *err, size_t errlen, enum err_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

int err_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(err, errlen, fmt, ap);
    va_end(ap);
    return ERR_FAIL;
}

const char *err_code_name(int code)
{
    switch (code) {
    case ERR_OK:
        return "ok";
    case ERR_INVALID:
        return "invalid";
    case ERR_NOT_FOUND:
        return "not_found";
    case ERR_CONFLICT:
        return "conflict";
    case ERR_CORRUPT:
        return "corrupt";
    case ERR_NOMEM:
        return "no_memory";
    case ERR_BUSY:
        return "busy";
    case ERR_INTERRUPTED:
        return "interrupted";
    default:
        return "failed";
    }
}
