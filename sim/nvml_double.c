/*
 * nvml_double.c: a test double of NVIDIA's libnvidia-ml.so.1. It defines
 * every entry point of nvml_abi.h with NVML's documented semantics and
 * returns values from the profile that nvd-sim embedded in the file. Like the real
 * library it needs nothing but glibc, and it shows only the GPUs whose
 * device node exists when NVML is first initialised.
 *
 * Built with -fvisibility=hidden, and the NVML declarations are made
 * default below, so that only NVML's names are exported.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#pragma GCC visibility push(default)
#include "nvml_abi.h"
#pragma GCC visibility pop

#include "embedded_profile.h"

/* The object an nvmlDevice_t points to: one visible GPU. */
struct nvmlDevice_st {
    const struct sim_gpu *gpu;
};

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned init_count;          /* nvmlInit_v2 calls not yet shut down */
static unsigned visible_count;
static struct nvmlDevice_st visible_devices[SIM_MAX_GPUS];

/*
 * Every exported function, referenced here so that linking the double with
 * -z defs fails if one in nvml_abi.h is missing.
 */
#define SIM_NVML_REFERENCE(name, ret, params) (void (*)(void))name,
__attribute__((used)) static void (*const exported_functions[])(void) = {
    NVD_NVML_FUNCTIONS(SIM_NVML_REFERENCE)
};
#undef SIM_NVML_REFERENCE

/* Return whether nvmlInit_v2 has been called more often than nvmlShutdown. */
static int is_initialized(void)
{
    return __atomic_load_n(&init_count, __ATOMIC_ACQUIRE) > 0;
}

/* Check that device is one of the handles this library handed out. */
static nvmlReturn_t check_device(nvmlDevice_t device)
{
    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    for (unsigned i = 0; i < visible_count; i++) {
        if (device == &visible_devices[i])
            return NVML_SUCCESS;
    }
    return NVML_ERROR_INVALID_ARGUMENT;
}

