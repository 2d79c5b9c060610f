/*
 * host.c: discovers the driver and its GPUs under a driver root through
 * NVML, and keeps the static data that requests need.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ldcache.h"
#include "nvml.h"
#include "util.h"

#define NVML_SONAME "libnvidia-ml.so.1"

/* Check that a root is an absolute path to a directory. */
static int check_root(const char *what, const char *root, nvd_error **err)
{
    struct stat st;

    if (root[0] != '/')
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid %s '%s': use an absolute path", what, root);
    if (stat(root, &st) < 0)
        return nvd_error_sys(err, errno, "invalid %s '%s'", what, root);
    if (!S_ISDIR(st.st_mode))
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid %s '%s': not a directory", what, root);
    return 0;
}

/*
 * Copy NVML's bus id in the 1.0 form "0000:05:00.0": current drivers report
 * an eight-digit domain ("00000000:05:00.0") whose upper half is zero.
 */
static void normalize_busid(const char *in, char *out, size_t size)
{
    if (strlen(in) > 9 && in[8] == ':' && strncmp(in, "0000", 4) == 0)
        in += 4;
    snprintf(out, size, "%s", in);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
}

/* Read the static properties of the GPU at index. */
static int read_gpu(struct nvd_nvml *nvml, unsigned index, struct nvd_gpu *gpu, nvd_error **err)
{
    const struct nvd_nvml_api *api = &nvml->api;
    nvmlDevice_t dev;
    nvmlPciInfo_t pci;
    nvmlReturn_t ret;

    gpu->index = index;
    ret = api->nvmlDeviceGetHandleByIndex_v2(index, &dev);
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "get GPU %u", index);

    ret = api->nvmlDeviceGetUUID(dev, gpu->uuid, sizeof(gpu->uuid));
    if (ret == NVML_SUCCESS)
        ret = api->nvmlDeviceGetMinorNumber(dev, &gpu->minor);
    if (ret == NVML_SUCCESS)
        ret = api->nvmlDeviceGetPciInfo_v3(dev, &pci);
    if (ret == NVML_ERROR_NOT_SUPPORTED)
        return nvd_error_set(err, NVD_ERR_UNSUPPORTED,
                             "unsupported GPU device: GPU %u has no UUID, minor number or PCI bus id", index);
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "read GPU %u", index);
    pci.busId[sizeof(pci.busId) - 1] = '\0';
    normalize_busid(pci.busId, gpu->busid, sizeof(gpu->busid));
    gpu->uuid[sizeof(gpu->uuid) - 1] = '\0';

    ret = api->nvmlDeviceGetName(dev, gpu->name, sizeof(gpu->name));
    if (ret == NVML_ERROR_NOT_SUPPORTED)
        gpu->name[0] = '\0';
    else if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "read the name of GPU %u", index);
    gpu->name[sizeof(gpu->name) - 1] = '\0';
    return 0;
}

/* Read the driver and CUDA versions. */
static int read_versions(struct nvd_nvml *nvml, struct nvd_host *host, nvd_error **err)
{
    nvmlReturn_t ret;
    int cuda = 0;

    ret = nvml->api.nvmlSystemGetDriverVersion(host->driver_version, sizeof(host->driver_version));
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "read the driver version");
    host->driver_version[sizeof(host->driver_version) - 1] = '\0';

    /* TODO: fall back to cuDriverGetVersion from libcuda.so.1 for drivers before 410. */
    if (nvml->api.nvmlSystemGetCudaDriverVersion &&
        nvml->api.nvmlSystemGetCudaDriverVersion(&cuda) == NVML_SUCCESS && cuda > 0)
        snprintf(host->cuda_version, sizeof(host->cuda_version), "%d.%d", cuda / 1000, (cuda % 100) / 10);
    return 0;
}

/* Enumerate the GPUs in NVML order. */
static int read_gpus(struct nvd_nvml *nvml, struct nvd_host *host, nvd_error **err)
{
    unsigned count = 0;
    nvmlReturn_t ret = nvml->api.nvmlDeviceGetCount_v2(&count);

    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "count the GPUs");
    if (count > 4096)
        return nvd_error_set(err, NVD_ERR_DRIVER, "NVML reports %u GPUs: more than nvd supports", count);
    host->gpus = nvd_xcalloc(count, sizeof(*host->gpus));
    for (unsigned i = 0; i < count; i++) {
        if (read_gpu(nvml, i, &host->gpus[i], err) < 0)
            return -1;
        host->gpu_count++;
    }
    return 0;
}

/* The driver connection behind the nvd_driver handle. */
struct nvd_driver {
    struct nvd_nvml *nvml;
};

nvd_driver *nvd_driver_open(const char *driver_root, nvd_error **err)
{
    cleanup_free char *nvml_path = NULL;
    struct nvd_nvml *nvml;

    if (check_root("driver root", driver_root, err) < 0)
        return NULL;
    nvml_path = nvd_ldcache_find(driver_root, NVML_SONAME, err);
    if (!nvml_path)
        return NULL;
    nvml = nvd_nvml_open(nvml_path, err);
    if (!nvml)
        return NULL;

    nvd_driver *driver = nvd_xcalloc(1, sizeof(*driver));
    driver->nvml = nvml;
    return driver;
}

void nvd_driver_close(nvd_driver *driver)
{
    if (!driver)
        return;
    nvd_nvml_close(driver->nvml);
    free(driver);
}

struct nvd_host *nvd_host_discover_with(nvd_driver *driver, const char *driver_root,
                                        const char *dev_root, nvd_error **err)
{
    struct nvd_host *host = nvd_xcalloc(1, sizeof(*host));

    host->driver_root = nvd_xstrdup(driver_root);
    host->dev_root = nvd_xstrdup(dev_root ? dev_root : driver_root);
    if (check_root("driver root", host->driver_root, err) < 0 ||
        check_root("dev root", host->dev_root, err) < 0 ||
        read_versions(driver->nvml, host, err) < 0 ||
        read_gpus(driver->nvml, host, err) < 0) {
        nvd_host_free(host);
        return NULL;
    }
    return host;
}

struct nvd_host *nvd_host_discover(const char *driver_root, const char *dev_root, nvd_error **err)
{
    nvd_driver *driver = nvd_driver_open(driver_root, err);
    struct nvd_host *host;

    if (!driver)
        return NULL;
    host = nvd_host_discover_with(driver, driver_root, dev_root, err);
    nvd_driver_close(driver);
    return host;
}

void nvd_host_free(struct nvd_host *host)
{
    if (!host)
        return;
    free(host->driver_root);
    free(host->dev_root);
    for (size_t i = 0; i < host->gpu_count; i++)
        free(host->gpus[i].peers);
    free(host->gpus);
    free(host);
}
