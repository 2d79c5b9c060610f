/*
 * ldcache.c: reads glibc's ld.so.cache. Layout (glibc's dl-cache.h, checked
 * against caches written by Debian 12's ldconfig, glibc 2.36):
 *
 *   old format: "ld.so-1.7.0" and a NUL (12 bytes), u32 nlibs, then nlibs
 *     entries of {i32 flags, u32 key, u32 value}. Key and value offsets
 *     count from the end of those entries, where the strings start.
 *   new format: "glibc-ld.so.cache" "1.1" (20 bytes), u32 nlibs, u32 string
 *     table size, u8 byte order (0 unknown, 2 little, 3 big), 3 padding
 *     bytes, u32 extension offset, 12 unused bytes; then nlibs entries of
 *     {i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap} and the
 *     string table. Key and value offsets count from the new header.
 *   combined ("compat"): the old format, padding to an 8-byte boundary, then
 *     the new format, whose strings the old entries share.
 *
 * Since glibc 2.33 ldconfig writes an extension directory after the string
 * table: u32 magic 0xeaa42174, u32 count, count sections of {u32 tag, u32
 * flags, u32 offset, u32 size}. Its offset counts from the start of the
 * file. Nothing is read from it, but strings are only taken from inside
 * the string table, so its bytes are never read as a library name.
 *
 * All integers are in the byte order of the machine that wrote the cache.
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
#define NEW_ALIGNMENT 8
#define MAX_CACHE_SIZE (64u << 20)

/* Offsets of the new header's fields. */
#define NEW_NLIBS_OFFSET 20
#define NEW_STRINGS_SIZE_OFFSET 24
#define NEW_BYTE_ORDER_OFFSET 28
#define NEW_EXTENSION_OFFSET 32

/* Values of the new header's byte order field. */
#define BYTE_ORDER_UNKNOWN 0   /* written before glibc 2.33 */
#define BYTE_ORDER_INVALID 1
#define BYTE_ORDER_LITTLE 2
#define BYTE_ORDER_BIG 3

#define EXTENSION_MAGIC 0xeaa42174u
#define EXTENSION_HEADER_SIZE 8
#define EXTENSION_SECTION_SIZE 16

/* Entry flags: the low byte is the file type, the next the machine. */
#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF 0x0001
#define FLAG_ARCH_MASK 0xff00
#define FLAG_I386 0x0000            /* also any other 32-bit machine */
#define FLAG_X8664_LIB64 0x0300
#define FLAG_POWERPC_LIB64 0x0500   /* ppc64, in the cache's byte order */
#define FLAG_X8664_LIBX32 0x0800
#define FLAG_AARCH64_LIB64 0x0a00

/* A run of entries and the string area their offsets point into. */
struct entry_table {
    const unsigned char *entries;
    uint64_t count;
    size_t entry_size;
    const unsigned char *strings_base;   /* offset 0 of key and value */
    size_t strings_start;                /* the valid strings, relative to strings_base */
    size_t strings_end;
};

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

/* Return the NUL-terminated string at off inside the table's strings, or NULL. */
static const char *string_at(const struct entry_table *t, uint32_t off)
{
    if (off < t->strings_start || off >= t->strings_end)
        return NULL;
    if (!memchr(t->strings_base + off, '\0', t->strings_end - off))
        return NULL;
    return (const char *)t->strings_base + off;
}

/* Call fn on each ELF entry of t whose strings are valid; skip the others. */
static void walk_entries(const struct entry_table *t, nvd_ldcache_fn fn, void *ctx)
{
    for (uint64_t i = 0; i < t->count; i++) {
        const unsigned char *e = t->entries + i * t->entry_size;
        uint32_t flags = read_u32(e);
        const char *key = string_at(t, read_u32(e + 4));
        const char *value = string_at(t, read_u32(e + 8));

        if (!(flags & FLAG_TYPE_MASK & FLAG_ELF) || !key || !value)
            continue;
        if (fn(key, value, entry_arch(flags), ctx) != 0)
            break;
    }
}

/* Return whether the new header's byte order field fits this machine. */
static bool byte_order_matches(unsigned char order)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return order == BYTE_ORDER_UNKNOWN || order == BYTE_ORDER_LITTLE;
#else
    return order == BYTE_ORDER_UNKNOWN || order == BYTE_ORDER_BIG;
#endif
}

/*
 * Check the extension directory at file offset ext_off, which must follow
 * the string table that ends at file offset strings_end. Its sections are
 * not read.
 */
static int check_extension(const unsigned char *p, size_t size, uint32_t ext_off,
                           size_t strings_end, bool *present, nvd_error **err)
{
    *present = false;
    if (ext_off == 0)
        return 0;
    if (ext_off < strings_end || size - strings_end < EXTENSION_HEADER_SIZE ||
        ext_off > size - EXTENSION_HEADER_SIZE)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: extension offset %u is not between the string table end (%zu) and the file end (%zu): run ldconfig to rewrite it",
                             ext_off, strings_end, size);
    if (read_u32(p + ext_off) != EXTENSION_MAGIC)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: no extension directory at offset %u: run ldconfig to rewrite it",
                             ext_off);

    uint64_t sections = read_u32(p + ext_off + 4);
    if (sections > (size - ext_off - EXTENSION_HEADER_SIZE) / EXTENSION_SECTION_SIZE)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: %llu extension sections do not fit in %zu bytes",
                             (unsigned long long)sections, size);
    *present = true;
    return 0;
}

