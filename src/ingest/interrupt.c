/* Interrupting an ingest: see interrupt.h. */
#include "ingest/interrupt.h"

#include "util/error.h"

int interrupt_error(char *err, size_t errlen)
{
    return err_code_set(err, errlen, ERR_INTERRUPTED,
                        "interrupted by a signal before the database was replaced");
}
