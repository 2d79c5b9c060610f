/*
 * render_mesos.c: the /mesos/cli reply, the arguments that give a Mesos
 * agent the host's GPUs:
 *   --attributes=gpus:<A> --resources=gpus:{<uuid>,...}
 * where <A> is the /gpu/info/json body, final newline included,
 * compressed with zlib (RFC 1950) at the default level and encoded in
 * base64url (RFC 4648 section 5) without '=' padding. Go's deflate and
 * zlib produce different compressed bytes for the same input, so only the
 * decoded attribute matches nvidia-docker 1.0's.
 */
#include <string.h>
#include <zlib.h>

#include "util.h"

static const char base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Append data[0..len) to b in base64url without padding. */
static void append_base64url(struct nvd_buf *b, const unsigned char *data, size_t len)
{
    char quad[4];
    size_t i = 0;

    for (; i + 3 <= len; i += 3) {
        unsigned long v = (unsigned long)data[i] << 16 | (unsigned long)data[i + 1] << 8 | data[i + 2];
        quad[0] = base64url_alphabet[v >> 18 & 0x3f];
        quad[1] = base64url_alphabet[v >> 12 & 0x3f];
        quad[2] = base64url_alphabet[v >> 6 & 0x3f];
        quad[3] = base64url_alphabet[v & 0x3f];
        nvd_buf_append(b, quad, 4);
    }

    /* One leftover byte gives two characters, two give three. */
    size_t rest = len - i;
    if (rest == 0)
        return;
    unsigned long v = (unsigned long)data[i] << 16;
    if (rest == 2)
        v |= (unsigned long)data[i + 1] << 8;
    quad[0] = base64url_alphabet[v >> 18 & 0x3f];
    quad[1] = base64url_alphabet[v >> 12 & 0x3f];
    quad[2] = base64url_alphabet[v >> 6 & 0x3f];
    nvd_buf_append(b, quad, rest + 1);
}

/*
 * Append the zlib stream of the /gpu/info/json body in base64url. Returns
 * -1 when zlib fails, which only happens when it runs out of memory.
 */
static int append_gpu_attribute(struct nvd_buf *b, const struct nvd_host *host)
{
    cleanup_free char *json = nvd_render_gpu_info_json(host);
    size_t json_len = strlen(json);
    uLongf packed_len = compressBound((uLong)json_len);
    cleanup_free unsigned char *packed = nvd_xmalloc(packed_len);

    if (compress2(packed, &packed_len, (const Bytef *)json, (uLong)json_len,
                  Z_DEFAULT_COMPRESSION) != Z_OK)
        return -1;
    append_base64url(b, packed, packed_len);
    return 0;
}

char *nvd_render_mesos_cli(const struct nvd_host *host)
{
    struct nvd_buf b = {0};

    nvd_buf_puts(&b, "--attributes=gpus:");
    if (append_gpu_attribute(&b, host) < 0) {
        nvd_buf_free(&b);
        return NULL;
    }
    nvd_buf_puts(&b, " --resources=gpus:{");
    for (size_t i = 0; i < host->gpu_count; i++) {
        if (i > 0)
            nvd_buf_puts(&b, ",");
        nvd_buf_puts(&b, host->gpus[i].uuid);
    }
    nvd_buf_puts(&b, "}");
    return nvd_buf_steal(&b);
}
