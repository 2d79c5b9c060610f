/*
 * cuda_double.c: a test double of NVIDIA's libcuda.so.1, the CUDA driver
 * API. It defines every entry point of cuda_abi.h and returns values from
 * the profile that nvd-sim embedded in the file. It needs nothing but glibc.
 *
 * CUDA's devices are the GPUs whose device node exists and whose profile
 * has CUDA properties ("cuda" is not null), numbered in profile (PCI) order. Like
 * CUDA, it honours CUDA_VISIBLE_DEVICES, but only in its index form.
 *
 * Built with -fvisibility=hidden, and the CUDA declarations are made
 * default below, so that only CUDA's names are exported.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC visibility push(default)
#include "cuda_abi.h"
#pragma GCC visibility pop

#include "embedded_profile.h"

/*
 * Every exported function, referenced here so that linking the double with
 * -z defs fails if one in cuda_abi.h is missing.
 */
#define SIM_CUDA_REFERENCE(name, ret, params) (void (*)(void))name,
__attribute__((used)) static void (*const exported_functions[])(void) = {
    NVD_CUDA_FUNCTIONS(SIM_CUDA_REFERENCE)
};
#undef SIM_CUDA_REFERENCE

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;              /* cuInit succeeded */
static unsigned device_count;
static const struct sim_gpu *devices[SIM_MAX_GPUS];   /* by CUDA ordinal */

/* Return whether the profile gives gpu CUDA properties. */
static int has_cuda(const struct sim_gpu *gpu)
{
    return gpu->compute_capability_major != SIM_UNSUPPORTED;
}

/*
 * Apply CUDA_VISIBLE_DEVICES to the candidate GPUs: keep the ones at the
 * listed indexes, in the listed order, up to the first entry that is not a
 * valid index, as CUDA does. Return the new count.
 */
static unsigned apply_visible_devices(const char *list, const struct sim_gpu **gpus,
                                      unsigned count)
{
    const struct sim_gpu *chosen[SIM_MAX_GPUS];
    unsigned chosen_count = 0;
    const char *p = list;

    while (*p && chosen_count < SIM_MAX_GPUS) {
        char *end;
        unsigned long index;

        while (isspace((unsigned char)*p))
            p++;
        if (!isdigit((unsigned char)*p))
            break;
        index = strtoul(p, &end, 10);
        if (index >= count)
            break;
        chosen[chosen_count++] = gpus[index];
        p = end;
        while (isspace((unsigned char)*p))
            p++;
        if (*p != ',')
            break;
        p++;
    }
    memcpy(gpus, chosen, chosen_count * sizeof(*chosen));
    return chosen_count;
}

/* Fail unless cuInit succeeded. */
static CUresult check_initialized(void)
{
    return __atomic_load_n(&initialized, __ATOMIC_ACQUIRE) ? CUDA_SUCCESS
                                                           : CUDA_ERROR_NOT_INITIALIZED;
}

/* Find the GPU of ordinal dev, or NULL. */
static const struct sim_gpu *find_device(CUdevice dev)
{
    if (dev < 0 || (unsigned)dev >= device_count)
        return NULL;
    return devices[dev];
}

