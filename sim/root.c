/*
 * root.c: `nvd-sim init`'s layout work. It first builds every file in
 * memory (templates copied, sonames and profiles patched), then writes
 * them, removes what a previous run installed and the new one does not,
 * runs ldconfig and creates the device nodes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "driver_files.h"
#include "elf_patch.h"
#include "profile.h"
#include "root.h"
#include "util.h"

extern char **environ;

/* A file to write into the root. */
struct planned_file {
    char *path;              /* relative to the root */
    unsigned char *data;
    size_t size;
    mode_t mode;
};

/* Every file of the new layout. */
struct plan {
    struct planned_file *files;
    size_t count;
};

static void plan_free(struct plan *plan)
{
    for (size_t i = 0; i < plan->count; i++) {
        free(plan->files[i].path);
        free(plan->files[i].data);
    }
    free(plan->files);
}

/* Return whether the plan writes the file at relative path. */
static bool plan_contains(const struct plan *plan, const char *path)
{
    for (size_t i = 0; i < plan->count; i++) {
        if (strcmp(plan->files[i].path, path) == 0)
            return true;
    }
    return false;
}

/* Read the whole file at path into a new buffer. */
static int read_file(const char *path, unsigned char **data, size_t *size, nvd_error **err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;

    if (fd < 0)
        return nvd_error_sys(err, errno, "cannot open %s", path);
    if (fstat(fd, &st) != 0)
        return nvd_error_sys(err, errno, "cannot stat %s", path);

    unsigned char *buffer = nvd_xmalloc((size_t)st.st_size);
    size_t done = 0;
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, buffer + done, (size_t)st.st_size - done);
        if (n <= 0) {
            free(buffer);
            if (n == 0)
                return nvd_error_set(err, NVD_ERR_SYSTEM, "cannot read %s: file shrank", path);
            return nvd_error_sys(err, errno, "cannot read %s", path);
        }
        done += (size_t)n;
    }
    *data = buffer;
    *size = done;
    return 0;
}

/* Write blob over the profile section of the double in data. */
static int embed_profile(unsigned char *data, size_t size, const char *name,
                         const struct sim_blob *blob, nvd_error **err)
{
    size_t offset, section_size;
    uint32_t format, template_size;

    if (sim_elf_find_section(data, size, name, SIM_BLOB_SECTION, &offset, &section_size, err) != 0)
        return -1;
    if (section_size != sizeof(*blob))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "%s: profile section has %zu bytes, nvd-sim writes %zu: rebuild nvd-sim and its data files together",
                             name, section_size, sizeof(*blob));

    memcpy(&format, data + offset + offsetof(struct sim_blob, format), sizeof(format));
    memcpy(&template_size, data + offset + offsetof(struct sim_blob, size), sizeof(template_size));
    if (memcmp(data + offset, SIM_BLOB_MAGIC, sizeof(SIM_BLOB_MAGIC)) != 0 ||
        format != SIM_BLOB_FORMAT || template_size != sizeof(*blob))
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "%s: profile section has another format: rebuild nvd-sim and its data files together",
                             name);
    memcpy(data + offset, blob, sizeof(*blob));
    return 0;
}

/* Remove the profile's missing functions that the double in data (of kind) defines. */
static int hide_missing_functions(unsigned char *data, size_t size, const char *name,
                                  enum sim_template kind, const struct sim_blob *blob,
                                  nvd_error **err)
{
    enum sim_library library = kind == SIM_TEMPLATE_NVML ? SIM_LIBRARY_NVML : SIM_LIBRARY_CUDA;

    for (uint32_t i = 0; i < blob->missing_function_count; i++) {
        const char *function = blob->missing_functions[i];
        if (sim_function_library(function) == library &&
            sim_elf_hide_symbol(data, size, name, function, err) != 0)
            return -1;
    }
    return 0;
}

