/*
 * cdi.c: the Container Device Interface (CDI) spec of a host, which
 * podman, containerd, CRI-O and Docker 25+ read to give a container GPUs
 * by name (nvidia.com/gpu=0, =GPU-<uuid>, =all).
 *
 * Every device's edits come from the selection grammar and the device
 * list that /docker/cli uses (nvd_select, nvd_docker_args_collect): the
 * selection "none" gives the control nodes, which go to the spec's common
 * edits, and a device's own nodes are those of its selection minus them.
 * So a name that nvd_select accepts becomes a CDI device once
 * device_names() lists it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/*
 * The lowest CDI version whose fields this spec uses. Device names that
 * start with a digit ("0") and the deviceNodes field hostPath both came
 * in 0.5.0; the mount field type came in 0.4.0. Runtimes reject a spec
 * that declares a lower version than its fields need.
 */
#define CDI_VERSION "0.5.0"

/*
 * Nodes that the common edits carry beyond the control nodes of
 * nvd_docker_args_collect(), when they exist: graphics and display
 * clients open nvidia-modeset. nvidia-docker 1.0 never passed it, so
 * /docker/cli leaves it out.
 */
static const char *const extra_common_nodes[] = {
    "/dev/nvidia-modeset",
};

/* One named CDI device and the container paths of its own device nodes. */
struct cdi_device {
    char *name;
    size_t node_count;
    char **nodes;
};

/* The common edits and the devices of a spec, before rendering. */
struct cdi_spec {
    struct nvd_docker_args common;    /* the control nodes, dev_root */
    size_t extra_count;
    const char *extra[sizeof(extra_common_nodes) / sizeof(extra_common_nodes[0])];
    size_t device_count;
    struct cdi_device *devices;
};

static void cdi_spec_clear(struct cdi_spec *spec)
{
    for (size_t i = 0; i < spec->device_count; i++) {
        for (size_t k = 0; k < spec->devices[i].node_count; k++)
            free(spec->devices[i].nodes[k]);
        free(spec->devices[i].nodes);
        free(spec->devices[i].name);
    }
    free(spec->devices);
    nvd_docker_args_clear(&spec->common);
    memset(spec, 0, sizeof(*spec));
}

/* Check name against CDI's device name grammar: [A-Za-z0-9][A-Za-z0-9_.-]* ending alphanumeric. */
static bool cdi_name_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && ((i == 0 || i == n - 1) || (c != '-' && c != '_' && c != '.')))
            return false;
    }
    return true;
}

static bool is_common_node(const struct nvd_docker_args *common, const char *path)
{
    for (size_t i = 0; i < common->device_count; i++)
        if (strcmp(common->devices[i], path) == 0)
            return true;
    return false;
}

/*
 * Add the device called name: its nodes are those that the selection of
 * the same text gets from nvd_docker_args_collect(), less the common ones.
 */
static int add_device(struct cdi_spec *spec, const struct nvd_host *host, const char *name,
                      nvd_error **err)
{
    struct nvd_selection sel = {0};
    struct nvd_docker_args args = {0};

    if (nvd_select(host, name, "", false, &sel, err) < 0)
        return nvd_error_wrap(err, "CDI device %s", name);
    int rc = nvd_docker_args_collect(host, &sel, &args, err);
    nvd_selection_clear(&sel);
    if (rc < 0)
        return nvd_error_wrap(err, "CDI device %s", name);

    struct cdi_device *dev = &spec->devices[spec->device_count++];
    dev->name = nvd_xstrdup(name);
    dev->nodes = nvd_xcalloc(args.device_count + 1, sizeof(*dev->nodes));
    for (size_t i = 0; i < args.device_count; i++) {
        if (!is_common_node(&spec->common, args.devices[i]))
            dev->nodes[dev->node_count++] = steal_pointer(&args.devices[i]);
    }
    nvd_docker_args_clear(&args);
    return 0;
}

/*
 * Set *slot to a copy of uuid and return 1, or log and return 0 when uuid
 * is not a valid CDI device name.
 */
static size_t add_uuid(char **slot, const char *uuid, const char *what, unsigned gpu_index)
{
    if (cdi_name_valid(uuid)) {
        *slot = nvd_xstrdup(uuid);
        return 1;
    }
    nvd_log("Leaving the UUID '%s' of %s %u out of the CDI spec: not a valid CDI device name",
            uuid, what, gpu_index);
    return 0;
}

