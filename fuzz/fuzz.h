/* Shared by the libFuzzer targets in fuzz/: FUZZ_ASSERT aborts with the
 * broken invariant, so libFuzzer (make fuzz) and the replay tests
 * (tests/unit/test_fuzz_*.c, in `make test`) both report it as a crash. */
#ifndef RECSYS_FUZZ_H
#define RECSYS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #c);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
