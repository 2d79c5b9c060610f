/*
 * render_json.c: the REST API's docker arguments and device information,
 * rendered byte for byte as nvidia-docker 1.0 did, and a JSON string
 * writer that escapes exactly as Go's encoding/json does, so that the same
 * input gives the same bytes as 1.0.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

/* Room for one --device argument: two copies of a path plus the prefix. */
#define DEVICE_ARG_MAX (2 * PATH_MAX + 32)
#define DEVICE_ARG_PREFIX "--device="

/*
 * Return the length of the valid UTF-8 sequence at s (1 to 4), or 0 when
 * the bytes there are not one, with the same rules as Go's
 * utf8.DecodeRuneInString: no overlong forms, no surrogates, nothing above
 * U+10FFFF. n is the number of bytes available at s.
 */
static size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;

    if (c < 0x80)
        return 1;
    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0) {
        len = 2;
    } else if (c < 0xf0) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    }
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

/* Whether Go's encoding/json writes byte c unescaped inside a string. */
static bool json_byte_is_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
           c != '<' && c != '>' && c != '&';
}

/*
 * Append s to b as a JSON string literal, quotes included, escaped as Go's
 * encoding/json does with HTML escaping on: \" \\ \n \r \t, other control
 * characters and < > & as \u00XX, U+2028 and U+2029 as \u2028 and \u2029,
 * and each byte of invalid UTF-8 as \ufffd.
 */
static void json_append_string(struct nvd_buf *b, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    size_t i = 0;

    nvd_buf_append(b, "\"", 1);
    while (i < n) {
        size_t run = i;
        while (run < n && json_byte_is_plain(s[run]))
            run++;
        if (run > i) {
            nvd_buf_append(b, (const char *)s + i, run - i);
            i = run;
            continue;
        }

        unsigned char c = s[i];
        if (c < 0x80) {
            char esc[6] = {'\\', 0, 0, 0, 0, 0};
            size_t esc_len = 2;
            switch (c) {
            case '"':  esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0xf];
                esc_len = 6;
                break;
            }
            nvd_buf_append(b, esc, esc_len);
            i++;
            continue;
        }

        size_t len = utf8_sequence_length(s + i, n - i);
        if (len == 0) {
            nvd_buf_append(b, "\\ufffd", 6);
            i++;
        } else if (len == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
            nvd_buf_append(b, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
            i += 3;
        } else {
            nvd_buf_append(b, (const char *)s + i, len);
            i += len;
        }
    }
    nvd_buf_append(b, "\"", 1);
}

char *nvd_json_quote(const char *s)
{
    struct nvd_buf b = {0};

    json_append_string(&b, s);
    return nvd_buf_steal(&b);
}

/* Append a string value, or null when s is NULL or empty. */
static void json_append_string_or_null(struct nvd_buf *b, const char *s)
{
    if (s && *s)
        json_append_string(b, s);
    else
        nvd_buf_puts(b, "null");
}

static const char *args_dev_root(const struct nvd_docker_args *args)
{
    return args->dev_root && *args->dev_root ? args->dev_root : "/";
}

/* Append "<volume>:/usr/local/nvidia:ro" for one volume name. */
static void append_volume_spec(struct nvd_buf *b, const char *volume)
{
    nvd_buf_puts(b, volume);
    nvd_buf_puts(b, ":" NVD_MOUNT_POINT ":ro");
}

char *nvd_render_docker_cli_text(const struct nvd_docker_args *args)
{
    struct nvd_buf b = {0};
    char device_arg[DEVICE_ARG_MAX];

    nvd_buf_puts(&b, "--volume-driver=" NVD_VOLUME_DRIVER);
    for (size_t i = 0; i < args->volume_count; i++) {
        nvd_buf_puts(&b, " --volume=");
        append_volume_spec(&b, args->volumes[i]);
    }
    for (size_t i = 0; i < args->device_count; i++) {
        int len = nvd_format_device_arg(args_dev_root(args), args->devices[i],
                                        device_arg, sizeof(device_arg));
        if (len < 0) {
            nvd_buf_free(&b);
            return NULL;
        }
        nvd_buf_append(&b, " ", 1);
        nvd_buf_append(&b, device_arg, (size_t)len);
    }
    return nvd_buf_steal(&b);
}

