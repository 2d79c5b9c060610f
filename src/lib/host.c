/*
 * host.c: discovers the driver and its GPUs under a driver root: NVML for
 * the versions and each GPU, CUDA (in a child process) for the CUDA
 * properties and peers, sysfs for the CPU affinity. It keeps the static
 * data that requests need.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cpu_affinity.h"
#include "cuda_query.h"
#include "gpu_info.h"
#include "ldcache.h"
#include "mig.h"
#include "nvml.h"
#include "topology.h"
#include "util.h"

#define NVML_SONAME "libnvidia-ml.so.1"

/* The host's sysfs. CPU affinity comes from the host, not from the driver root. */
#define SYSFS_ROOT "/sys"

/*
 * How long the CUDA query may run. cuInit takes seconds per GPU where no
 * persistence daemon keeps the driver loaded.
 * NOTE: a generous guess, not a measured bound.
 */
#define CUDA_QUERY_TIMEOUT_MS 60000

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

/* Read the driver version. */
static int read_versions(struct nvd_nvml *nvml, struct nvd_host *host, nvd_error **err)
{
    nvmlReturn_t ret;

    ret = nvml->api.nvmlSystemGetDriverVersion(host->driver_version, sizeof(host->driver_version));
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "read the driver version");
    host->driver_version[sizeof(host->driver_version) - 1] = '\0';
    return 0;
}

/*
 * Enumerate the GPUs in NVML order. A GPU whose handle or identity (UUID,
 * minor number, bus id) NVML cannot give is left out and logged, because
 * without them no container can be given the GPU, and one broken GPU must
 * not hide the others. Its nvd_gpu.index stays the NVML index, so the
 * indexes of the GPUs after it skip a number. An error on an optional
 * value only makes that value unknown (see nvd_gpu_info_read).
 */
static int read_gpus(struct nvd_nvml *nvml, struct nvd_host *host, nvd_error **err)
{
    unsigned count = 0;
    nvmlReturn_t ret = nvml->api.nvmlDeviceGetCount_v2(&count);

    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "count the GPUs");
    if (count > 4096)
        return nvd_error_set(err, NVD_ERR_DRIVER, "NVML reports %u GPUs: more than nvd supports", count);
    host->gpus = nvd_xcalloc(count ? count : 1, sizeof(*host->gpus));
    for (unsigned i = 0; i < count; i++) {
        struct nvd_gpu *gpu = &host->gpus[host->gpu_count];
        cleanup_error nvd_error *error = NULL;

        if (nvd_gpu_info_read(nvml, i, gpu, &error) < 0) {
            nvd_log_error("GPU %u is left out: %s", i, error->msg);
            nvd_gpu_clear(gpu);
            continue;
        }
        nvd_mig_read(nvml, gpu);
        host->gpu_count++;
    }
    return 0;
}

/* Apply the CUDA report to every GPU, logging why CUDA could not describe one. */
static void apply_cuda_report(struct nvd_nvml *nvml, struct nvd_host *host,
                              const struct nvd_cuda_report *report)
{
    if (report->error[0]) {
        if (host->gpu_count > 0)
            nvd_log_error("CUDA reports no GPU, so every GPU's CUDA properties are N/A: %s",
                          report->error);
        return;
    }
    for (size_t i = 0; i < host->gpu_count; i++) {
        const struct nvd_cuda_device *device = &report->devices[i];

        if (device->error[0])
            nvd_log_error("CUDA does not report GPU %u, so its CUDA properties are N/A: %s",
                          host->gpus[i].index, device->error);
        nvd_gpu_info_apply_cuda(&host->gpus[i], device);
    }
    nvd_topology_read(nvml, host, report->peers);
}

/*
 * Read each GPU's CUDA properties and peers through libcuda, and the CUDA
 * version when NVML (nvml_cuda) cannot give it (drivers before 410).
 * Without a usable libcuda these stay unknown, and the version is "0.0"
 * as in 1.0.
 */
static void read_cuda(struct nvd_nvml *nvml, struct nvd_host *host, int nvml_cuda)
{
    struct nvd_cuda_report report = { 0 };
    cleanup_error nvd_error *error = NULL;
    int version = nvml_cuda;

    host->cuda_read = true;

    if (host->gpu_count > 0 || nvml_cuda <= 0) {
        cleanup_free const char **busids = nvd_xcalloc(host->gpu_count + 1, sizeof(*busids));
        for (size_t i = 0; i < host->gpu_count; i++)
            busids[i] = host->gpus[i].busid;

        if (nvd_cuda_query(host->driver_root, busids, host->gpu_count, CUDA_QUERY_TIMEOUT_MS,
                           &report, &error) == 0) {
            apply_cuda_report(nvml, host, &report);
            if (version <= 0)
                version = report.driver_version;
        } else if (host->gpu_count > 0) {
            nvd_log_error("CUDA is unavailable, so every GPU's CUDA properties are N/A: %s",
                          error->msg);
        }
    }

    if (version <= 0) {
        nvd_log_error("the supported CUDA version is unknown and reported as 0.0, as nvidia-docker 1.0 did: "
                      "NVML does not report it, and %s",
                      error ? error->msg : "cuDriverGetVersion failed");
        version = 0;
    }
    snprintf(host->cuda_version, sizeof(host->cuda_version), "%d.%d", version / 1000,
             (version % 100) / 10);
    nvd_cuda_report_clear(&report);
}

/* Read each GPU's NUMA node from the host's sysfs. A read error is logged and gives node 0. */
static void read_cpu_affinity(struct nvd_host *host)
{
    for (size_t i = 0; i < host->gpu_count; i++) {
        struct nvd_gpu *gpu = &host->gpus[i];
        cleanup_error nvd_error *error = NULL;

        if (nvd_cpu_affinity_read(SYSFS_ROOT, gpu->busid, &gpu->cpu_affinity, &error) < 0) {
            nvd_log_error("GPU %u is reported on NUMA node 0: %s", gpu->index, error->msg);
            gpu->cpu_affinity = 0;
        }
    }
}

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

struct nvd_host *nvd_host_discover_nvml(nvd_driver *driver, const char *driver_root,
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
    read_cpu_affinity(host);
    return host;
}

void nvd_host_read_cuda(nvd_driver *driver, struct nvd_host *host)
{
    int nvml_cuda;

    if (host->cuda_read)
        return;
    if (NVD_NVML_CALL(driver->nvml, nvmlSystemGetCudaDriverVersion, &nvml_cuda) != NVML_SUCCESS)
        nvml_cuda = 0;
    read_cuda(driver->nvml, host, nvml_cuda);
}

struct nvd_host *nvd_host_discover_with(nvd_driver *driver, const char *driver_root,
                                        const char *dev_root, nvd_error **err)
{
    struct nvd_host *host = nvd_host_discover_nvml(driver, driver_root, dev_root, err);

    if (host)
        nvd_host_read_cuda(driver, host);
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
    for (size_t i = 0; i < host->gpu_count; i++) {
        free(host->gpus[i].peers);
        free(host->gpus[i].migs);
    }
    free(host->gpus);
    free(host);
}
