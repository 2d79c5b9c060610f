/*
 * libFuzzer target for the HTTP request parser (src/plugin/http_parse.c):
 * the input is the byte stream of one connection, framed into as many
 * requests as it holds, whose targets are then split and decoded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "plugin.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that AddressSanitizer reports any read past the input. */
    char *buf = nvd_xmalloc(size ? size : 1);
    size_t offset = 0;

    memcpy(buf, data, size);
    while (offset < size) {
        struct http_frame frame;
        struct http_error error;
        enum http_parse_result result =
            http_parse_request(buf + offset, size - offset, PLUGIN_BODY_MAX, &frame, &error);
        if (result == HTTP_PARSE_INVALID) {
            if (!error.reason || (error.status != 0 && (error.status < 400 || error.status > 599)))
                abort();
            break;
        }
        if (result == HTTP_PARSE_INCOMPLETE)
            break;

        /* A frame lies within the input, and the next request starts after it. */
        if (frame.frame_len == 0 || frame.frame_len > size - offset ||
            frame.head_len > frame.frame_len || frame.body_len > PLUGIN_BODY_MAX)
            abort();
        if (frame.body_too_large && frame.body_len != 0)
            abort();
        if (frame.method[0] == '\0' || frame.target[0] == '\0')
            abort();

        const char *path, *query;
        if (http_split_target(frame.target, &path, &query, &error) &&
            strlen(path) > strlen(frame.target))
            abort();
        offset += frame.frame_len;
    }
    free(buf);
    return 0;
}