/* Number the CUDA-visible GPUs on the first call; later calls return the first result. */
CUresult cuInit(unsigned int flags)
{
    static CUresult result = CUDA_ERROR_NOT_INITIALIZED;
    const struct sim_blob *blob = sim_embedded_profile();

    if (flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    pthread_mutex_lock(&init_lock);
    if (result == CUDA_ERROR_NOT_INITIALIZED) {
        char dev_dir[4096];
        uint32_t visible[SIM_MAX_GPUS];

        if (!blob->configured) {
            result = CUDA_ERROR_UNKNOWN;
        } else if (sim_find_dev_dir(dev_dir, sizeof(dev_dir)) != 0) {
            result = CUDA_ERROR_NO_DEVICE;
        } else {
            unsigned count = sim_list_visible_gpus(blob, dev_dir, visible);
            for (unsigned i = 0; i < count; i++) {
                if (has_cuda(&blob->gpus[visible[i]]))
                    devices[device_count++] = &blob->gpus[visible[i]];
            }
            const char *list = getenv("CUDA_VISIBLE_DEVICES");
            if (list)
                device_count = apply_visible_devices(list, devices, device_count);
            result = device_count > 0 ? CUDA_SUCCESS : CUDA_ERROR_NO_DEVICE;
        }
        if (result == CUDA_SUCCESS)
            __atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&init_lock);
    return result;
}

/* Store the profile's CUDA version (12.4 is 12040). Works without cuInit, as CUDA's does. */
CUresult cuDriverGetVersion(int *driverVersion)
{
    const struct sim_blob *blob = sim_embedded_profile();

    if (!driverVersion)
        return CUDA_ERROR_INVALID_VALUE;
    if (!blob->configured)
        return CUDA_ERROR_UNKNOWN;
    *driverVersion = (int)blob->cuda_version;
    return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char **pStr)
{
    if (!pStr)
        return CUDA_ERROR_INVALID_VALUE;
    switch (error) {
    case CUDA_SUCCESS: *pStr = "no error"; break;
    case CUDA_ERROR_INVALID_VALUE: *pStr = "invalid argument"; break;
    case CUDA_ERROR_OUT_OF_MEMORY: *pStr = "out of memory"; break;
    case CUDA_ERROR_NOT_INITIALIZED: *pStr = "initialization error"; break;
    case CUDA_ERROR_DEINITIALIZED: *pStr = "driver shutting down"; break;
    case CUDA_ERROR_STUB_LIBRARY: *pStr = "CUDA driver is a stub library"; break;
    case CUDA_ERROR_NO_DEVICE: *pStr = "no CUDA-capable device is detected"; break;
    case CUDA_ERROR_INVALID_DEVICE: *pStr = "invalid device ordinal"; break;
    case CUDA_ERROR_NOT_FOUND: *pStr = "named symbol not found"; break;
    case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
        *pStr = "system has unsupported display driver / cuda driver combination";
        break;
    case CUDA_ERROR_UNKNOWN: *pStr = "unknown error"; break;
    default:
        *pStr = NULL;
        return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

/* Parse exactly len hex digits of s (either case) into *out. */
static int parse_hex(const char *s, size_t len, unsigned *out)
{
    unsigned value = 0;

    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return -1;
        value = value << 4 | (unsigned)(isdigit((unsigned char)s[i])
                                            ? s[i] - '0'
                                            : tolower((unsigned char)s[i]) - 'a' + 10);
    }
    *out = value;
    return 0;
}

/*
 * Parse a PCI bus id in the forms CUDA accepts: "[domain:]bus:device.function"
 * with a domain of up to 8 hex digits (NVML gives 4 or 8), either case.
 */
static int parse_bus_id(const char *text, unsigned *domain, unsigned *bus, unsigned *device)
{
    const char *dot = strrchr(text, '.');
    const char *last_colon = strrchr(text, ':');
    unsigned function;

    if (!dot || !last_colon || dot < last_colon || dot[1] == '\0' ||
        parse_hex(dot + 1, strlen(dot + 1), &function) != 0 || strlen(dot + 1) > 1 ||
        dot - last_colon - 1 < 1 || dot - last_colon - 1 > 2 ||
        parse_hex(last_colon + 1, (size_t)(dot - last_colon - 1), device) != 0)
        return -1;

    const char *first_colon = strchr(text, ':');
    *domain = 0;
    if (first_colon != last_colon) {
        size_t domain_len = (size_t)(first_colon - text);
        if (domain_len < 1 || domain_len > 8 || parse_hex(text, domain_len, domain) != 0)
            return -1;
        text = first_colon + 1;
    }
    size_t bus_len = (size_t)(last_colon - text);
    if (bus_len < 1 || bus_len > 2 || parse_hex(text, bus_len, bus) != 0)
        return -1;
    return function == 0 ? 0 : -1;
}

CUresult cuDeviceGetByPCIBusId(CUdevice *dev, const char *pciBusId)
{
    CUresult result = check_initialized();
    unsigned domain, bus, device;

    if (result != CUDA_SUCCESS)
        return result;
    if (!dev || !pciBusId || parse_bus_id(pciBusId, &domain, &bus, &device) != 0)
        return CUDA_ERROR_INVALID_VALUE;
    for (unsigned i = 0; i < device_count; i++) {
        if (devices[i]->pci_domain == domain && devices[i]->pci_bus == bus &&
            devices[i]->pci_device == device) {
            *dev = (CUdevice)i;
            return CUDA_SUCCESS;
        }
    }
    return CUDA_ERROR_INVALID_DEVICE;
}

/* Store a profile value in *pi, or fail with CUDA_ERROR_INVALID_VALUE for null or a too large value. */
static CUresult return_attribute(uint32_t value, unsigned long long scale, int *pi)
{
    unsigned long long scaled = (unsigned long long)value * scale;

    if (value == SIM_UNSUPPORTED || scaled > INT32_MAX)
        return CUDA_ERROR_INVALID_VALUE;
    *pi = (int)scaled;
    return CUDA_SUCCESS;
}

/*
 * Report the attributes of cuda_abi.h; CUDA reports sizes in bytes and the
 * memory clock in kHz. An attribute that the profile has as null, or any
 * other attribute, fails with CUDA_ERROR_INVALID_VALUE.
 */
CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)
{
    CUresult result = check_initialized();

    if (result != CUDA_SUCCESS)
        return result;
    const struct sim_gpu *gpu = find_device(dev);
    if (!gpu)
        return CUDA_ERROR_INVALID_DEVICE;
    if (!pi)
        return CUDA_ERROR_INVALID_VALUE;

    switch (attrib) {
    case CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY:
        return return_attribute(gpu->constant_memory_kib, 1024, pi);
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT:
        return return_attribute(gpu->multiprocessor_count, 1, pi);
    case CU_DEVICE_ATTRIBUTE_ECC_ENABLED:
        return return_attribute(gpu->ecc_enabled, 1, pi);
    case CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE:
        return return_attribute(gpu->memory_clock_mhz, 1000, pi);
    case CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH:
        return return_attribute(gpu->memory_bus_width_bits, 1, pi);
    case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE:
        return return_attribute(gpu->l2_cache_kib, 1024, pi);
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
        return return_attribute(gpu->compute_capability_major, 1, pi);
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
        return return_attribute(gpu->compute_capability_minor, 1, pi);
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR:
        return return_attribute(gpu->shared_memory_per_multiprocessor_kib, 1024, pi);
    }
    return CUDA_ERROR_INVALID_VALUE;
}

/* Store the GPU's memory size, capped at SIZE_MAX for the 32-bit double. */
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
{
    CUresult result = check_initialized();

    if (result != CUDA_SUCCESS)
        return result;
    const struct sim_gpu *gpu = find_device(dev);
    if (!gpu)
        return CUDA_ERROR_INVALID_DEVICE;
    if (!bytes || gpu->memory_total_mib == SIM_UNSUPPORTED)
        return CUDA_ERROR_INVALID_VALUE;

    unsigned long long total = (unsigned long long)gpu->memory_total_mib << 20;
    *bytes = total > SIZE_MAX ? SIZE_MAX : (size_t)total;
    return CUDA_SUCCESS;
}

/* Report peer access for the pairs that the profile lists as peers. */
CUresult cuDeviceCanAccessPeer(int *canAccessPeer, CUdevice dev, CUdevice peerDev)
{
    CUresult result = check_initialized();

    if (result != CUDA_SUCCESS)
        return result;
    const struct sim_gpu *gpu = find_device(dev);
    const struct sim_gpu *peer = find_device(peerDev);
    if (!gpu || !peer)
        return CUDA_ERROR_INVALID_DEVICE;
    if (!canAccessPeer)
        return CUDA_ERROR_INVALID_VALUE;

    const struct sim_blob *blob = sim_embedded_profile();
    uint32_t peer_index = (uint32_t)(peer - blob->gpus);
    *canAccessPeer = 0;
    if (gpu->peer_count == SIM_UNSUPPORTED)
        return CUDA_SUCCESS;
    for (uint32_t i = 0; i < gpu->peer_count && i < SIM_MAX_PEERS; i++) {
        if (gpu->peers[i].gpu == peer_index)
            *canAccessPeer = 1;
    }
    return CUDA_SUCCESS;
}
