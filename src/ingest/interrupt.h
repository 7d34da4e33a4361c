/* Interrupting an ingest: the caller passes a flag in (ingest_options.
 * interrupt), typically raised by a SIGINT/SIGTERM handler; the inserting
 * thread, the read-ahead thread and SQLite's progress handler poll it
 * between rows and leave through their normal error path with the one
 * message below, so the temporary file is removed and the old database is
 * untouched. */
#ifndef RECSYS_INGEST_INTERRUPT_H
#define RECSYS_INGEST_INTERRUPT_H

#include <stdatomic.h>
#include <stddef.h>

/* 1 once *flag is non-zero; a NULL flag is never raised. Inline: it runs
 * once per row. */
static inline int interrupt_raised(const atomic_int *flag)
{
    return flag && atomic_load_explicit(flag, memory_order_relaxed) != 0;
}

/* Fills err with "interrupted by a signal ..." and returns ERR_INTERRUPTED. */
int interrupt_error(char *err, size_t errlen);

#endif
