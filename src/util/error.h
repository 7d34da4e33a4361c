/* One error convention for the whole program (after redis' anetSetError):
 * functions return 0 on success and a negative value on failure, and fill a
 * caller-supplied buffer with one human sentence naming the file, line, column
 * or field at fault. Library code never prints; the command layer decides. */
#ifndef RECSYS_UTIL_ERROR_H
#define RECSYS_UTIL_ERROR_H

#include <stddef.h>

#define ERR_LEN 512

/* printf-style; safe with err == NULL or errlen == 0. Always returns -1 so a
 * caller can write `return err_set(err, errlen, "...")`. */
int err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