char *nvd_render_docker_cli_json(const struct nvd_docker_args *args)
{
    struct nvd_buf b = {0};
    struct nvd_buf spec = {0};
    char device_arg[DEVICE_ARG_MAX];
    const size_t prefix_len = strlen(DEVICE_ARG_PREFIX);

    nvd_buf_puts(&b, "{\"VolumeDriver\":");
    json_append_string(&b, NVD_VOLUME_DRIVER);

    nvd_buf_puts(&b, ",\"Volumes\":[");
    for (size_t i = 0; i < args->volume_count; i++) {
        if (i > 0)
            nvd_buf_append(&b, ",", 1);
        spec.len = 0;
        append_volume_spec(&spec, args->volumes[i]);
        json_append_string(&b, spec.data);
    }
    nvd_buf_free(&spec);

    /* A Devices entry is the --device value: "/dev/X" or "<root>/dev/X:/dev/X". */
    nvd_buf_puts(&b, "],\"Devices\":[");
    for (size_t i = 0; i < args->device_count; i++) {
        int len = nvd_format_device_arg(args_dev_root(args), args->devices[i],
                                        device_arg, sizeof(device_arg));
        if (len < 0 || (size_t)len < prefix_len) {
            nvd_buf_free(&b);
            return NULL;
        }
        if (i > 0)
            nvd_buf_append(&b, ",", 1);
        json_append_string(&b, device_arg + prefix_len);
    }
    nvd_buf_puts(&b, "]}\n");
    return nvd_buf_steal(&b);
}

/* Append one device of /gpu/info/json in 1.0's key order. */
static void append_gpu_info(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    char path[32];

    snprintf(path, sizeof(path), "/dev/nvidia%u", gpu->minor);
    nvd_buf_puts(b, "{\"UUID\":");
    json_append_string(b, gpu->uuid);
    nvd_buf_puts(b, ",\"Path\":");
    json_append_string(b, path);
    nvd_buf_puts(b, ",\"Model\":");
    json_append_string_or_null(b, gpu->name);

    /*
     * TODO: power limit, BAR1, PCIe bandwidth, clocks, topology and the
     * CUDA properties are not discovered yet, so they are null. CPUAffinity
     * is 0, which is what 1.0 reports when sysfs has no numa_node file.
     */
    nvd_buf_puts(b, ",\"Power\":null,\"CPUAffinity\":0,\"PCI\":{\"BusID\":");
    json_append_string(b, gpu->busid);
    nvd_buf_puts(b, ",\"BAR1\":null,\"Bandwidth\":null}"
                    ",\"Clocks\":{\"Cores\":null,\"Memory\":null}"
                    ",\"Topology\":null,\"Family\":null,\"Arch\":null,\"Cores\":null"
                    ",\"Memory\":{\"ECC\":null,\"Global\":null,\"Shared\":null"
                    ",\"Constant\":null,\"L2Cache\":null,\"Bandwidth\":null}}");
}

char *nvd_render_gpu_info_json(const struct nvd_host *host)
{
    struct nvd_buf b = {0};

    nvd_buf_puts(&b, "{\"Version\":{\"Driver\":");
    json_append_string(&b, host->driver_version);
    nvd_buf_puts(&b, ",\"CUDA\":");
    json_append_string_or_null(&b, host->cuda_version);
    nvd_buf_puts(&b, "},\"Devices\":[");
    for (size_t i = 0; i < host->gpu_count; i++) {
        if (i > 0)
            nvd_buf_append(&b, ",", 1);
        append_gpu_info(&b, &host->gpus[i]);
    }
    nvd_buf_puts(&b, "]}\n");
    return nvd_buf_steal(&b);
}
