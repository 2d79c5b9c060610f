/*
 * mig.c: discovers the MIG devices of a GPU in MIG mode through NVML. A
 * driver without NVML's MIG entry points (before R450) has no MIG, which
 * is not an error.
 */
#include <stdio.h>
#include <string.h>

#include "mig.h"
#include "util.h"

/*
 * The minors that NVIDIA's driver gives the MIG capability nodes
 * /dev/nvidia-caps/nvidia-cap<N>, as /proc/driver/nvidia-caps/mig-minors
 * lists them: 1 is "config", 2 "monitor", then for each GPU minor g and
 * each of its 15 possible GPU instance ids i come "gpu<g>/gi<i>/access"
 * and "gpu<g>/gi<i>/ci<c>/access" for the 8 compute instance ids c.
 * NOTE: computed, not read from mig-minors. Checked against the minors of
 * GPU 0 (GPU instances 1, 2, 3 and 9) in published examples only; the
 * minors of other GPUs assume that the table keeps this layout.
 */
#define MIG_CAPS_FIRST 3
#define MIG_GPU_INSTANCES_PER_GPU 15
#define MIG_COMPUTE_INSTANCES_PER_GPU_INSTANCE 8

unsigned nvd_mig_gi_cap_minor(unsigned gpu_minor, unsigned gpu_instance)
{
    unsigned per_gi = 1 + MIG_COMPUTE_INSTANCES_PER_GPU_INSTANCE;

    return MIG_CAPS_FIRST + (gpu_minor * MIG_GPU_INSTANCES_PER_GPU + gpu_instance) * per_gi;
}

unsigned nvd_mig_ci_cap_minor(unsigned gpu_minor, unsigned gpu_instance, unsigned compute_instance)
{
    return nvd_mig_gi_cap_minor(gpu_minor, gpu_instance) + 1 + compute_instance;
}

void nvd_mig_profile_name(unsigned gi_slices, unsigned ci_slices, unsigned long long memory_mib,
                          char *out, size_t size)
{
    unsigned long long gb = (memory_mib + 1023) / 1024;

    if (ci_slices < gi_slices)
        snprintf(out, size, "%uc.%ug.%llugb", ci_slices, gi_slices, gb);
    else
        snprintf(out, size, "%ug.%llugb", gi_slices, gb);
}

/* Read the MIG device `handle`, at MIG index `index` of gpu, into mig. */
static int read_mig_device(struct nvd_nvml *nvml, const struct nvd_gpu *gpu, nvmlDevice_t handle,
                           unsigned index, struct nvd_mig_device *mig, nvd_error **err)
{
    nvmlDeviceAttributes_t attributes;
    unsigned gi, ci;
    nvmlReturn_t ret;

    memset(mig, 0, sizeof(*mig));
    mig->index = index;
    mig->memory_mib = NVD_UNKNOWN;

    ret = NVD_NVML_CALL(nvml, nvmlDeviceGetUUID, handle, mig->uuid, sizeof(mig->uuid));
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "read the UUID of MIG device %u:%u", gpu->index, index);
    mig->uuid[sizeof(mig->uuid) - 1] = '\0';

    ret = NVD_NVML_CALL(nvml, nvmlDeviceGetGpuInstanceId, handle, &gi);
    if (ret == NVML_SUCCESS)
        ret = NVD_NVML_CALL(nvml, nvmlDeviceGetComputeInstanceId, handle, &ci);
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "read the instance ids of MIG device %u:%u",
                              gpu->index, index);
    if (gi >= MIG_GPU_INSTANCES_PER_GPU || ci >= MIG_COMPUTE_INSTANCES_PER_GPU_INSTANCE)
        return nvd_error_set(err, NVD_ERR_DRIVER,
                             "MIG device %u:%u has GPU instance %u and compute instance %u: "
                             "nvd knows ids up to %d and %d",
                             gpu->index, index, gi, ci, MIG_GPU_INSTANCES_PER_GPU - 1,
                             MIG_COMPUTE_INSTANCES_PER_GPU_INSTANCE - 1);
    mig->gpu_instance = gi;
    mig->compute_instance = ci;
    mig->gi_cap_minor = nvd_mig_gi_cap_minor(gpu->minor, gi);
    mig->ci_cap_minor = nvd_mig_ci_cap_minor(gpu->minor, gi, ci);

    /* The profile name and memory size are optional: without them the device still works. */
    ret = NVD_NVML_CALL(nvml, nvmlDeviceGetAttributes_v2, handle, &attributes);
    if (ret == NVML_SUCCESS) {
        nvd_mig_profile_name(attributes.gpuInstanceSliceCount, attributes.computeInstanceSliceCount,
                             attributes.memorySizeMB, mig->profile, sizeof(mig->profile));
        mig->memory_mib = (long long)attributes.memorySizeMB;
    } else if (ret != NVML_ERROR_NOT_SUPPORTED) {
        nvd_log_error("MIG device %u:%u: its profile and memory are N/A: nvml: %s", gpu->index,
                      index, nvml->api.nvmlErrorString(ret));
    }
    return 0;
}

