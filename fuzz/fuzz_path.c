/*
 * libFuzzer target for request path cleaning and escaping
 * (src/plugin/path_clean.c): the input is a decoded request path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path_clean.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether c may appear in an escaped path: the bytes kept as is, and %XX. */
static int escaped_byte_allowed(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-._~$&+,/:;=@%", c) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *path = nvd_xmalloc(size + 1);

    memcpy(path, data, size);
    path[size] = '\0';

    /* A cleaned path is rooted, clean, stable, and path_is_clean() agrees with it. */
    char *clean = path_clean(path);
    if (clean[0] != '/' || !path_is_clean(clean))
        abort();
    char *twice = path_clean(clean);
    if (strcmp(twice, clean) != 0)
        abort();
    if (path_is_clean(path) != (strcmp(clean, path) == 0))
        abort();

    /* The escaped form has no byte that could end or split a header line. */
    struct nvd_buf escaped = {0};
    nvd_buf_puts(&escaped, "");
    path_escape(&escaped, clean);
    for (const char *p = escaped.data; *p; p++) {
        if (!escaped_byte_allowed(*p))
            abort();
    }

    nvd_buf_free(&escaped);
    free(twice);
    free(clean);
    free(path);
    return 0;
}