/* Copy value into a caller buffer of length bytes, as NVML's string getters do. */
static nvmlReturn_t copy_string(const char *value, char *buffer, unsigned int length)
{
    size_t needed = strlen(value) + 1;

    if (needed > length)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(buffer, value, needed);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlInit_v2(void)
{
    nvmlReturn_t result = NVML_SUCCESS;

    pthread_mutex_lock(&init_lock);
    if (init_count == 0) {
        const struct sim_blob *blob = sim_embedded_profile();
        char dev_dir[4096];
        uint32_t visible[SIM_MAX_GPUS];

        if (!blob->configured) {
            /* A double copied by hand, not by nvd-sim init, has no profile. */
            result = NVML_ERROR_UNKNOWN;
        } else if (sim_find_dev_dir(dev_dir, sizeof(dev_dir)) != 0) {
            /* No nvidiactl: the real library cannot reach the kernel module. */
            result = NVML_ERROR_DRIVER_NOT_LOADED;
        } else {
            visible_count = sim_list_visible_gpus(blob, dev_dir, visible);
            for (unsigned i = 0; i < visible_count; i++)
                visible_devices[i].gpu = &blob->gpus[visible[i]];
        }
    }
    if (result == NVML_SUCCESS)
        __atomic_store_n(&init_count, init_count + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&init_lock);
    return result;
}

nvmlReturn_t nvmlShutdown(void)
{
    nvmlReturn_t result = NVML_SUCCESS;

    pthread_mutex_lock(&init_lock);
    if (init_count == 0)
        result = NVML_ERROR_UNINITIALIZED;
    else
        __atomic_store_n(&init_count, init_count - 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&init_lock);
    return result;
}

const char *nvmlErrorString(nvmlReturn_t result)
{
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
    case NVML_ERROR_ALREADY_INITIALIZED: return "Already Initialized";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_INSUFFICIENT_POWER: return "Insufficient External Power";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_TIMEOUT: return "Timeout";
    case NVML_ERROR_IRQ_ISSUE: return "Interrupt Request Issue";
    case NVML_ERROR_LIBRARY_NOT_FOUND: return "NVML Shared Library Not Found";
    case NVML_ERROR_FUNCTION_NOT_FOUND: return "Function Not Found";
    case NVML_ERROR_CORRUPTED_INFOROM: return "Corrupted infoROM";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    case NVML_ERROR_RESET_REQUIRED: return "GPU requires restart";
    case NVML_ERROR_OPERATING_SYSTEM: return "The operating system has blocked the request.";
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH: return "RM has detected an NVML/RM version mismatch.";
    case NVML_ERROR_IN_USE: return "In use by another client";
    case NVML_ERROR_MEMORY: return "Insufficient Memory";
    case NVML_ERROR_NO_DATA: return "No data";
    case NVML_ERROR_VGPU_ECC_NOT_SUPPORTED:
        return "The requested vgpu operation is not available on target device, because ECC is enabled";
    case NVML_ERROR_INSUFFICIENT_RESOURCES: return "Ran out of critical resources, other than memory";
    case NVML_ERROR_FREQ_NOT_SUPPORTED: return "The requested frequency is not supported";
    case NVML_ERROR_ARGUMENT_VERSION_MISMATCH: return "Argument version mismatch";
    case NVML_ERROR_DEPRECATED: return "Deprecated";
    case NVML_ERROR_NOT_READY: return "Not Ready";
    case NVML_ERROR_GPU_NOT_FOUND: return "GPU not found";
    case NVML_ERROR_INVALID_STATE: return "Invalid state";
    case NVML_ERROR_UNKNOWN: return "Unknown Error";
    }
    return "Unknown Error";
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    if (!version)
        return NVML_ERROR_INVALID_ARGUMENT;
    return copy_string(sim_embedded_profile()->driver_version, version, length);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *cudaDriverVersion)
{
    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    if (!cudaDriverVersion)
        return NVML_ERROR_INVALID_ARGUMENT;
    *cudaDriverVersion = (int)sim_embedded_profile()->cuda_version;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)
{
    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    if (!deviceCount)
        return NVML_ERROR_INVALID_ARGUMENT;
    *deviceCount = visible_count;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= visible_count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = &visible_devices[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    nvmlReturn_t result = check_device(device);

    if (result != NVML_SUCCESS)
        return result;
    if (!uuid)
        return NVML_ERROR_INVALID_ARGUMENT;
    return copy_string(device->gpu->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minorNumber)
{
    nvmlReturn_t result = check_device(device);

    if (result != NVML_SUCCESS)
        return result;
    if (!minorNumber)
        return NVML_ERROR_INVALID_ARGUMENT;
    *minorNumber = device->gpu->minor;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci)
{
    nvmlReturn_t result = check_device(device);

    if (result != NVML_SUCCESS)
        return result;
    if (!pci)
        return NVML_ERROR_INVALID_ARGUMENT;

    const struct sim_gpu *gpu = device->gpu;
    memset(pci, 0, sizeof(*pci));
    pci->domain = gpu->pci_domain;
    pci->bus = gpu->pci_bus;
    pci->device = gpu->pci_device;
    pci->pciDeviceId = gpu->pci_device_id;
    pci->pciSubSystemId = gpu->pci_subsystem_id;
    /* NVML's formats: 8 hex digits of domain in busId, 4 in busIdLegacy, upper case. */
    snprintf(pci->busId, sizeof(pci->busId), "%08X:%02X:%02X.0",
             gpu->pci_domain, gpu->pci_bus, gpu->pci_device);
    snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%04X:%02X:%02X.0",
             gpu->pci_domain, gpu->pci_bus, gpu->pci_device);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    nvmlReturn_t result = check_device(device);

    if (result != NVML_SUCCESS)
        return result;
    if (!name)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (!device->gpu->name[0])
        return NVML_ERROR_NOT_SUPPORTED;
    return copy_string(device->gpu->name, name, length);
}