/* Add one copy of entry to the plan, for the directory dir and word size bits. */
static int plan_entry(struct plan *plan, const struct sim_driver_file *entry, const char *dir,
                      int bits, const char *data_dir, const struct sim_blob *blob, nvd_error **err)
{
    cleanup_free char *template_path =
        nvd_xasprintf("%s/%s", data_dir, sim_template_file(entry->template_kind, bits));
    cleanup_free char *name = sim_expand_version(entry->name, blob->driver_version);
    unsigned char *data = NULL;
    size_t size = 0;

    if (read_file(template_path, &data, &size, err) != 0)
        return nvd_error_wrap(err, "missing nvd-sim data file (build nvd-sim's data files, or install them)");

    int result = 0;
    if (entry->soname) {
        cleanup_free char *soname = sim_expand_version(entry->soname, blob->driver_version);
        result = sim_elf_set_soname(data, size, template_path, soname, err);
    } else if (entry->template_kind == SIM_TEMPLATE_NVML ||
               entry->template_kind == SIM_TEMPLATE_CUDA) {
        result = embed_profile(data, size, template_path, blob, err);
        if (result == 0)
            result = hide_missing_functions(data, size, template_path, entry->template_kind,
                                            blob, err);
    }
    if (result != 0) {
        free(data);
        return -1;
    }

    plan->files = nvd_xrealloc(plan->files, (plan->count + 1) * sizeof(*plan->files));
    plan->files[plan->count++] = (struct planned_file){
        .path = nvd_xasprintf("%s/%s", dir, name),
        .data = data,
        .size = size,
        .mode = (entry->places & SIM_BIN) ? 0755 : 0644,
    };
    return 0;
}

/*
 * Plan every file of the table. The 32-bit libraries are left out, with a
 * note, when nvd-sim's data files have no 32-bit templates (a build without
 * gcc-multilib).
 */
static int plan_driver_files(const char *data_dir, const struct sim_blob *blob, struct plan *plan,
                             nvd_error **err)
{
    cleanup_free char *probe =
        nvd_xasprintf("%s/%s", data_dir, sim_template_file(SIM_TEMPLATE_STUB, 32));
    bool lib32 = access(probe, F_OK) == 0;

    if (!lib32)
        fprintf(stderr, "nvd-sim: note: %s is missing, so the root gets no 32-bit libraries\n", probe);

    for (size_t i = 0; i < sim_driver_file_count; i++) {
        const struct sim_driver_file *entry = &sim_driver_files[i];

        if ((entry->places & SIM_LIB64) &&
            plan_entry(plan, entry, SIM_LIB64_DIR, 64, data_dir, blob, err) != 0)
            return -1;
        if ((entry->places & SIM_LIB32) && lib32 &&
            plan_entry(plan, entry, SIM_LIB32_DIR, 32, data_dir, blob, err) != 0)
            return -1;
        if ((entry->places & SIM_BIN) &&
            plan_entry(plan, entry, SIM_BIN_DIR, 64, data_dir, blob, err) != 0)
            return -1;
    }
    return 0;
}

/* Create directory path and its missing parents, like mkdir -p. */
static int make_directories(const char *path, nvd_error **err)
{
    cleanup_free char *copy = nvd_xstrdup(path);

    for (char *p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            return nvd_error_sys(err, errno, "cannot create directory %s", copy);
        *p = saved;
        if (saved == '\0')
            break;
    }

    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return nvd_error_set(err, NVD_ERR_INVALID, "%s exists and is not a directory", path);
    return 0;
}

/*
 * Write data to path through a temporary file in the same directory and
 * rename it into place, so that readers see the old file or the new one.
 */
static int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode,
                             nvd_error **err)
{
    const char *slash = strrchr(path, '/');
    cleanup_free char *temporary =
        nvd_xasprintf("%.*s/.nvd-sim-%s.tmp", (int)(slash - path), path, slash + 1);

    unlink(temporary);
    int fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return nvd_error_sys(err, errno, "cannot create %s", temporary);

    const unsigned char *bytes = data;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, bytes + done, size - done);
        if (n < 0) {
            int saved = errno;
            close(fd);
            unlink(temporary);
            return nvd_error_sys(err, saved, "cannot write %s", temporary);
        }
        done += (size_t)n;
    }
    if (fchmod(fd, mode) != 0 || close(fd) != 0) {
        int saved = errno;
        unlink(temporary);
        return nvd_error_sys(err, saved, "cannot write %s", temporary);
    }
    if (rename(temporary, path) != 0) {
        int saved = errno;
        unlink(temporary);
        return nvd_error_sys(err, saved, "cannot rename %s to %s", temporary, path);
    }
    return 0;
}

