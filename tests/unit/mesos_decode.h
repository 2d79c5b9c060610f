/*
 * mesos_decode.h: a strict decoder of /mesos/cli replies for the tests:
 * base64url without padding, then one complete zlib stream.
 */
#ifndef NVD_TEST_MESOS_DECODE_H
#define NVD_TEST_MESOS_DECODE_H

#include <stdbool.h>
#include <zlib.h>

#include "test_util.h"

#include "util.h"

#define ATTRIBUTES_PREFIX "--attributes=gpus:"
#define RESOURCES_PREFIX " --resources=gpus:"

/* Return the 6-bit value of a base64url character, or -1 for any other byte. */
static inline int base64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/*
 * Decode unpadded base64url text[0..len) into out, failing the test on a
 * character outside the alphabet (padding included), an impossible length
 * or nonzero unused bits in the last character.
 */
static inline void base64url_decode(const char *text, size_t len, struct nvd_buf *out)
{
    unsigned long bits = 0;
    int nbits = 0;

    assert_int_not_equal(len % 4, 1);
    for (size_t i = 0; i < len; i++) {
        int v = base64url_value(text[i]);
        if (v < 0)
            fail_msg("byte 0x%02x at %zu is not base64url", (unsigned char)text[i], i);
        bits = bits << 6 | (unsigned long)v;
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            char byte = (char)(bits >> nbits & 0xff);
            nvd_buf_append(out, &byte, 1);
        }
    }
    assert_int_equal(bits & ((1ul << nbits) - 1), 0);
}

/* Inflate a zlib stream, failing the test unless it is one complete stream. */
static inline char *zlib_inflate(const struct nvd_buf *packed)
{
    struct nvd_buf out = {0};
    unsigned char chunk[256];
    z_stream z = {0};
    int ret;

    assert_int_equal(inflateInit(&z), Z_OK);
    z.next_in = (Bytef *)packed->data;
    z.avail_in = (uInt)packed->len;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        ret = inflate(&z, Z_NO_FLUSH);
        assert_true(ret == Z_OK || ret == Z_STREAM_END);
        nvd_buf_append(&out, (const char *)chunk, sizeof(chunk) - z.avail_out);
    } while (ret != Z_STREAM_END);
    assert_int_equal(z.avail_in, 0);
    inflateEnd(&z);
    return nvd_buf_steal(&out);
}

/* The parts of one /mesos/cli reply. */
struct mesos_reply {
    char *json;           /* the decoded attribute */
    char *resources;      /* the text after RESOURCES_PREFIX */
    size_t encoded_len;   /* characters of the base64url attribute */
};

/* Split and decode a reply, checking its fixed parts and zlib's header. */
static inline struct mesos_reply parse_mesos(const char *reply)
{
    struct mesos_reply parsed = {0};
    struct nvd_buf packed = {0};

    assert_true(strncmp(reply, ATTRIBUTES_PREFIX, strlen(ATTRIBUTES_PREFIX)) == 0);
    const char *attribute = reply + strlen(ATTRIBUTES_PREFIX);
    const char *resources = strstr(attribute, RESOURCES_PREFIX);
    assert_non_null(resources);
    parsed.encoded_len = (size_t)(resources - attribute);

    base64url_decode(attribute, parsed.encoded_len, &packed);
    /* RFC 1950 header: deflate with a 32 KiB window, then FLEVEL 2 (default level). */
    assert_true(packed.len > 2);
    assert_int_equal((unsigned char)packed.data[0], 0x78);
    assert_int_equal((unsigned char)packed.data[1], 0x9c);
    parsed.json = zlib_inflate(&packed);
    nvd_buf_free(&packed);
    parsed.resources = nvd_xstrdup(resources + strlen(RESOURCES_PREFIX));
    return parsed;
}

static inline void free_mesos(struct mesos_reply *parsed)
{
    free(parsed->json);
    free(parsed->resources);
}

#endif /* NVD_TEST_MESOS_DECODE_H */
