/*
 * libFuzzer target for the query string decoder (src/lib/query.c): the
 * input is the text after "?" in a request target, as a client sends it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *query = nvd_xmalloc(size + 1);
    char *decoded = nvd_xmalloc(size + 1);

    memcpy(query, data, size);
    query[size] = '\0';

    /* Decoding never grows the text, and checking agrees with decoding. */
    ssize_t checked = query_unescape(query, size, NULL);
    ssize_t n = query_unescape(query, size, decoded);
    if (n != checked || n > (ssize_t)size)
        abort();

    /* A value is at most its text, but each "%00" (3 bytes) becomes the 4 bytes "\x00". */
    static const char *const keys[] = {"dev", "vol", ""};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *value = query_get(query, keys[i]);
        if (value && strlen(value) > size + size / 3)
            abort();
        free(value);
    }

    free(decoded);
    free(query);
    return 0;
}
