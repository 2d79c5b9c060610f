/*
 * docker_args.c: the device nodes and driver volume that a container needs
 * for a selection of GPUs and MIG devices, and the --device arguments that
 * carry them. A MIG device brings its GPU's node and the capability nodes
 * of its GPU and compute instances; each node is listed once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* Control nodes in 1.0's order; optional ones are listed only if present. */
static const struct {
    const char *path;
    bool optional;
} control_nodes[] = {
    { "/dev/nvidiactl", false },        /* the driver's control device */
    { "/dev/nvidia-uvm", false },       /* unified memory, needed by CUDA */
    { "/dev/nvidia-uvm-tools", true },  /* UVM profiling; absent on old drivers */
};

/* Append path to args unless it is there already; it takes path over. */
static void add_device(struct nvd_docker_args *args, char *path)
{
    for (size_t i = 0; i < args->device_count; i++) {
        if (strcmp(args->devices[i], path) == 0) {
            free(path);
            return;
        }
    }
    args->devices[args->device_count++] = path;
}

bool nvd_dev_node_exists(const char *dev_root, const char *path)
{
    cleanup_free char *full = nvd_path_join(dev_root, path);
    struct stat st;

    return stat(full, &st) == 0;
}

int nvd_docker_args_collect(const struct nvd_host *host, const struct nvd_selection *sel,
                            struct nvd_docker_args *out, nvd_error **err)
{
    size_t ncontrol = sizeof(control_nodes) / sizeof(control_nodes[0]);
    struct nvd_docker_args args = { 0 };

    args.dev_root = nvd_xstrdup(host->dev_root);
    /* A MIG device needs three nodes: its GPU's and two capability nodes. */
    args.devices = nvd_xcalloc(ncontrol + 3 * sel->count, sizeof(*args.devices));
    args.volumes = nvd_xcalloc(1, sizeof(*args.volumes));

    if (sel->mode != NVD_SELECT_VOID) {
        for (size_t i = 0; i < ncontrol; i++) {
            if (control_nodes[i].optional && !nvd_dev_node_exists(host->dev_root, control_nodes[i].path))
                continue;
            args.devices[args.device_count++] = nvd_xstrdup(control_nodes[i].path);
        }
        for (size_t i = 0; sel->mode == NVD_SELECT_GPUS && i < sel->count; i++) {
            if (sel->gpus[i] >= host->gpu_count) {
                nvd_docker_args_clear(&args);
                return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: index %zu", sel->gpus[i]);
            }
            const struct nvd_gpu *gpu = &host->gpus[sel->gpus[i]];
            size_t mig = sel->migs ? sel->migs[i] : NVD_SELECT_WHOLE_GPU;
            if (mig != NVD_SELECT_WHOLE_GPU && mig >= gpu->mig_count) {
                nvd_docker_args_clear(&args);
                return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: GPU %u, MIG index %zu",
                                     gpu->index, mig);
            }
            add_device(&args, nvd_xasprintf("/dev/nvidia%u", gpu->minor));
            if (mig != NVD_SELECT_WHOLE_GPU) {
                add_device(&args, nvd_xasprintf("/dev/nvidia-caps/nvidia-cap%u",
                                                gpu->migs[mig].gi_cap_minor));
                add_device(&args, nvd_xasprintf("/dev/nvidia-caps/nvidia-cap%u",
                                                gpu->migs[mig].ci_cap_minor));
            }
        }
        args.volumes[args.volume_count++] =
            nvd_xasprintf("%s_%s", NVD_VOLUME_BASE, host->driver_version);
    }
    *out = args;
    return 0;
}

void nvd_docker_args_clear(struct nvd_docker_args *args)
{
    for (size_t i = 0; i < args->device_count; i++)
        free(args->devices[i]);
    for (size_t i = 0; i < args->volume_count; i++)
        free(args->volumes[i]);
    free(args->devices);
    free(args->volumes);
    free(args->dev_root);
    memset(args, 0, sizeof(*args));
}

int nvd_format_device_arg(const char *dev_root, const char *device, char *buf, size_t size)
{
    size_t n = strlen(dev_root);
    int len;

    while (n > 0 && dev_root[n - 1] == '/')
        n--;
    if (n == 0)
        len = snprintf(buf, size, "--device=%s", device);
    else
        len = snprintf(buf, size, "--device=%.*s%s:%s", (int)n, dev_root, device, device);
    return len < 0 || (size_t)len >= size ? -1 : len;
}
