/*
 * volume.c: the driver volume "nvidia_driver_<version>": its name grammar
 * and its directory of hard links to the driver's files.
 *
 * A build happens in <volumes_dir>/.build-<version>-XXXXXX and is renamed to
 * <volumes_dir>/nvidia_driver/<version> when complete, so a crash or a full
 * disk never leaves a half-built volume in place. Builds in one process are
 * serialized; across processes the rename decides and the loser's copy is
 * discarded.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "driver_files.h"
#include "util.h"

static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

/* Check that version is dot-separated decimal numbers ("375.66"). */
static bool version_valid(const char *v)
{
    bool digit_seen = false;

    for (const char *p = v; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            digit_seen = true;
        } else if (*p == '.' && digit_seen && p[1] != '\0') {
            digit_seen = false;
        } else {
            return false;
        }
    }
    return digit_seen;
}

/* Check a volume base name against 1.0's character set [a-zA-Z0-9_.-]. */
static bool base_valid(const char *base, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

int nvd_volume_parse(const char *name, char *version, size_t size, nvd_error **err)
{
    const char *sep = strrchr(name, '_');

    if (!sep || !base_valid(name, (size_t)(sep - name)) || !version_valid(sep + 1) ||
        strlen(sep + 1) >= size)
        return nvd_error_set(err, NVD_ERR_INVALID, "bad volume format: %s", name);
    if ((size_t)(sep - name) != strlen(NVD_VOLUME_BASE) ||
        strncmp(name, NVD_VOLUME_BASE, (size_t)(sep - name)) != 0)
        return nvd_error_set(err, NVD_ERR_INVALID, "unsupported volume: %s", name);
    strcpy(version, sep + 1);
    return 0;
}

char *nvd_volume_path(const char *volumes_dir, const char *version)
{
    return nvd_xasprintf("%s/%s/%s", volumes_dir, NVD_VOLUME_BASE, version);
}

/* Create dir (mode 0755) unless it exists. */
static int make_dir(const char *dir, nvd_error **err)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return nvd_error_sys(err, errno, "create directory %s", dir);
    return 0;
}

/* Copy src to dst with its mode and times, for when a hard link fails. */
static int copy_file(const char *src, const char *dst, nvd_error **err)
{
    cleanup_close int in = open(src, O_RDONLY | O_CLOEXEC);
    cleanup_close int out = -1;
    struct stat st;
    char buf[65536];

    if (in < 0)
        return nvd_error_sys(err, errno, "copy %s: open", src);
    if (fstat(in, &st) < 0)
        return nvd_error_sys(err, errno, "copy %s: stat", src);
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
    if (out < 0)
        return nvd_error_sys(err, errno, "copy %s to %s", src, dst);
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return nvd_error_sys(err, errno, "copy %s: read", src);
        if (n == 0)
            break;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return nvd_error_sys(err, errno, "copy %s to %s: write", src, dst);
            done += w;
        }
    }
    struct timespec times[2] = { st.st_atim, st.st_mtim };
    if (fchmod(out, st.st_mode & 07777) < 0 || futimens(out, times) < 0)
        return nvd_error_sys(err, errno, "copy %s to %s: set mode and times", src, dst);
    if (fsync(out) < 0)
        return nvd_error_sys(err, errno, "copy %s to %s: sync", src, dst);
    return 0;
}

/* Hard-link src as dst, or copy it when the link is impossible. */
static int link_or_copy(const char *src, const char *dst, nvd_error **err)
{
    if (link(src, dst) == 0)
        return 0;
    if (errno == EXDEV || errno == EPERM || errno == EMLINK)
        return copy_file(src, dst, err);
    return nvd_error_sys(err, errno, "link %s %s", src, dst);
}

/*
 * Hard-link the symlink src_dir/name as dst when it exists and points to
 * target. Returns false when it does not or the link fails, for the caller
 * to create the symlink. Linking an existing symlink allocates no inode,
 * and new inodes dominate the build time on ext4.
 */
