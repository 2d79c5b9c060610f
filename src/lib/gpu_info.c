/*
 * gpu_info.c: reads a GPU's static properties with nvidia-docker 1.0's NVML
 * calls and CUDA attributes, and converts them to 1.0's units: W, MiB,
 * KiB, MB/s, MHz.
 */
#include <string.h>

#include "arch.h"
#include "nvml_brands.h"
#include "gpu_info.h"
#include "util.h"

/* The bandwidth of one PCIe lane per generation, in MB/s after line encoding. */
static const long long pcie_lane_mbs[] = {
    [1] = 250,      /* 2.5 GT/s, 8b/10b */
    [2] = 500,      /* 5 GT/s, 8b/10b */
    [3] = 985,      /* 8 GT/s, 128b/130b */
    [4] = 1969,     /* 16 GT/s, 128b/130b */
    [5] = 3938,     /* 32 GT/s, 128b/130b; nvidia-docker 1.0 stopped at 4 and gave 0 */
    [6] = 7563,     /* 64 GT/s, PAM4 with 242B/256B FLITs */
};


long long nvd_pcie_lane_mbs(unsigned gen)
{
    return gen < sizeof(pcie_lane_mbs) / sizeof(pcie_lane_mbs[0]) ? pcie_lane_mbs[gen] : 0;
}

const char *nvd_brand_name(nvmlBrandType_t brand)
{
    if ((unsigned)brand >= sizeof(nvml_brand_names) / sizeof(nvml_brand_names[0]))
        return "";
    return brand == NVML_BRAND_UNKNOWN ? "" : nvml_brand_names[brand];
}

void nvd_gpu_clear(struct nvd_gpu *gpu)
{
    memset(gpu, 0, sizeof(*gpu));
    gpu->power_w = NVD_UNKNOWN;
    gpu->cpu_affinity = 0;
    gpu->bar1_mib = NVD_UNKNOWN;
    gpu->pci_bandwidth_mbs = NVD_UNKNOWN;
    gpu->clock_cores_mhz = NVD_UNKNOWN;
    gpu->clock_memory_mhz = NVD_UNKNOWN;
    gpu->cores = NVD_UNKNOWN;
    gpu->ecc = -1;
    gpu->memory_mib = NVD_UNKNOWN;
    gpu->shared_kib = NVD_UNKNOWN;
    gpu->constant_kib = NVD_UNKNOWN;
    gpu->l2_kib = NVD_UNKNOWN;
    gpu->memory_bandwidth_mbs = NVD_UNKNOWN;
    gpu->mig_mode = -1;
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

/*
 * Return whether an optional NVML query of gpu succeeded. "Not supported"
 * is expected and silent; any other error is logged. Either way the value
 * stays unknown.
 */
static bool value_read(const struct nvd_nvml *nvml, const struct nvd_gpu *gpu, const char *value,
                       const char *call, nvmlReturn_t ret)
{
    if (ret == NVML_SUCCESS)
        return true;
    if (ret != NVML_ERROR_NOT_SUPPORTED) {
        cleanup_error nvd_error *error = NULL;
        nvd_nvml_error(nvml, ret, &error, "cannot read the %s of GPU %u (%s) with %s", value,
                       gpu->index, gpu->busid, call);
        nvd_log_error("%s; it is reported as N/A", error->msg);
    }
    return false;
}

/* Read the GPU's identity: UUID, minor number and bus id. */
static int read_identity(struct nvd_nvml *nvml, nvmlDevice_t dev, struct nvd_gpu *gpu,
                         nvd_error **err)
{
    const struct nvd_nvml_api *api = &nvml->api;
    nvmlPciInfo_t pci;
    nvmlReturn_t ret;
    const char *call = "nvmlDeviceGetUUID";

    ret = api->nvmlDeviceGetUUID(dev, gpu->uuid, sizeof(gpu->uuid));
    if (ret == NVML_SUCCESS) {
        call = "nvmlDeviceGetMinorNumber";
        ret = api->nvmlDeviceGetMinorNumber(dev, &gpu->minor);
    }
    if (ret == NVML_SUCCESS) {
        call = "nvmlDeviceGetPciInfo_v3";
        ret = api->nvmlDeviceGetPciInfo_v3(dev, &pci);
    }
    if (ret == NVML_ERROR_NOT_SUPPORTED)
        return nvd_error_set(err, NVD_ERR_UNSUPPORTED,
                             "unsupported GPU device: GPU %u has no UUID, minor number or PCI bus id (%s: not supported)",
                             gpu->index, call);
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "read GPU %u with %s", gpu->index, call);

    gpu->uuid[sizeof(gpu->uuid) - 1] = '\0';
    pci.busId[sizeof(pci.busId) - 1] = '\0';
    normalize_busid(pci.busId, gpu->busid, sizeof(gpu->busid));
    return 0;
}

/* Read the name and the brand. */
static void read_model(struct nvd_nvml *nvml, nvmlDevice_t dev, struct nvd_gpu *gpu)
{
    nvmlBrandType_t brand;

    if (!value_read(nvml, gpu, "name", "nvmlDeviceGetName",
                    nvml->api.nvmlDeviceGetName(dev, gpu->name, sizeof(gpu->name))))
        gpu->name[0] = '\0';
    gpu->name[sizeof(gpu->name) - 1] = '\0';

    if (value_read(nvml, gpu, "brand", "nvmlDeviceGetBrand",
                   NVD_NVML_CALL(nvml, nvmlDeviceGetBrand, dev, &brand)))
        snprintf(gpu->brand, sizeof(gpu->brand), "%s", nvd_brand_name(brand));
}