/*
 * Return the names of host's CDI devices in spec order: each GPU's index
 * and UUID, each of its MIG devices as "<gpu>:<mig>" and by UUID, then
 * "all", and set *count. A UUID that is not a valid CDI name is left
 * out and logged.
 */
static char **device_names(const struct nvd_host *host, size_t *count)
{
    size_t max = 1;
    size_t n = 0;

    for (size_t i = 0; i < host->gpu_count; i++)
        max += 2 + 2 * host->gpus[i].mig_count;
    char **names = nvd_xcalloc(max, sizeof(*names));

    for (size_t i = 0; i < host->gpu_count; i++) {
        const struct nvd_gpu *gpu = &host->gpus[i];

        names[n++] = nvd_xasprintf("%u", gpu->index);
        n += add_uuid(&names[n], gpu->uuid, "GPU", gpu->index);
        for (size_t m = 0; m < gpu->mig_count; m++) {
            names[n++] = nvd_xasprintf("%u:%u", gpu->index, gpu->migs[m].index);
            n += add_uuid(&names[n], gpu->migs[m].uuid, "MIG device of GPU", gpu->index);
        }
    }
    names[n++] = nvd_xstrdup("all");
    *count = n;
    return names;
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* Collect the common edits and every named device of host. */
static int cdi_spec_build(struct cdi_spec *spec, const struct nvd_host *host, nvd_error **err)
{
    struct nvd_selection none = {0};

    if (host->gpu_count == 0)
        return nvd_error_set(err, NVD_ERR_NOT_FOUND,
                             "no GPU found under %s: a CDI spec needs at least one device",
                             host->driver_root);

    if (nvd_select(host, "none", "", false, &none, err) < 0)
        return -1;
    int rc = nvd_docker_args_collect(host, &none, &spec->common, err);
    nvd_selection_clear(&none);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < sizeof(extra_common_nodes) / sizeof(extra_common_nodes[0]); i++)
        if (nvd_dev_node_exists(host->dev_root, extra_common_nodes[i]))
            spec->extra[spec->extra_count++] = extra_common_nodes[i];

    size_t name_count;
    char **names = device_names(host, &name_count);
    spec->devices = nvd_xcalloc(name_count, sizeof(*spec->devices));
    for (size_t i = 0; i < name_count && rc == 0; i++)
        rc = add_device(spec, host, names[i], err);
    free_names(names, name_count);
    return rc;
}

/* Append "<indent>{"path": ..., "hostPath": ...}" for the node at container path. */
static void render_node(struct nvd_buf *b, const char *indent, const char *dev_root,
                        const char *path)
{
    cleanup_free char *quoted_path = nvd_json_quote(path);
    size_t n = strlen(dev_root);

    while (n > 0 && dev_root[n - 1] == '/')
        n--;
    nvd_buf_printf(b, "%s{\"path\": %s", indent, quoted_path);
    if (n > 0) {
        cleanup_free char *host_path = nvd_xasprintf("%.*s%s", (int)n, dev_root, path);
        cleanup_free char *quoted_host = nvd_json_quote(host_path);
        nvd_buf_printf(b, ", \"hostPath\": %s", quoted_host);
    }
    nvd_buf_puts(b, "}");
}

/* Append a "deviceNodes" array of paths at the given indent. */
static void render_nodes(struct nvd_buf *b, const char *indent, const char *dev_root,
                         const char *const *paths, size_t count)
{
    cleanup_free char *inner = nvd_xasprintf("%s  ", indent);

    nvd_buf_printf(b, "%s\"deviceNodes\": [\n", indent);
    for (size_t i = 0; i < count; i++) {
        render_node(b, inner, dev_root, paths[i]);
        nvd_buf_puts(b, i + 1 < count ? ",\n" : "\n");
    }
    nvd_buf_printf(b, "%s]", indent);
}

