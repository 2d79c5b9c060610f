/*
 * ldcache.c: reads glibc's ld.so.cache. Layout (glibc's cache.h):
 *
 *   old format, optional: "ld.so-1.7.0", u32 nlibs, nlibs entries of
 *     {i32 flags, u32 key, u32 value}; then padding to 8 bytes;
 *   new format: "glibc-ld.so.cache" "1.1", u32 nlibs, u32 string table
 *     size, 24 more header bytes (flags, extension offset, unused), then
 *     nlibs entries of {i32 flags, u32 key, u32 value, u32 osversion,
 *     u64 hwcap}. Key and value offsets count from the new header.
 *
 * All integers are in the host's byte order (ldconfig writes them so).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "ldcache.h"
#include "util.h"

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define OLD_HEADER_SIZE 16
#define OLD_ENTRY_SIZE 12
#define NEW_HEADER_SIZE 48
#define NEW_ENTRY_SIZE 24
#define MAX_CACHE_SIZE (64u << 20)

/* Entry flags: the low byte is the file type, the next the machine. */
#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF 0x0001
#define FLAG_ARCH_MASK 0xff00
#define FLAG_I386 0x0000
#define FLAG_X8664_LIB64 0x0300
#define FLAG_POWERPC_LIB64 0x0500
#define FLAG_X8664_LIBX32 0x0800
#define FLAG_AARCH64_LIB64 0x0a00

static uint32_t read_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Map an entry's flags to its machine. */
static enum nvd_ldcache_arch entry_arch(uint32_t flags)
{
    switch (flags & FLAG_ARCH_MASK) {
    case FLAG_I386: return NVD_ARCH_I386;
    case FLAG_X8664_LIB64: return NVD_ARCH_X86_64;
    case FLAG_X8664_LIBX32: return NVD_ARCH_X32;
    case FLAG_AARCH64_LIB64: return NVD_ARCH_AARCH64;
    case FLAG_POWERPC_LIB64: return NVD_ARCH_PPC64LE;
    default: return NVD_ARCH_OTHER;
    }
}

/* Return the NUL-terminated string at off in [base, base + size), or NULL. */
static const char *string_at(const unsigned char *base, size_t size, uint32_t off)
{
    if (off >= size)
        return NULL;
    if (!memchr(base + off, '\0', size - off))
        return NULL;
    return (const char *)base + off;
}

int nvd_ldcache_parse(const void *data, size_t size, nvd_ldcache_fn fn,
                      void *ctx, nvd_error **err)
{
    const unsigned char *p = data;
    size_t off = 0;

    if (size <= OLD_HEADER_SIZE)
        return nvd_error_set(err, NVD_ERR_DRIVER, "invalid ld.so.cache file: only %zu bytes", size);

    if (memcmp(p, OLD_MAGIC, strlen(OLD_MAGIC)) == 0) {
        uint64_t nold = read_u32(p + 12);
        off = OLD_HEADER_SIZE + nold * OLD_ENTRY_SIZE;
        off = (off + 7) & ~(size_t)7;
        if (off >= size)
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "invalid ld.so.cache file: old-format cache without a new-format part");
    }
    if (size - off < NEW_HEADER_SIZE || memcmp(p + off, NEW_MAGIC, strlen(NEW_MAGIC)) != 0)
        return nvd_error_set(err, NVD_ERR_DRIVER, "invalid ld.so.cache file: no glibc-ld.so.cache1.1 header");

    const unsigned char *base = p + off;
    size_t avail = size - off;
    uint64_t nlibs = read_u32(base + 20);
    if (nlibs > (avail - NEW_HEADER_SIZE) / NEW_ENTRY_SIZE)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: %llu entries do not fit in %zu bytes",
                             (unsigned long long)nlibs, size);

    for (uint64_t i = 0; i < nlibs; i++) {
        const unsigned char *e = base + NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
        uint32_t flags = read_u32(e);
        const char *key = string_at(base, avail, read_u32(e + 4));
        const char *value = string_at(base, avail, read_u32(e + 8));

        if (!(flags & FLAG_TYPE_MASK & FLAG_ELF) || !key || !value)
            continue;
        if (fn(key, value, entry_arch(flags), ctx) != 0)
            break;
    }
    return 0;
}

int nvd_ldcache_load(const char *root, void **data, size_t *size, nvd_error **err)
{
    cleanup_free char *path = nvd_path_join(root, "/etc/ld.so.cache");
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;

    if (fd < 0)
        return nvd_error_sys(err, errno, "open %s", path);
    if (fstat(fd, &st) < 0)
        return nvd_error_sys(err, errno, "stat %s", path);
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_CACHE_SIZE)
        return nvd_error_set(err, NVD_ERR_DRIVER, "invalid ld.so.cache file %s: not a regular file of at most %u MiB",
                             path, MAX_CACHE_SIZE >> 20);

    size_t want = (size_t)st.st_size;
    cleanup_free char *buf = nvd_xmalloc(want);
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return nvd_error_sys(err, errno, "read %s", path);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *data = steal_pointer(&buf);
    *size = got;
    return 0;
}

/* The machine this program runs on, whose libraries the driver volume takes. */
enum nvd_ldcache_arch nvd_ldcache_host_arch(void)
{
#if defined(__x86_64__) && !defined(__ILP32__)
    return NVD_ARCH_X86_64;
#elif defined(__aarch64__)
    return NVD_ARCH_AARCH64;
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return NVD_ARCH_PPC64LE;
#else
    return NVD_ARCH_OTHER;
#endif
}

struct find_ctx {
    const char *soname;
    const char *found;
};

static int find_entry(const char *soname, const char *path, enum nvd_ldcache_arch arch, void *ctx)
{
    struct find_ctx *f = ctx;

    if (arch != nvd_ldcache_host_arch() || strcmp(soname, f->soname) != 0)
        return 0;
    f->found = path;
    return 1;
}

char *nvd_ldcache_find(const char *root, const char *soname, nvd_error **err)
{
    cleanup_free void *data = NULL;
    size_t size = 0;
    struct find_ctx f = { .soname = soname, .found = NULL };

    if (nvd_ldcache_load(root, &data, &size, err) < 0 ||
        nvd_ldcache_parse(data, size, find_entry, &f, err) < 0) {
        nvd_error_wrap(err, "look up %s under %s", soname, root);
        return NULL;
    }
    if (!f.found) {
        cleanup_free char *cache = nvd_path_join(root, "/etc/ld.so.cache");
        nvd_error_set(err, NVD_ERR_NOT_FOUND, "%s not found in %s: is the NVIDIA driver installed under %s?",
                      soname, cache, root);
        return NULL;
    }
    return nvd_path_join(root, f.found);
}
