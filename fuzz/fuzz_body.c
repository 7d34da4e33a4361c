/* libFuzzer target for the JSON request bodies of src/net/body.c, the bytes
 * a client POSTs. Each input is parsed as an object and as a
 * recommendation body, and the results are checked against the contract of
 * body.h; a violation aborts, so libFuzzer (make fuzz) and the replay test
 * (tests/unit/test_fuzz_body.c, in `make test`) both report it as a crash.
 * Built by clang with -fsanitize=fuzzer, or included by the gcc-built
 * replay test. */
#include "net/body.h"

#include "fuzz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define FUZZ_BODY_MAX_COUNT 100

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy with one spare byte after it, so any over-read is caught
     * and a suffix can be appended. */
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    char err[256];
    err[0] = '\0';
    cJSON *j = NULL;
    int rc = body_parse_object(buf, size, &j, err, sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == ERR_INVALID);
    FUZZ_ASSERT(rc == 0 ? j != NULL && cJSON_IsObject(j) : j == NULL && err[0] != '\0');
    if (rc == 0) {
        /* Names are unique and bounded in number. */
        int n = 0;
        for (const cJSON *a = j->child; a; a = a->next, n++)
            for (const cJSON *b = j->child; b != a; b = b->next)
                FUZZ_ASSERT(strcmp(a->string, b->string) != 0);
        FUZZ_ASSERT(n <= BODY_MAX_MEMBERS);
        /* What cJSON prints back is accepted again: one object, nothing after. */
        char *printed = cJSON_PrintUnformatted(j);
        if (printed) {
            cJSON *again = NULL;
            FUZZ_ASSERT(body_parse_object(printed, strlen(printed), &again, err, sizeof err) == 0);
            cJSON_Delete(again);
            free(printed);
        }
        cJSON_Delete(j);
        /* Whitespace after the object is fine; anything else is not. */
        buf[size] = '\n';
        FUZZ_ASSERT(body_parse_object(buf, size + 1, &j, err, sizeof err) == 0);
        cJSON_Delete(j);
        buf[size] = 'x';
        FUZZ_ASSERT(body_parse_object(buf, size + 1, &j, err, sizeof err) == ERR_INVALID);
        FUZZ_ASSERT(j == NULL);
    }
    struct body_rec br = {10, 0};
    err[0] = '\0';
    int rrc = body_parse_rec(buf, size, FUZZ_BODY_MAX_COUNT, &br, err, sizeof err);
    FUZZ_ASSERT(rrc == 0 || rrc == ERR_INVALID);
    FUZZ_ASSERT(rrc == 0 || err[0] != '\0');
    FUZZ_ASSERT(rrc < 0 || rc == 0); /* a valid recommendation body is a valid object */
    if (rrc == 0) {
        FUZZ_ASSERT(br.count >= 1 && br.count <= FUZZ_BODY_MAX_COUNT);
        FUZZ_ASSERT(br.allow_repurchase == 0 || br.allow_repurchase == 1);
    }
    free(buf);
    return 0;
}
