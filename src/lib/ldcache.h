/*
 * ldcache.h: a reader for glibc's ld.so.cache, which maps sonames to the
 * library files the dynamic loader would pick. The parser works on a buffer
 * so that tests need no real /etc/ld.so.cache.
 */
#ifndef NVD_LDCACHE_H
#define NVD_LDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvd.h"

/* The machine an ld.so.cache entry was built for, from its flags. */
enum nvd_ldcache_arch {
    NVD_ARCH_OTHER = 0,
    NVD_ARCH_I386,
    NVD_ARCH_X86_64,
    NVD_ARCH_X32,
    NVD_ARCH_AARCH64,
    NVD_ARCH_PPC64LE,
};

/* The layout of an ld.so.cache file. */
enum nvd_ldcache_format {
    NVD_LDCACHE_OLD = 1,     /* "ld.so-1.7.0" alone (libc5, glibc before 2.2) */
    NVD_LDCACHE_COMPAT,      /* the old format followed by the new one */
    NVD_LDCACHE_NEW,         /* "glibc-ld.so.cache1.1" alone (the default since glibc 2.32) */
};

/* Facts about a parsed cache besides its entries. */
struct nvd_ldcache_info {
    enum nvd_ldcache_format format;
    uint32_t entries;        /* entries in the part that was read, ELF or not */
    bool extension;          /* a valid extension directory follows the strings */
};

/* Called once per ELF entry in cache order; a non-zero return stops the walk. */
typedef int (*nvd_ldcache_fn)(const char *soname, const char *path,
                              enum nvd_ldcache_arch arch, void *ctx);

/*
 * Walk the ELF entries of an ld.so.cache image of size bytes, in any of the
 * three formats. From the combined format only the new part is read. Keys
 * and values must be NUL-terminated inside the string table, and entries
 * whose offsets point elsewhere are skipped. These fail with NVD_ERR_DRIVER
 * "invalid ld.so.cache file" before fn is called: a bad header, counts or
 * sizes that do not fit, a foreign byte order, a bad extension directory.
 * info, when not NULL, receives the format.
 */
int nvd_ldcache_parse(const void *data, size_t size, nvd_ldcache_fn fn, void *ctx,
                      struct nvd_ldcache_info *info, nvd_error **err);

/* Read <root>/etc/ld.so.cache into a new buffer; the caller frees *data. */
int nvd_ldcache_load(const char *root, void **data, size_t *size, nvd_error **err);

/* Return the machine of this program's own 64-bit libraries. */
enum nvd_ldcache_arch nvd_ldcache_host_arch(void);

/*
 * Find the file of the first entry for soname built for the host's 64-bit
 * machine; return a new path under root, or NULL with NVD_ERR_NOT_FOUND.
 */
char *nvd_ldcache_find(const char *root, const char *soname, nvd_error **err);

#endif /* NVD_LDCACHE_H */
