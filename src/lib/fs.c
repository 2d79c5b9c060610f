/*
 * fs.c: directory creation, recursive removal that never follows symlinks,
 * and the hint for a full file system.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int nvd_mkdir_parents(const char *path, unsigned mode, nvd_error **err)
{
    struct stat st;

    if (path[0] == '\0')
        return nvd_error_set(err, NVD_ERR_INVALID, "failed to create directory: the path is empty");

    cleanup_free char *copy = nvd_xstrdup(path);
    /* Create each prefix ending before a '/', then the whole path. */
    for (char *p = copy + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST)
            return nvd_error_sys(err, errno, "failed to create directory %s", copy);
        *p = saved;
        if (saved == '\0')
            break;
    }
    if (stat(path, &st) < 0)
        return nvd_error_sys(err, errno, "failed to create directory %s", path);
    if (!S_ISDIR(st.st_mode))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "%s exists and is not a directory: remove it or choose another path",
                             path);
    return 0;
}

/* Remove every entry of the open directory dir_fd; path names it in errors. */
static int remove_entries(int dir_fd, const char *path, nvd_error **err)
{
    cleanup_dir DIR *dir = fdopendir(dir_fd);
    struct dirent *entry;

    if (!dir) {
        close(dir_fd);
        return nvd_error_sys(err, errno, "failed to read directory %s", path);
    }
    while ((errno = 0, entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (unlinkat(dirfd(dir), name, 0) == 0)
            continue;
        if (errno != EISDIR && errno != EPERM)
            return nvd_error_sys(err, errno, "failed to remove %s/%s", path, name);

        int child_fd = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child_fd < 0)
            return nvd_error_sys(err, errno, "failed to open directory %s/%s", path, name);
        cleanup_free char *child_path = nvd_xasprintf("%s/%s", path, name);
        if (remove_entries(child_fd, child_path, err) < 0)
            return -1;
        if (unlinkat(dirfd(dir), name, AT_REMOVEDIR) < 0)
            return nvd_error_sys(err, errno, "failed to remove directory %s", child_path);
    }
    if (errno != 0)
        return nvd_error_sys(err, errno, "failed to read directory %s", path);
    return 0;
}

int nvd_remove_tree(const char *path, nvd_error **err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        /* Not a directory (or a link to one): remove the entry itself. */
        if ((errno == ENOTDIR || errno == ELOOP) && unlink(path) == 0)
            return 0;
        return nvd_error_sys(err, errno, "failed to remove %s", path);
    }
    if (remove_entries(fd, path, err) < 0)
        return -1;
    if (rmdir(path) < 0 && errno != ENOENT)
        return nvd_error_sys(err, errno, "failed to remove directory %s", path);
    return 0;
}

void nvd_error_add_space_hint(nvd_error **err, const char *volumes_dir, const char *retry)
{
    if (!err || !*err || ((*err)->errnum != ENOSPC && (*err)->errnum != EDQUOT))
        return;
    char *msg = nvd_xasprintf("%s. Free space on the file system of %s, or choose a volumes "
                              "directory (-d) with more space, then %s",
                              (*err)->msg, volumes_dir, retry);
    free((*err)->msg);
    (*err)->msg = msg;
}