/* Read the power limit, the BAR1 size and the PCIe bandwidth. */
static void read_power_pci(struct nvd_nvml *nvml, nvmlDevice_t dev, struct nvd_gpu *gpu)
{
    unsigned int milliwatts, gen, width;
    nvmlBAR1Memory_t bar1;

    if (value_read(nvml, gpu, "power limit", "nvmlDeviceGetPowerManagementLimit",
                   NVD_NVML_CALL(nvml, nvmlDeviceGetPowerManagementLimit, dev, &milliwatts)))
        gpu->power_w = milliwatts / 1000;
    if (value_read(nvml, gpu, "BAR1 size", "nvmlDeviceGetBAR1MemoryInfo",
                   NVD_NVML_CALL(nvml, nvmlDeviceGetBAR1MemoryInfo, dev, &bar1)))
        gpu->bar1_mib = (long long)(bar1.bar1Total >> 20);

    /* As in 1.0, the width is read only when the generation is supported. */
    if (!value_read(nvml, gpu, "PCIe generation", "nvmlDeviceGetMaxPcieLinkGeneration",
                    NVD_NVML_CALL(nvml, nvmlDeviceGetMaxPcieLinkGeneration, dev, &gen)) ||
        !value_read(nvml, gpu, "PCIe width", "nvmlDeviceGetMaxPcieLinkWidth",
                    NVD_NVML_CALL(nvml, nvmlDeviceGetMaxPcieLinkWidth, dev, &width)))
        return;
    /* NOTE: a generation after 6 is reported as N/A until pcie_lane_mbs has its lane rate. */
    if (nvd_pcie_lane_mbs(gen) > 0)
        gpu->pci_bandwidth_mbs = nvd_pcie_lane_mbs(gen) * width;
}

/* Read the maximum SM and memory clocks; SM "not supported" leaves both unknown, as in 1.0. */
static void read_max_clocks(struct nvd_nvml *nvml, nvmlDevice_t dev, struct nvd_gpu *gpu)
{
    unsigned int mhz;

    if (!value_read(nvml, gpu, "maximum SM clock", "nvmlDeviceGetMaxClockInfo",
                    NVD_NVML_CALL(nvml, nvmlDeviceGetMaxClockInfo, dev, NVML_CLOCK_SM, &mhz)))
        return;
    gpu->clock_cores_mhz = mhz;
    if (value_read(nvml, gpu, "maximum memory clock", "nvmlDeviceGetMaxClockInfo",
                   NVD_NVML_CALL(nvml, nvmlDeviceGetMaxClockInfo, dev, NVML_CLOCK_MEM, &mhz)))
        gpu->clock_memory_mhz = mhz;
}

int nvd_gpu_info_read(struct nvd_nvml *nvml, unsigned index, struct nvd_gpu *gpu,
                      nvd_error **err)
{
    nvmlDevice_t dev;
    nvmlReturn_t ret;

    nvd_gpu_clear(gpu);
    gpu->index = index;
    ret = nvml->api.nvmlDeviceGetHandleByIndex_v2(index, &dev);
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "get the handle of GPU %u", index);
    if (read_identity(nvml, dev, gpu, err) < 0)
        return -1;

    read_model(nvml, dev, gpu);
    read_power_pci(nvml, dev, gpu);
    read_max_clocks(nvml, dev, gpu);
    return 0;
}

void nvd_gpu_info_apply_cuda(struct nvd_gpu *gpu, const struct nvd_cuda_device *device)
{
    const long long *value = device->attributes;
    long long major = value[NVD_CUDA_COMPUTE_MAJOR];
    long long minor = value[NVD_CUDA_COMPUTE_MINOR];

    if (major >= 0 && major < 100 && minor >= 0 && minor < 100) {
        const char *family = nvd_arch_family((int)major, (int)minor);
        int cores_per_sm = nvd_arch_cores_per_sm((int)major, (int)minor);

        snprintf(gpu->arch, sizeof(gpu->arch), "%d.%d", (int)major, (int)minor);
        snprintf(gpu->family, sizeof(gpu->family), "%s", family ? family : "");
        if (cores_per_sm > 0 && value[NVD_CUDA_MULTIPROCESSORS] >= 0)
            gpu->cores = value[NVD_CUDA_MULTIPROCESSORS] * cores_per_sm;
    }
    if (value[NVD_CUDA_ECC_ENABLED] >= 0)
        gpu->ecc = value[NVD_CUDA_ECC_ENABLED] != 0;
    if (device->total_memory_bytes >= 0)
        gpu->memory_mib = device->total_memory_bytes >> 20;
    if (value[NVD_CUDA_SHARED_MEMORY_PER_SM_BYTES] >= 0)
        gpu->shared_kib = value[NVD_CUDA_SHARED_MEMORY_PER_SM_BYTES] / 1024;
    if (value[NVD_CUDA_CONSTANT_MEMORY_BYTES] >= 0)
        gpu->constant_kib = value[NVD_CUDA_CONSTANT_MEMORY_BYTES] / 1024;
    if (value[NVD_CUDA_L2_CACHE_BYTES] >= 0)
        gpu->l2_kib = value[NVD_CUDA_L2_CACHE_BYTES] / 1024;

    /* Two transfers per clock (DDR), each truncated step as in 1.0. */
    long long clock_khz = value[NVD_CUDA_MEMORY_CLOCK_KHZ];
    long long bus_bits = value[NVD_CUDA_MEMORY_BUS_WIDTH_BITS];
    if (clock_khz >= 0 && bus_bits >= 0)
        gpu->memory_bandwidth_mbs = 2 * (clock_khz / 1000) * (bus_bits / 8);
}