static bool link_existing_symlink(const char *src_dir, const char *name, const char *target,
                                  const char *dst)
{
    cleanup_free char *src = nvd_xasprintf("%s/%s", src_dir, name);
    char current[PATH_MAX];
    ssize_t n = readlink(src, current, sizeof(current) - 1);

    if (n < 0 || (size_t)n != strlen(target) || memcmp(current, target, (size_t)n) != 0)
        return false;
    /* linkat() without AT_SYMLINK_FOLLOW links the symlink itself. */
    return linkat(AT_FDCWD, src, AT_FDCWD, dst, 0) == 0;
}

/* The symlinks of one build so far, to hard-link where the same target is needed again. */
struct built_symlinks {
    size_t count;
    char **paths;      /* in the build tree */
    char **targets;
};

static void built_symlinks_clear(struct built_symlinks *links)
{
    for (size_t i = 0; i < links->count; i++) {
        free(links->paths[i]);
        free(links->targets[i]);
    }
    free(links->paths);
    free(links->targets);
}
#define cleanup_built_symlinks __attribute__((cleanup(built_symlinks_clear)))

/* Record the symlink path (taking it) to target. */
static void built_symlinks_add(struct built_symlinks *links, char *path, const char *target)
{
    links->paths = nvd_xrealloc(links->paths, (links->count + 1) * sizeof(char *));
    links->targets = nvd_xrealloc(links->targets, (links->count + 1) * sizeof(char *));
    links->paths[links->count] = path;
    links->targets[links->count] = nvd_xstrdup(target);
    links->count++;
}

/* Hard-link as path a symlink to target that this build has already; false when there is none. */
static bool link_built_symlink(const struct built_symlinks *links, const char *target,
                               const char *path)
{
    for (size_t i = 0; i < links->count; i++) {
        if (strcmp(links->targets[i], target) == 0)
            return linkat(AT_FDCWD, links->paths[i], AT_FDCWD, path, 0) == 0;
    }
    return false;
}

/*
 * Create the symlink dir/name -> target unless name is target itself.
 * To allocate no inode, it hard-links the driver's own symlink in src_dir
 * when that is the same, or a symlink of this build with the same target:
 * libcuda.so shares the inode of libcuda.so.1, and lib and lib64 share one.
 * Symlinks are text, so a shared inode resolves in each directory alike.
 */
static int add_symlink(struct built_symlinks *links, const char *dir, const char *src_dir,
                       const char *name, const char *target, nvd_error **err)
{
    char *path = nvd_path_join(dir, name);

    if (strcmp(name, target) == 0 || link_built_symlink(links, target, path)) {
        free(path);
        return 0;
    }
    if (!link_existing_symlink(src_dir, name, target, path) && symlink(target, path) < 0) {
        int saved = errno;
        if (saved != EEXIST)
            nvd_error_sys(err, saved, "symlink %s -> %s", path, target);
        free(path);
        return saved == EEXIST ? 0 : -1;
    }
    built_symlinks_add(links, path, target);
    return 0;
}

/*
 * Add the soname links of the library file (its DT_SONAME read by
 * nvd_driver_files_find()): <soname> -> file, plus 1.0's extras:
 * "libcuda.so" for libcuda and "libGLX_indirect.so.0" for libGLX_nvidia.
 */
static int add_soname_links(struct built_symlinks *links, const char *dir,
                            const struct nvd_driver_file *file, const char *basename, nvd_error **err)
{
    const char *soname = file->soname;

    if (!soname)
        return 0;

    cleanup_free char *src_dir = nvd_xstrdup(file->path);
    *strrchr(src_dir, '/') = '\0';

    if (add_symlink(links, dir, src_dir, soname, basename, err) < 0)
        return -1;

    if (strncmp(soname, "libcuda.", 8) == 0 &&
        add_symlink(links, dir, src_dir, "libcuda.so", basename, err) < 0)
        return -1;
    if (strncmp(soname, "libGLX_nvidia.", 14) == 0) {
        cleanup_free char *indirect = nvd_xasprintf("libGLX_indirect.%s", soname + 14);
        if (add_symlink(links, dir, src_dir, indirect, basename, err) < 0)
            return -1;
    }
    return 0;
}

