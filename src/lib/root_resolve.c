/*
 * root_resolve.c: resolves paths inside a driver root. The driver file
 * lookup resolves every candidate (76 on nvd-sim's a100x8 root) per build,
 * so the common case takes one path walk in the kernel instead of a
 * readlink() per path component.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "root_resolve.h"
#include "util.h"

void nvd_root_dir_open(struct nvd_root_dir *root, const char *path)
{
    root->path = nvd_xstrdup(path);
    root->fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    root->walk_only = false;
}

void nvd_root_dir_close(struct nvd_root_dir *root)
{
    if (root->fd >= 0)
        close(root->fd);
    free(root->path);
    root->path = NULL;
    root->fd = -1;
}

/* Resolve path under the host's root with realpath(); NULL unless it is a regular file. */
static char *resolve_by_walk(const struct nvd_root_dir *root, const char *path)
{
    /* TODO: resolve absolute symlinks inside the driver root, not the host. */
    cleanup_free char *full = nvd_path_join(root->path, path);
    char *real = realpath(full, NULL);
    struct stat st;

    if (!real)
        return NULL;
    if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
        free(real);
        return NULL;
    }
    return real;
}

enum beneath_result {
    BENEATH_FOUND,      /* *real is set */
    BENEATH_NONE,       /* missing, or not a regular file */
    BENEATH_FALLBACK,   /* openat2() cannot tell, so realpath() decides */
};

/*
 * Resolve path with one openat2(RESOLVE_BENEATH) and name the file through
 * /proc/self/fd. Inside the root, the kernel walks the same components as
 * realpath() does, so both give the same file.
 */
static enum beneath_result resolve_beneath(struct nvd_root_dir *root, const char *path, char **real)
{
#ifdef SYS_openat2
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };

    while (*path == '/')
        path++;
    int fd = (int)syscall(SYS_openat2, root->fd, path[0] ? path : ".", &how, sizeof(how));
    if (fd < 0) {
        /*
         * A kernel before 5.6 fails with ENOSYS, a seccomp filter with
         * EPERM, and a kernel without these flags with E2BIG or EINVAL.
         */
        if (errno == ENOSYS || errno == EPERM || errno == E2BIG || errno == EINVAL)
            root->walk_only = true;
        /* realpath() decides a path that leaves the root (EXDEV) or races a rename (EAGAIN). */
        return errno == ENOENT || errno == ENOTDIR ? BENEATH_NONE : BENEATH_FALLBACK;
    }

    struct stat st;
    char link[64];
    char buf[PATH_MAX];
    enum beneath_result result = BENEATH_NONE;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        ssize_t n = readlink(link, buf, sizeof(buf));
        if (n > 0 && (size_t)n < sizeof(buf) && buf[0] == '/') {
            *real = nvd_xasprintf("%.*s", (int)n, buf);
            result = BENEATH_FOUND;
        } else {
            /* No /proc mounted, or a name readlink() cannot give. */
            result = BENEATH_FALLBACK;
        }
    }
    close(fd);
    return result;
#else
    (void)path;
    (void)real;
    root->walk_only = true;
    return BENEATH_FALLBACK;
#endif
}

char *nvd_root_resolve_file(struct nvd_root_dir *root, const char *path)
{
    char *real = NULL;

    if (root->fd >= 0 && !root->walk_only) {
        enum beneath_result result = resolve_beneath(root, path, &real);
        if (result == BENEATH_FOUND)
            return real;
        if (result == BENEATH_NONE)
            return NULL;
    }
    return resolve_by_walk(root, path);
}
