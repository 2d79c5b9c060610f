/* root_resolve.h: resolves paths inside a driver root to the regular files they name. */
#ifndef NVD_ROOT_RESOLVE_H
#define NVD_ROOT_RESOLVE_H

#include <stdbool.h>

/* A driver root opened for lookups. */
struct nvd_root_dir {
    char *path;        /* the root on the host, e.g. "/" or a simulator's tree */
    int fd;            /* an O_PATH descriptor of path, or -1: then realpath() resolves */
    bool walk_only;    /* openat2() is missing or blocked: resolve with realpath() */
};

/* Open the root at path for nvd_root_resolve_file(); close with nvd_root_dir_close(). */
void nvd_root_dir_open(struct nvd_root_dir *root, const char *path);

void nvd_root_dir_close(struct nvd_root_dir *root);

/*
 * Resolve path, as seen inside the root (such as "/usr/bin/nvidia-smi"),
 * through symlinks to a regular file, and return its path on the host, or
 * NULL when it is missing or not a regular file. The result is the one of
 * realpath() on the root's path joined with path: one openat2() with
 * RESOLVE_BENEATH finds the file, and a path that leaves the root (an
 * absolute symlink, ".." above it) or a kernel without openat2() falls
 * back to realpath(), which makes a readlink() call per path component.
 */
char *nvd_root_resolve_file(struct nvd_root_dir *root, const char *path);

#endif /* NVD_ROOT_RESOLVE_H */