/* Return whether a manifest line is a path inside the root: relative, no "..". */
static bool is_inside_path(const char *path)
{
    if (path[0] == '\0' || path[0] == '/')
        return false;
    for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2) {
        bool starts = p == path || p[-1] == '/';
        bool ends = p[2] == '\0' || p[2] == '/';
        if (starts && ends)
            return false;
    }
    return true;
}

/* Remove what the previous run's manifest lists and the new plan does not write. */
static int remove_previous_files(const char *root, const struct plan *plan, nvd_error **err)
{
    cleanup_free char *manifest = nvd_path_join(root, SIM_MANIFEST_PATH);
    cleanup_file FILE *file = fopen(manifest, "re");
    cleanup_free char *line = NULL;
    size_t capacity = 0;
    ssize_t length;

    if (!file) {
        if (errno == ENOENT)
            return 0;
        return nvd_error_sys(err, errno, "cannot open %s", manifest);
    }
    while ((length = getline(&line, &capacity, file)) >= 0) {
        if (length > 0 && line[length - 1] == '\n')
            line[--length] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (!is_inside_path(line))
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "%s: entry '%s' is not a relative path inside the root: remove the manifest and the files by hand",
                                 manifest, line);
        if (plan_contains(plan, line))
            continue;

        cleanup_free char *path = nvd_path_join(root, line);
        if (unlink(path) != 0 && errno != ENOENT)
            return nvd_error_sys(err, errno, "cannot remove %s of the previous driver", path);
    }
    return 0;
}

/* Return the path of the system's ldconfig, or NULL. */
static const char *find_ldconfig(void)
{
    static const char *const candidates[] = { "/sbin/ldconfig", "/usr/sbin/ldconfig" };

    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    }
    return NULL;
}

/*
 * Run `ldconfig -r root`: it reads root/etc/ld.so.conf, makes the soname
 * links in the listed directories and writes root/etc/ld.so.cache. Its
 * messages go to our stderr.
 */