/* Place every driver file into the volume tree at root. */
static int fill_volume(const struct nvd_driver_files *files, const char *root, nvd_error **err)
{
    static const enum nvd_volume_dir dirs[] = { NVD_DIR_BIN, NVD_DIR_LIB, NVD_DIR_LIB64 };
    cleanup_built_symlinks struct built_symlinks links = { 0 };

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        cleanup_free char *dir = nvd_path_join(root, nvd_volume_dir_name(dirs[i]));
        if (make_dir(dir, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < files->count; i++) {
        const struct nvd_driver_file *f = &files->files[i];
        const char *basename = strrchr(f->path, '/') + 1;
        cleanup_free char *dir = nvd_path_join(root, nvd_volume_dir_name(f->dir));
        cleanup_free char *dst = nvd_path_join(dir, basename);

        if (link_or_copy(f->path, dst, err) < 0)
            return -1;
        if (f->dir != NVD_DIR_BIN && add_soname_links(&links, dir, f, basename, err) < 0)
            return -1;
    }
    return 0;
}

/* Build the volume of host's driver in a temporary tree and rename it to final. */
static int build_volume(const struct nvd_host *host, const char *volumes_dir, const char *final,
                        nvd_error **err)
{
    struct nvd_driver_files files = { 0 };
    cleanup_free char *tmp = nvd_xasprintf("%s/.build-%s-XXXXXX", volumes_dir, host->driver_version);
    int ret = -1;

    if (nvd_driver_files_find(host, NVD_CAP_ALL, &files, err) < 0)
        return -1;
    for (size_t i = 0; i < files.warning_count; i++)
        nvd_log("%s", files.warnings[i]);
    if (!mkdtemp(tmp)) {
        nvd_error_sys(err, errno, "create directory %s", tmp);
        goto out;
    }
    if (chmod(tmp, 0755) < 0) {
        nvd_error_sys(err, errno, "chmod %s", tmp);
        goto out_remove;
    }
    if (fill_volume(&files, tmp, err) < 0)
        goto out_remove;
    if (rename(tmp, final) < 0) {
        if (errno == EEXIST || errno == ENOTEMPTY) {
            ret = 0;   /* another process built it first */
            goto out_remove;
        }
        nvd_error_sys(err, errno, "rename %s to %s", tmp, final);
        goto out_remove;
    }
    ret = 0;
    goto out;

out_remove:
    nvd_remove_tree(tmp, NULL);
out:
    nvd_driver_files_clear(&files);
    return ret;
}

int nvd_volume_create(const struct nvd_host *host, const char *volumes_dir, nvd_error **err)
{
    cleanup_free char *base = nvd_path_join(volumes_dir, NVD_VOLUME_BASE);
    cleanup_free char *final = nvd_volume_path(volumes_dir, host->driver_version);
    struct stat st;
    int ret;

    if (!version_valid(host->driver_version))
        return nvd_error_set(err, NVD_ERR_DRIVER, "invalid driver version '%s' reported by NVML",
                             host->driver_version);

    pthread_mutex_lock(&build_lock);
    if (stat(final, &st) == 0 && S_ISDIR(st.st_mode))
        ret = 0;
    else if (make_dir(volumes_dir, err) < 0 || make_dir(base, err) < 0)
        ret = -1;
    else
        ret = build_volume(host, volumes_dir, final, err);
    pthread_mutex_unlock(&build_lock);
    if (ret < 0) {
        nvd_error_wrap(err, "build volume %s_%s", NVD_VOLUME_BASE, host->driver_version);
        nvd_error_add_space_hint(err, volumes_dir, "create the volume again");
    }
    return ret;
}
