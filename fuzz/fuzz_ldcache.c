/*
 * libFuzzer target for the ld.so.cache reader (src/lib/ldcache.c): the
 * input is a whole cache file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldcache.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input buffer, for checking that every string handed out lies inside it. */
struct input {
    const uint8_t *data;
    size_t size;
};

/* Abort unless s and its terminating NUL lie inside the input. */
static void check_inside(const struct input *in, const char *s)
{
    const uint8_t *p = (const uint8_t *)s;

    if (p < in->data || p >= in->data + in->size)
        abort();
    if (!memchr(p, '\0', (size_t)(in->data + in->size - p)))
        abort();
}

static int check_entry(const char *soname, const char *path, enum nvd_ldcache_arch arch, void *ctx)
{
    check_inside(ctx, soname);
    check_inside(ctx, path);
    if (arch > NVD_ARCH_PPC64LE)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { .data = data, .size = size };
    struct nvd_ldcache_info info;
    nvd_error *err = NULL;

    /* A parse either succeeds without an error or fails with one that names the file kind. */
    if (nvd_ldcache_parse(data, size, check_entry, &in, &info, &err) == 0) {
        if (err || info.format < NVD_LDCACHE_OLD || info.format > NVD_LDCACHE_NEW)
            abort();
    } else {
        if (!err || !strstr(err->msg, "invalid ld.so.cache file"))
            abort();
        nvd_error_free(err);
    }
    return 0;
}
