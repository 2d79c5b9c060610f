/*
 * ldcache.h: a reader for glibc's ld.so.cache, which maps sonames to the
 * library files the dynamic loader would pick. The parser works on a buffer
 * so that tests need no real /etc/ld.so.cache.
 */
#ifndef NVD_LDCACHE_H
#define NVD_LDCACHE_H

#include <stddef.h>

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

/* Called once per ELF entry in cache order; a non-zero return stops the walk. */
typedef int (*nvd_ldcache_fn)(const char *soname, const char *path,
                              enum nvd_ldcache_arch arch, void *ctx);

/*
 * Walk the entries of an ld.so.cache image of size bytes (glibc's new
 * format, alone or after the old one). Strings are checked to lie inside
 * the buffer; entries whose offsets do not are skipped. Fails with
 * NVD_ERR_DRIVER "invalid ld.so.cache file" on a bad header.
 */
int nvd_ldcache_parse(const void *data, size_t size, nvd_ldcache_fn fn,
                      void *ctx, nvd_error **err);

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