/* Parse the new format whose header is at file offset off. */
static int parse_new(const unsigned char *p, size_t size, size_t off, nvd_ldcache_fn fn,
                     void *ctx, struct nvd_ldcache_info *info, nvd_error **err)
{
    const unsigned char *base = p + off;
    size_t avail = size - off;
    uint64_t nlibs = read_u32(base + NEW_NLIBS_OFFSET);
    uint64_t strings_size = read_u32(base + NEW_STRINGS_SIZE_OFFSET);
    unsigned char order = base[NEW_BYTE_ORDER_OFFSET];

    if (!byte_order_matches(order))
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: byte order %u does not match this machine: run this machine's ldconfig to rewrite it",
                             order);
    if (nlibs > (avail - NEW_HEADER_SIZE) / NEW_ENTRY_SIZE)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: %llu entries do not fit in %zu bytes",
                             (unsigned long long)nlibs, size);

    size_t strings_start = NEW_HEADER_SIZE + (size_t)nlibs * NEW_ENTRY_SIZE;
    if (strings_size > avail - strings_start)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: a string table of %llu bytes does not fit in %zu bytes",
                             (unsigned long long)strings_size, size);

    struct entry_table table = {
        .entries = base + NEW_HEADER_SIZE,
        .count = nlibs,
        .entry_size = NEW_ENTRY_SIZE,
        .strings_base = base,
        .strings_start = strings_start,
        .strings_end = strings_start + (size_t)strings_size,
    };
    bool extension = false;
    if (check_extension(p, size, read_u32(base + NEW_EXTENSION_OFFSET), off + table.strings_end,
                        &extension, err) < 0)
        return -1;

    if (info) {
        info->entries = (uint32_t)nlibs;
        info->extension = extension;
    }
    walk_entries(&table, fn, ctx);
    return 0;
}

int nvd_ldcache_parse(const void *data, size_t size, nvd_ldcache_fn fn, void *ctx,
                      struct nvd_ldcache_info *info, nvd_error **err)
{
    const unsigned char *p = data;

    if (info)
        *info = (struct nvd_ldcache_info){ 0 };
    if (size <= OLD_HEADER_SIZE)
        return nvd_error_set(err, NVD_ERR_DRIVER, "invalid ld.so.cache file: only %zu bytes", size);

    if (size >= strlen(NEW_MAGIC) && memcmp(p, NEW_MAGIC, strlen(NEW_MAGIC)) == 0) {
        if (size < NEW_HEADER_SIZE)
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "invalid ld.so.cache file: %zu bytes cannot hold the %d-byte header",
                                 size, NEW_HEADER_SIZE);
        if (info)
            info->format = NVD_LDCACHE_NEW;
        return parse_new(p, size, 0, fn, ctx, info, err);
    }
    if (memcmp(p, OLD_MAGIC, sizeof(OLD_MAGIC)) != 0)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: no ld.so-1.7.0 or glibc-ld.so.cache1.1 header");

    uint64_t nold = read_u32(p + 12);
    if (nold > (size - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "invalid ld.so.cache file: %llu old-format entries do not fit in %zu bytes",
                             (unsigned long long)nold, size);

    size_t old_end = OLD_HEADER_SIZE + (size_t)nold * OLD_ENTRY_SIZE;
    size_t new_off = (old_end + NEW_ALIGNMENT - 1) & ~(size_t)(NEW_ALIGNMENT - 1);
    if (new_off <= size && size - new_off >= NEW_HEADER_SIZE &&
        memcmp(p + new_off, NEW_MAGIC, strlen(NEW_MAGIC)) == 0) {
        /* The new part has the same libraries with more facts: read only it. */
        if (info)
            info->format = NVD_LDCACHE_COMPAT;
        return parse_new(p, size, new_off, fn, ctx, info, err);
    }

    /* Old format alone: the strings run from the end of the entries to the end of the file. */
    struct entry_table table = {
        .entries = p + OLD_HEADER_SIZE,
        .count = nold,
        .entry_size = OLD_ENTRY_SIZE,
        .strings_base = p + old_end,
        .strings_start = 0,
        .strings_end = size - old_end,
    };
    if (info) {
        info->format = NVD_LDCACHE_OLD;
        info->entries = (uint32_t)nold;
    }
    walk_entries(&table, fn, ctx);
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
        nvd_ldcache_parse(data, size, find_entry, &f, NULL, err) < 0) {
        nvd_error_wrap(err, "look up %s under %s", soname, root);
        return NULL;
    }
    if (!f.found) {
        cleanup_free char *cache = nvd_path_join(root, "/etc/ld.so.cache");
        nvd_error_set(err, NVD_ERR_NOT_FOUND,
                      "%s not found in %s: is the NVIDIA driver installed under %s? Install it "
                      "there, or give the directory that holds it (/run/nvidia/driver, say) as the "
                      "driver root",
                      soname, cache, root);
        return NULL;
    }
    return nvd_path_join(root, f.found);
}