static char *cdi_spec_render(const struct cdi_spec *spec, const char *volume_dir)
{
    const char *dev_root = spec->common.dev_root;
    struct nvd_buf b = {0};

    nvd_buf_puts(&b, "{\n  \"cdiVersion\": \"" CDI_VERSION "\",\n");
    nvd_buf_puts(&b, "  \"kind\": \"" NVD_CDI_KIND "\",\n  \"devices\": [\n");
    for (size_t i = 0; i < spec->device_count; i++) {
        const struct cdi_device *dev = &spec->devices[i];
        cleanup_free char *name = nvd_json_quote(dev->name);

        nvd_buf_printf(&b, "    {\n      \"name\": %s,\n      \"containerEdits\": {\n", name);
        render_nodes(&b, "        ", dev_root, (const char *const *)dev->nodes, dev->node_count);
        nvd_buf_puts(&b, i + 1 < spec->device_count ? "\n      }\n    },\n" : "\n      }\n    }\n");
    }
    nvd_buf_puts(&b, "  ],\n  \"containerEdits\": {\n");

    /*
     * NVIDIA_VISIBLE_DEVICES=void keeps NVIDIA's container toolkit hook,
     * where a host has one, from adding every GPU to a CUDA image that sets
     * NVIDIA_VISIBLE_DEVICES=all, which would undo the device selection.
     * PATH and LD_LIBRARY_PATH stay the image's: CUDA images already list
     * /usr/local/nvidia/bin and /usr/local/nvidia/lib64, and a spec's env
     * replaces a variable of the same name.
     */
    nvd_buf_puts(&b, "    \"env\": [\n      \"NVIDIA_VISIBLE_DEVICES=void\"\n    ],\n");

    size_t common_count = spec->common.device_count + spec->extra_count;
    cleanup_free const char **common = nvd_xcalloc(common_count + 1, sizeof(*common));
    for (size_t i = 0; i < spec->common.device_count; i++)
        common[i] = spec->common.devices[i];
    for (size_t i = 0; i < spec->extra_count; i++)
        common[spec->common.device_count + i] = spec->extra[i];
    render_nodes(&b, "    ", dev_root, common, common_count);

    cleanup_free char *host_dir = nvd_json_quote(volume_dir);
    nvd_buf_printf(&b,
                   ",\n    \"mounts\": [\n"
                   "      {\"hostPath\": %s, \"containerPath\": \"" NVD_MOUNT_POINT "\", "
                   "\"type\": \"bind\", \"options\": [\"ro\", \"nosuid\", \"nodev\", \"bind\"]}\n"
                   "    ]\n  }\n}\n",
                   host_dir);
    return nvd_buf_steal(&b);
}

char *nvd_render_cdi_spec(const struct nvd_host *host, const char *volume_dir, nvd_error **err)
{
    struct cdi_spec spec = {0};
    char *text = NULL;

    if (cdi_spec_build(&spec, host, err) == 0)
        text = cdi_spec_render(&spec, volume_dir);
    cdi_spec_clear(&spec);
    return text;
}

char *nvd_cdi_generate(const struct nvd_host *host, const char *volumes_dir, nvd_error **err)
{
    if (nvd_volume_create(host, volumes_dir, err) < 0)
        return NULL;

    cleanup_free char *volume_dir = nvd_volume_path(volumes_dir, host->driver_version);
    return nvd_render_cdi_spec(host, volume_dir, err);
}

/* Write all of text to fd. */
static int write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        text += n;
        len -= (size_t)n;
    }
    return 0;
}

int nvd_cdi_write(const char *dir, const char *spec, nvd_error **err)
{
    cleanup_free char *path = nvd_path_join(dir, "/" NVD_CDI_SPEC_FILE);
    /* Runtimes read only *.json and *.yaml, so they never see the temporary file. */
    cleanup_free char *tmp = nvd_path_join(dir, "/." NVD_CDI_SPEC_FILE ".XXXXXX");
    cleanup_close int fd = -1;
    cleanup_close int dir_fd = -1;

    if (nvd_mkdir_parents(dir, 0755, err) < 0)
        return nvd_error_wrap(err, "failed to write the CDI spec to %s", dir);
    fd = mkstemp(tmp);
    if (fd < 0)
        return nvd_error_sys(err, errno, "failed to write the CDI spec: cannot create a file in %s",
                             dir);
    if (fchmod(fd, 0644) < 0 || write_all(fd, spec, strlen(spec)) < 0 || fsync(fd) < 0) {
        int saved = errno;
        unlink(tmp);
        return nvd_error_sys(err, saved, "failed to write the CDI spec %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        return nvd_error_sys(err, saved, "failed to rename %s to %s", tmp, path);
    }
    /* The rename itself is durable once the directory is synced. */
    dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0)
        fsync(dir_fd);
    return 0;
}

int nvd_cdi_remove(const char *dir, nvd_error **err)
{
    cleanup_free char *path = nvd_path_join(dir, "/" NVD_CDI_SPEC_FILE);

    if (unlink(path) < 0 && errno != ENOENT)
        return nvd_error_sys(err, errno, "failed to remove the CDI spec %s", path);
    return 0;
}