static int run_ldconfig(const char *ldconfig, const char *root, nvd_error **err)
{
    char *const argv[] = { (char *)"ldconfig", (char *)"-r", (char *)root, NULL };
    posix_spawn_file_actions_t actions;
    pid_t pid;
    int status;

    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    int result = posix_spawn(&pid, ldconfig, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (result != 0)
        return nvd_error_sys(err, result, "cannot run %s", ldconfig);

    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return nvd_error_sys(err, errno, "cannot wait for %s", ldconfig);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return nvd_error_set(err, NVD_ERR_SYSTEM,
                             "%s -r %s failed (status %d, messages above): the root has no valid etc/ld.so.cache",
                             ldconfig, root, status);
    return 0;
}

/* Append to manifest the symlinks in dir (relative) that point to a planned file. */
static int list_soname_links(const char *root, const char *dir, const struct plan *plan,
                             struct nvd_buf *manifest, nvd_error **err)
{
    cleanup_free char *path = nvd_path_join(root, dir);
    cleanup_dir DIR *handle = opendir(path);
    struct dirent *entry;

    if (!handle)
        return nvd_error_sys(err, errno, "cannot list %s", path);
    while ((entry = readdir(handle)) != NULL) {
        char target[256];
        ssize_t n = readlinkat(dirfd(handle), entry->d_name, target, sizeof(target) - 1);

        if (n < 0)
            continue;   /* not a symlink */
        target[n] = '\0';

        cleanup_free char *target_path = nvd_xasprintf("%s/%s", dir, target);
        if (!strchr(target, '/') && plan_contains(plan, target_path))
            nvd_buf_printf(manifest, "%s/%s\n", dir, entry->d_name);
    }
    return 0;
}

/* Write the manifest: every planned file and the soname links ldconfig made. */
static int write_manifest(const char *root, const struct plan *plan, nvd_error **err)
{
    struct nvd_buf manifest = { 0 };
    cleanup_free char *path = nvd_path_join(root, SIM_MANIFEST_PATH);

    nvd_buf_puts(&manifest, "# Files of the driver that nvd-sim init installed; the next run removes them.\n");
    for (size_t i = 0; i < plan->count; i++)
        nvd_buf_printf(&manifest, "%s\n", plan->files[i].path);

    static const char *const link_dirs[] = {
        SIM_LIB64_DIR, SIM_LIB32_DIR,
        SIM_LIB64_DIR "/" SIM_MESA_SUBDIR, SIM_LIB32_DIR "/" SIM_MESA_SUBDIR,
        SIM_LIB64_DIR "/" SIM_TLS_SUBDIR, SIM_LIB32_DIR "/" SIM_TLS_SUBDIR,
    };
    int result = 0;
    for (size_t i = 0; i < sizeof(link_dirs) / sizeof(link_dirs[0]) && result == 0; i++)
        result = list_soname_links(root, link_dirs[i], plan, &manifest, err);
    if (result == 0)
        result = write_file_atomic(path, manifest.data, manifest.len, 0644, err);
    nvd_buf_free(&manifest);
    return result;
}

/* Make path a character device major:minor with mode 0666, replacing anything else there. */
static int make_char_device(const char *path, unsigned major, unsigned minor, nvd_error **err)
{
    struct stat st;
    dev_t device = makedev(major, minor);

    if (lstat(path, &st) == 0) {
        if (S_ISCHR(st.st_mode) && st.st_rdev == device)
            return chmod(path, 0666) == 0 ? 0 : nvd_error_sys(err, errno, "cannot chmod %s", path);
        if (unlink(path) != 0)
            return nvd_error_sys(err, errno, "cannot replace %s", path);
    }
    if (mknod(path, S_IFCHR | 0666, device) != 0)
        return nvd_error_sys(err, errno, "cannot create device node %s (%u:%u); run nvd-sim as root",
                             path, major, minor);
    if (chmod(path, 0666) != 0)
        return nvd_error_sys(err, errno, "cannot chmod %s", path);
    return 0;
}

/* Return whether name is "nvidia" followed by decimal digits only, and store them in *minor. */
static bool parse_gpu_node_name(const char *name, unsigned *minor)
{
    if (strncmp(name, "nvidia", 6) != 0 || name[6] == '\0')
        return false;
    unsigned value = 0;
    for (const char *p = name + 6; *p; p++) {
        if (*p < '0' || *p > '9' || value > 1000)
            return false;
        value = value * 10 + (unsigned)(*p - '0');
    }
    *minor = value;
    return true;
}

/*
 * Make root/dev/nvidia-caps hold the MIG capability nodes of blob, and no
 * other nvidia-cap node of nvd-sim's major: "config" and "monitor" when a
 * GPU is MIG capable, and the GPU and compute instance nodes of each MIG
 * device of a GPU in MIG mode.
 */
static int sync_mig_nodes(const char *dev, const struct sim_blob *blob, nvd_error **err)
{
    cleanup_free char *caps = nvd_xasprintf("%s/nvidia-caps", dev);
    bool mig_capable = false;

    for (uint32_t i = 0; i < blob->gpu_count; i++)
        mig_capable = mig_capable || blob->gpus[i].mig_mode != SIM_UNSUPPORTED;

    cleanup_dir DIR *handle = opendir(caps);
    if (!handle && errno != ENOENT)
        return nvd_error_sys(err, errno, "cannot list %s", caps);
    struct dirent *entry;
    while (handle && (entry = readdir(handle)) != NULL) {
        struct stat st;
        if (strncmp(entry->d_name, "nvidia-cap", 10) != 0 ||
            fstatat(dirfd(handle), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISCHR(st.st_mode) || major(st.st_rdev) != SIM_CAPS_MAJOR)
            continue;
        if (unlinkat(dirfd(handle), entry->d_name, 0) != 0)
            return nvd_error_sys(err, errno, "cannot remove %s/%s", caps, entry->d_name);
    }
    if (!mig_capable)
        return 0;
    if (make_directories(caps, err) != 0)
        return -1;

    /* nvidia-cap1 is "config" and nvidia-cap2 "monitor" in the driver's mig-minors. */
    for (unsigned minor = 1; minor <= 2; minor++) {
        cleanup_free char *path = nvd_xasprintf("%s/nvidia-cap%u", caps, minor);
        if (make_char_device(path, SIM_CAPS_MAJOR, minor, err) != 0)
            return -1;
    }
    for (uint32_t i = 0; i < blob->gpu_count; i++) {
        const struct sim_gpu *gpu = &blob->gpus[i];
        for (uint32_t m = 0; gpu->mig_mode == SIM_MIG_ENABLED && m < gpu->mig_device_count; m++) {
            const struct sim_mig_device *mig = &gpu->mig_devices[m];
            uint32_t minors[] = {
                sim_mig_gi_cap_minor(gpu->minor, mig->gpu_instance_id),
                sim_mig_ci_cap_minor(gpu->minor, mig->gpu_instance_id, mig->compute_instance_id),
            };
            for (size_t k = 0; k < 2; k++) {
                cleanup_free char *path = nvd_xasprintf("%s/nvidia-cap%u", caps, (unsigned)minors[k]);
                if (make_char_device(path, SIM_CAPS_MAJOR, minors[k], err) != 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* Make root/dev hold the control nodes and one node per GPU of blob, and no other GPU node. */
static int sync_device_nodes(const char *root, const struct sim_blob *blob, nvd_error **err)
{
    cleanup_free char *dev = nvd_path_join(root, "dev");

    if (make_directories(dev, err) != 0)
        return -1;

    /* Remove GPU nodes (major 195) of minors that the new profile lacks. */
    cleanup_dir DIR *handle = opendir(dev);
    if (!handle)
        return nvd_error_sys(err, errno, "cannot list %s", dev);
    struct dirent *entry;
    while ((entry = readdir(handle)) != NULL) {
        unsigned minor;
        struct stat st;
        bool in_profile = false;

        if (!parse_gpu_node_name(entry->d_name, &minor) ||
            fstatat(dirfd(handle), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISCHR(st.st_mode) || major(st.st_rdev) != SIM_NVIDIA_MAJOR)
            continue;
        for (uint32_t i = 0; i < blob->gpu_count; i++)
            in_profile = in_profile || blob->gpus[i].minor == minor;
        if (!in_profile && unlinkat(dirfd(handle), entry->d_name, 0) != 0)
            return nvd_error_sys(err, errno, "cannot remove %s/%s", dev, entry->d_name);
    }

    static const struct {
        const char *name;
        unsigned major, minor;
    } control_nodes[] = {
        { "nvidiactl", SIM_NVIDIA_MAJOR, SIM_NVIDIACTL_MINOR },
        { "nvidia-uvm", SIM_UVM_MAJOR, 0 },
        { "nvidia-uvm-tools", SIM_UVM_MAJOR, 1 },
    };
    for (size_t i = 0; i < sizeof(control_nodes) / sizeof(control_nodes[0]); i++) {
        cleanup_free char *path = nvd_xasprintf("%s/%s", dev, control_nodes[i].name);
        if (make_char_device(path, control_nodes[i].major, control_nodes[i].minor, err) != 0)
            return -1;
    }
    for (uint32_t i = 0; i < blob->gpu_count; i++) {
        cleanup_free char *path = nvd_xasprintf("%s/nvidia%u", dev, (unsigned)blob->gpus[i].minor);
        if (make_char_device(path, SIM_NVIDIA_MAJOR, blob->gpus[i].minor, err) != 0)
            return -1;
    }
    return sync_mig_nodes(dev, blob, err);
}

/*
 * Check that root is missing, empty, or laid out by nvd-sim before (it has
 * the manifest), so that init never overwrites a real system's files such
 * as /etc/ld.so.conf.
 */
static int check_root_is_free(const char *root, nvd_error **err)
{
    cleanup_dir DIR *handle = opendir(root);
    struct dirent *entry;

    if (!handle) {
        if (errno == ENOENT)
            return 0;
        return nvd_error_sys(err, errno, "cannot open %s", root);
    }

    cleanup_free char *resolved = realpath(root, NULL);
    if (resolved && strcmp(resolved, "/") == 0)
        return nvd_error_set(err, NVD_ERR_INVALID, "refusing to lay out a simulated driver over /");

    cleanup_free char *manifest = nvd_path_join(root, SIM_MANIFEST_PATH);
    if (access(manifest, F_OK) == 0)
        return 0;
    while ((entry = readdir(handle)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "%s is not empty and has no %s, so nvd-sim did not lay it out: "
                                 "use a new or empty directory",
                                 root, SIM_MANIFEST_PATH);
    }
    return 0;
}

/* Write the planned files and the loader configuration into root. */
static int write_layout(const char *root, const struct plan *plan, nvd_error **err)
{
    static const char *const directories[] = {
        SIM_LIB64_DIR, SIM_LIB32_DIR, SIM_BIN_DIR, "etc", "var/lib/nvd-sim",
        SIM_LIB64_DIR "/" SIM_MESA_SUBDIR, SIM_LIB32_DIR "/" SIM_MESA_SUBDIR,
        SIM_LIB64_DIR "/" SIM_TLS_SUBDIR, SIM_LIB32_DIR "/" SIM_TLS_SUBDIR,
    };
    /*
     * The tls directories are listed too because only ldconfig before
     * glibc 2.37 scans tls/ on its own (as a legacy hwcap directory).
     */
    static const char ld_so_conf[] =
        "/" SIM_LIB64_DIR "\n/" SIM_LIB32_DIR "\n"
        "/" SIM_LIB64_DIR "/" SIM_MESA_SUBDIR "\n/" SIM_LIB32_DIR "/" SIM_MESA_SUBDIR "\n"
        "/" SIM_LIB64_DIR "/" SIM_TLS_SUBDIR "\n/" SIM_LIB32_DIR "/" SIM_TLS_SUBDIR "\n";

    for (size_t i = 0; i < sizeof(directories) / sizeof(directories[0]); i++) {
        cleanup_free char *path = nvd_path_join(root, directories[i]);
        if (make_directories(path, err) != 0)
            return -1;
    }
    for (size_t i = 0; i < plan->count; i++) {
        const struct planned_file *file = &plan->files[i];
        cleanup_free char *path = nvd_path_join(root, file->path);
        if (write_file_atomic(path, file->data, file->size, file->mode, err) != 0)
            return -1;
    }

    cleanup_free char *conf = nvd_path_join(root, "etc/ld.so.conf");
    return write_file_atomic(conf, ld_so_conf, strlen(ld_so_conf), 0644, err);
}

int sim_root_init(const char *root, const char *data_dir, const struct sim_blob *blob,
                  nvd_error **err)
{
    struct plan plan = { 0 };
    const char *ldconfig = find_ldconfig();
    int result = -1;

    if (!ldconfig)
        return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                             "ldconfig not found in /sbin or /usr/sbin: install libc-bin");
    if (check_root_is_free(root, err) != 0 || plan_driver_files(data_dir, blob, &plan, err) != 0)
        goto out;

    /* From here on the root changes. */
    if (make_directories(root, err) != 0)
        goto out;
    char *absolute_root = realpath(root, NULL);
    if (!absolute_root) {
        nvd_error_sys(err, errno, "cannot resolve %s", root);
        goto out;
    }
    if (write_layout(absolute_root, &plan, err) == 0 &&
        remove_previous_files(absolute_root, &plan, err) == 0 &&
        run_ldconfig(ldconfig, absolute_root, err) == 0 &&
        write_manifest(absolute_root, &plan, err) == 0 &&
        sync_device_nodes(absolute_root, blob, err) == 0)
        result = 0;
    free(absolute_root);

out:
    plan_free(&plan);
    return result;
}