void nvd_mig_read(struct nvd_nvml *nvml, struct nvd_gpu *gpu)
{
    nvmlDevice_t dev;
    unsigned current, pending, max_count = 0;
    nvmlReturn_t ret;

    gpu->mig_mode = -1;
    ret = nvml->api.nvmlDeviceGetHandleByUUID(gpu->uuid, &dev);
    if (ret == NVML_SUCCESS)
        ret = NVD_NVML_CALL(nvml, nvmlDeviceGetMigMode, dev, &current, &pending);
    if (ret == NVML_ERROR_NOT_SUPPORTED)
        return;
    if (ret != NVML_SUCCESS) {
        nvd_log_error("GPU %u is reported without MIG devices: its MIG mode: nvml: %s",
                      gpu->index, nvml->api.nvmlErrorString(ret));
        return;
    }
    gpu->mig_mode = current == NVML_DEVICE_MIG_ENABLE;
    if (!gpu->mig_mode)
        return;

    ret = NVD_NVML_CALL(nvml, nvmlDeviceGetMaxMigDeviceCount, dev, &max_count);
    if (ret != NVML_SUCCESS) {
        nvd_log_error("GPU %u is reported without MIG devices: its MIG device count: nvml: %s",
                      gpu->index, nvml->api.nvmlErrorString(ret));
        return;
    }
    if (max_count > NVD_MIG_DEVICES_MAX) {
        nvd_log_error("GPU %u is reported without MIG devices: NVML reports up to %u of them, "
                      "more than the %d that nvd supports",
                      gpu->index, max_count, NVD_MIG_DEVICES_MAX);
        return;
    }

    gpu->migs = nvd_xcalloc(max_count ? max_count : 1, sizeof(*gpu->migs));
    for (unsigned m = 0; m < max_count; m++) {
        cleanup_error nvd_error *error = NULL;
        nvmlDevice_t handle;

        /* MIG indexes may have gaps: NVML reports an empty one as not found. */
        ret = NVD_NVML_CALL(nvml, nvmlDeviceGetMigDeviceHandleByIndex, dev, m, &handle);
        if (ret == NVML_ERROR_NOT_FOUND)
            continue;
        if (ret != NVML_SUCCESS) {
            nvd_log_error("MIG device %u:%u is left out: nvml: %s", gpu->index, m,
                          nvml->api.nvmlErrorString(ret));
            continue;
        }
        if (read_mig_device(nvml, gpu, handle, m, &gpu->migs[gpu->mig_count], &error) < 0) {
            nvd_log_error("MIG device %u:%u is left out: %s", gpu->index, m, error->msg);
            continue;
        }
        gpu->mig_count++;
    }
    if (gpu->mig_count == 0) {
        free(gpu->migs);
        gpu->migs = NULL;
    }
}

/*
 * Check that NVML reports the MIG devices of gpu (GPU handle dev) that
 * discovery listed: the same MIG mode, and the same UUID at each MIG index.
 * An NVML error counts as no change.
 */
static bool gpu_mig_layout_current(struct nvd_nvml *nvml, const struct nvd_gpu *gpu,
                                   nvmlDevice_t dev)
{
    unsigned current, pending, max_count;
    size_t listed = 0;

    if (NVD_NVML_CALL(nvml, nvmlDeviceGetMigMode, dev, &current, &pending) != NVML_SUCCESS)
        return true;
    if ((current == NVML_DEVICE_MIG_ENABLE) != (gpu->mig_mode == 1))
        return false;
    if (gpu->mig_mode != 1 ||
        NVD_NVML_CALL(nvml, nvmlDeviceGetMaxMigDeviceCount, dev, &max_count) != NVML_SUCCESS)
        return true;

    for (unsigned m = 0; m < max_count && m < NVD_MIG_DEVICES_MAX; m++) {
        char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
        nvmlDevice_t handle;
        nvmlReturn_t ret = NVD_NVML_CALL(nvml, nvmlDeviceGetMigDeviceHandleByIndex, dev, m, &handle);

        if (ret == NVML_ERROR_NOT_FOUND)
            continue;
        if (ret != NVML_SUCCESS ||
            nvml->api.nvmlDeviceGetUUID(handle, uuid, sizeof(uuid)) != NVML_SUCCESS)
            return true;
        if (listed >= gpu->mig_count || gpu->migs[listed].index != m ||
            strncmp(gpu->migs[listed].uuid, uuid, sizeof(uuid)) != 0)
            return false;
        listed++;
    }
    return listed == gpu->mig_count;
}

bool nvd_mig_layout_current(nvd_driver *driver, const struct nvd_host *host)
{
    struct nvd_nvml *nvml = driver->nvml;

    for (size_t i = 0; i < host->gpu_count; i++) {
        const struct nvd_gpu *gpu = &host->gpus[i];
        nvmlDevice_t dev;

        /* A GPU without MIG, or whose MIG mode discovery could not read, is left alone. */
        if (gpu->mig_mode < 0 ||
            nvml->api.nvmlDeviceGetHandleByUUID(gpu->uuid, &dev) != NVML_SUCCESS)
            continue;
        if (!gpu_mig_layout_current(nvml, gpu, dev))
            return false;
    }
    return true;
}
