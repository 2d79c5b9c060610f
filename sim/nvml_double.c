/*
 * nvml_double.c: a test double of NVIDIA's libnvidia-ml.so.1. It defines
 * every entry point of nvml_abi.h with NVML's documented semantics and
 * returns values from the profile that nvd-sim embedded in the file: a
 * null value is NVML_ERROR_NOT_SUPPORTED, and a GPU's "nvml_error" makes
 * one device function fail for that GPU. Like the real library it needs
 * nothing but glibc, and it shows only the GPUs whose device node exists
 * when NVML is first initialised, and of those only the MIG devices whose
 * two capability nodes exist.
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

/*
 * The object an nvmlDevice_t points to: one visible GPU, or one visible MIG
 * device (mig set) of the GPU `parent`.
 */
struct nvmlDevice_st {
    const struct sim_gpu *gpu;
    const struct sim_mig_device *mig;
    struct nvmlDevice_st *parent;
};

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned init_count;          /* nvmlInit_v2 calls not yet shut down */
static unsigned visible_count;
static struct nvmlDevice_st visible_devices[SIM_MAX_GPUS];
static unsigned visible_mig_count[SIM_MAX_GPUS];
static struct nvmlDevice_st visible_migs[SIM_MAX_GPUS][SIM_MAX_MIG_DEVICES];

/* The sampling period that the encoder and decoder utilization report, in microseconds. */
#define SAMPLING_PERIOD_US 1000000u

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

/* Return the error that the profile injects into function for gpu, or NVML_SUCCESS. */
static nvmlReturn_t injected_error(const struct sim_gpu *gpu, const char *function)
{
    if (gpu->nvml_error_function[0] && strcmp(gpu->nvml_error_function, function) == 0)
        return (nvmlReturn_t)gpu->nvml_error_return;
    return NVML_SUCCESS;
}

/*
 * Check that device is one of the handles this library handed out, and
 * return the error that the profile injects into function for its GPU.
 */
static nvmlReturn_t check_device(nvmlDevice_t device, const char *function)
{
    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    for (unsigned i = 0; i < visible_count; i++) {
        if (device == &visible_devices[i])
            return injected_error(device->gpu, function);
    }
    return NVML_ERROR_INVALID_ARGUMENT;
}

/*
 * Check that device is a GPU or MIG device handle that this library handed
 * out, and return the error that the profile injects into function for
 * its GPU.
 */
static nvmlReturn_t check_any_device(nvmlDevice_t device, const char *function)
{
    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    for (unsigned i = 0; i < visible_count; i++) {
        if (device >= &visible_migs[i][0] && device < &visible_migs[i][visible_mig_count[i]])
            return injected_error(device->gpu, function);
    }
    return check_device(device, function);
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

/* Store a profile value in *out, or report NVML_ERROR_NOT_SUPPORTED for null. */
static nvmlReturn_t return_value(uint32_t value, unsigned int *out)
{
    if (value == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    *out = value;
    return NVML_SUCCESS;
}

/* Convert MiB to bytes. */
static unsigned long long mib_to_bytes(uint32_t mib)
{
    return (unsigned long long)mib << 20;
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
            for (unsigned i = 0; i < visible_count; i++) {
                const struct sim_gpu *gpu = &blob->gpus[visible[i]];
                uint32_t migs[SIM_MAX_MIG_DEVICES];

                visible_devices[i] = (struct nvmlDevice_st){ .gpu = gpu };
                visible_mig_count[i] = sim_list_visible_migs(gpu, dev_dir, migs);
                for (unsigned m = 0; m < visible_mig_count[i]; m++)
                    visible_migs[i][m] = (struct nvmlDevice_st){
                        .gpu = gpu,
                        .mig = &gpu->mig_devices[migs[m]],
                        .parent = &visible_devices[i],
                    };
            }
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

    nvmlReturn_t result = injected_error(visible_devices[index].gpu, __func__);
    if (result != NVML_SUCCESS)
        return result;
    *device = &visible_devices[index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device)
{
    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    if (!uuid || !device)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (unsigned i = 0; i < visible_count; i++) {
        if (strcmp(visible_devices[i].gpu->uuid, uuid) != 0)
            continue;
        nvmlReturn_t result = injected_error(visible_devices[i].gpu, __func__);
        if (result != NVML_SUCCESS)
            return result;
        *device = &visible_devices[i];
        return NVML_SUCCESS;
    }
    return NVML_ERROR_NOT_FOUND;
}

/* Copy the UUID of a GPU ("GPU-...") or of a MIG device ("MIG-..."). */
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    nvmlReturn_t result = check_any_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!uuid)
        return NVML_ERROR_INVALID_ARGUMENT;
    return copy_string(device->mig ? device->mig->uuid : device->gpu->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int *minorNumber)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!minorNumber)
        return NVML_ERROR_INVALID_ARGUMENT;
    *minorNumber = device->gpu->minor;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci)
{
    nvmlReturn_t result = check_device(device, __func__);

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

/* Copy a GPU's name, or a MIG device's as NVML spells it: "<GPU name> MIG <profile>". */
nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    nvmlReturn_t result = check_any_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!name)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (!device->gpu->name[0])
        return NVML_ERROR_NOT_SUPPORTED;
    if (!device->mig)
        return copy_string(device->gpu->name, name, length);

    char mig_name[SIM_NAME_SIZE + SIM_MIG_PROFILE_SIZE + 8];
    snprintf(mig_name, sizeof(mig_name), "%s MIG %s", device->gpu->name, device->mig->profile);
    return copy_string(mig_name, name, length);
}

nvmlReturn_t nvmlDeviceGetBrand(nvmlDevice_t device, nvmlBrandType_t *type)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!type)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->gpu->brand == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    *type = (nvmlBrandType_t)device->gpu->brand;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerManagementLimit(nvmlDevice_t device, unsigned int *limit)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!limit)
        return NVML_ERROR_INVALID_ARGUMENT;
    return return_value(device->gpu->power_limit_mw, limit);
}

/* Fill a BAR1 report; NVML reports total and use together, so either null fails both. */
nvmlReturn_t nvmlDeviceGetBAR1MemoryInfo(nvmlDevice_t device, nvmlBAR1Memory_t *bar1Memory)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!bar1Memory)
        return NVML_ERROR_INVALID_ARGUMENT;

    const struct sim_gpu *gpu = device->gpu;
    if (gpu->bar1_total_mib == SIM_UNSUPPORTED || gpu->bar1_used_mib == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    bar1Memory->bar1Total = mib_to_bytes(gpu->bar1_total_mib);
    bar1Memory->bar1Used = mib_to_bytes(gpu->bar1_used_mib);
    bar1Memory->bar1Free = bar1Memory->bar1Total > bar1Memory->bar1Used
                               ? bar1Memory->bar1Total - bar1Memory->bar1Used
                               : 0;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxPcieLinkGeneration(nvmlDevice_t device, unsigned int *maxLinkGen)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!maxLinkGen)
        return NVML_ERROR_INVALID_ARGUMENT;
    return return_value(device->gpu->pcie_max_link_generation, maxLinkGen);
}

nvmlReturn_t nvmlDeviceGetMaxPcieLinkWidth(nvmlDevice_t device, unsigned int *maxLinkWidth)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!maxLinkWidth)
        return NVML_ERROR_INVALID_ARGUMENT;
    return return_value(device->gpu->pcie_max_link_width, maxLinkWidth);
}

/*
 * Return the clock of the SM or memory domain, the two that a profile
 * describes. The graphics and video clocks are not supported.
 */
static nvmlReturn_t return_clock(nvmlClockType_t type, uint32_t sm_mhz, uint32_t memory_mhz,
                                 unsigned int *clock)
{
    if (!clock)
        return NVML_ERROR_INVALID_ARGUMENT;
    switch (type) {
    case NVML_CLOCK_SM:
        return return_value(sm_mhz, clock);
    case NVML_CLOCK_MEM:
        return return_value(memory_mhz, clock);
    case NVML_CLOCK_GRAPHICS:
    case NVML_CLOCK_VIDEO:
        return NVML_ERROR_NOT_SUPPORTED;
    }
    return NVML_ERROR_INVALID_ARGUMENT;
}

nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, nvmlClockType_t type,
                                       unsigned int *clock)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    return return_clock(type, device->gpu->max_clock_sm_mhz, device->gpu->max_clock_memory_mhz,
                        clock);
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    return return_clock(type, device->gpu->clock_sm_mhz, device->gpu->clock_memory_mhz, clock);
}

/*
 * Report the level of a pair that the profile lists as peers. The profile
 * describes no other pair, so those are not supported.
 */
nvmlReturn_t nvmlDeviceGetTopologyCommonAncestor(nvmlDevice_t device1, nvmlDevice_t device2,
                                                 nvmlGpuTopologyLevel_t *pathInfo)
{
    nvmlReturn_t result = check_device(device1, __func__);

    if (result == NVML_SUCCESS)
        result = check_device(device2, __func__);
    if (result != NVML_SUCCESS)
        return result;
    if (!pathInfo || device1 == device2)
        return NVML_ERROR_INVALID_ARGUMENT;

    const struct sim_blob *blob = sim_embedded_profile();
    const struct sim_gpu *gpu = device1->gpu;
    uint32_t other = (uint32_t)(device2->gpu - blob->gpus);
    if (gpu->peer_count == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    for (uint32_t i = 0; i < gpu->peer_count && i < SIM_MAX_PEERS; i++) {
        if (gpu->peers[i].gpu == other) {
            if (gpu->peers[i].link == SIM_UNSUPPORTED)
                return NVML_ERROR_NOT_SUPPORTED;
            *pathInfo = (nvmlGpuTopologyLevel_t)gpu->peers[i].link;
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_SUPPORTED;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!power)
        return NVML_ERROR_INVALID_ARGUMENT;
    return return_value(device->gpu->power_usage_mw, power);
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensorType,
                                      unsigned int *temp)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!temp || sensorType != NVML_TEMPERATURE_GPU)
        return NVML_ERROR_INVALID_ARGUMENT;
    return return_value(device->gpu->temperature_c, temp);
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!utilization)
        return NVML_ERROR_INVALID_ARGUMENT;

    const struct sim_gpu *gpu = device->gpu;
    if (gpu->utilization_gpu_percent == SIM_UNSUPPORTED ||
        gpu->utilization_memory_percent == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    utilization->gpu = gpu->utilization_gpu_percent;
    utilization->memory = gpu->utilization_memory_percent;
    return NVML_SUCCESS;
}

/* Report an encoder or decoder utilization with SAMPLING_PERIOD_US. */
static nvmlReturn_t return_codec_utilization(uint32_t percent, unsigned int *utilization,
                                             unsigned int *samplingPeriodUs)
{
    if (!utilization || !samplingPeriodUs)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (percent == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    *utilization = percent;
    *samplingPeriodUs = SAMPLING_PERIOD_US;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEncoderUtilization(nvmlDevice_t device, unsigned int *utilization,
                                             unsigned int *samplingPeriodUs)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    return return_codec_utilization(device->gpu->utilization_encoder_percent, utilization,
                                    samplingPeriodUs);
}

nvmlReturn_t nvmlDeviceGetDecoderUtilization(nvmlDevice_t device, unsigned int *utilization,
                                             unsigned int *samplingPeriodUs)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    return return_codec_utilization(device->gpu->utilization_decoder_percent, utilization,
                                    samplingPeriodUs);
}

/*
 * Fill a memory report of a GPU or a MIG device; NVML reports total and
 * use together, so either null fails both.
 */
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    nvmlReturn_t result = check_any_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!memory)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->mig) {
        memory->total = mib_to_bytes(device->mig->memory_mib);
        memory->used = mib_to_bytes(device->mig->memory_used_mib);
        memory->free = memory->total > memory->used ? memory->total - memory->used : 0;
        return NVML_SUCCESS;
    }

    const struct sim_gpu *gpu = device->gpu;
    if (gpu->memory_total_mib == SIM_UNSUPPORTED || gpu->memory_used_mib == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    memory->total = mib_to_bytes(gpu->memory_total_mib);
    memory->used = mib_to_bytes(gpu->memory_used_mib);
    memory->free = memory->total > memory->used ? memory->total - memory->used : 0;
    return NVML_SUCCESS;
}

/*
 * Report the volatile uncorrected ECC counts of the L1 cache, the L2 cache
 * and device memory, which a profile describes. Other counters are not
 * supported.
 */
nvmlReturn_t nvmlDeviceGetMemoryErrorCounter(nvmlDevice_t device, nvmlMemoryErrorType_t errorType,
                                             nvmlEccCounterType_t counterType,
                                             nvmlMemoryLocation_t locationType,
                                             unsigned long long *count)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!count || (unsigned)errorType > NVML_MEMORY_ERROR_TYPE_UNCORRECTED ||
        (unsigned)counterType > NVML_AGGREGATE_ECC ||
        (unsigned)locationType > NVML_MEMORY_LOCATION_SRAM)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (errorType != NVML_MEMORY_ERROR_TYPE_UNCORRECTED || counterType != NVML_VOLATILE_ECC)
        return NVML_ERROR_NOT_SUPPORTED;

    const struct sim_gpu *gpu = device->gpu;
    uint32_t value;
    switch (locationType) {
    case NVML_MEMORY_LOCATION_L1_CACHE:
        value = gpu->ecc_errors_l1_cache;
        break;
    case NVML_MEMORY_LOCATION_L2_CACHE:
        value = gpu->ecc_errors_l2_cache;
        break;
    case NVML_MEMORY_LOCATION_DEVICE_MEMORY:
        value = gpu->ecc_errors_device_memory;
        break;
    default:
        return NVML_ERROR_NOT_SUPPORTED;
    }
    if (value == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    *count = value;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPcieThroughput(nvmlDevice_t device, nvmlPcieUtilCounter_t counter,
                                         unsigned int *value)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!value)
        return NVML_ERROR_INVALID_ARGUMENT;
    switch (counter) {
    case NVML_PCIE_UTIL_TX_BYTES:
        return return_value(device->gpu->pcie_tx_kb_per_s, value);
    case NVML_PCIE_UTIL_RX_BYTES:
        return return_value(device->gpu->pcie_rx_kb_per_s, value);
    }
    return NVML_ERROR_INVALID_ARGUMENT;
}

/*
 * Check a process list request as NVML does: a list that is too short gets
 * NVML_ERROR_INSUFFICIENT_SIZE with *infoCount set to the number needed,
 * and infos may be NULL when *infoCount is 0.
 */
static nvmlReturn_t check_process_request(const struct sim_gpu *gpu, unsigned int *infoCount,
                                          const void *infos)
{
    if (!infoCount || (*infoCount > 0 && !infos))
        return NVML_ERROR_INVALID_ARGUMENT;
    if (gpu->process_count == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    if (*infoCount < gpu->process_count) {
        *infoCount = gpu->process_count;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    *infoCount = gpu->process_count;
    return NVML_SUCCESS;
}

/* Return a process's used memory in bytes, or NVML_VALUE_NOT_AVAILABLE for null. */
static unsigned long long process_memory(const struct sim_process *process)
{
    if (process->used_memory_mib == SIM_UNSUPPORTED)
        return (unsigned long long)NVML_VALUE_NOT_AVAILABLE;
    return mib_to_bytes(process->used_memory_mib);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
                                                     nvmlProcessInfo_t *infos)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result == NVML_SUCCESS)
        result = check_process_request(device->gpu, infoCount, infos);
    if (result != NVML_SUCCESS)
        return result;
    for (uint32_t i = 0; i < *infoCount; i++) {
        const struct sim_process *process = &device->gpu->processes[i];
        infos[i] = (nvmlProcessInfo_t){
            .pid = process->pid,
            .usedGpuMemory = process_memory(process),
            .gpuInstanceId = 0xFFFFFFFFu,       /* no MIG */
            .computeInstanceId = 0xFFFFFFFFu,
        };
    }
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int *infoCount,
                                                  nvmlProcessInfo_v1_t *infos)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result == NVML_SUCCESS)
        result = check_process_request(device->gpu, infoCount, infos);
    if (result != NVML_SUCCESS)
        return result;
    for (uint32_t i = 0; i < *infoCount; i++) {
        const struct sim_process *process = &device->gpu->processes[i];
        infos[i] = (nvmlProcessInfo_v1_t){
            .pid = process->pid,
            .usedGpuMemory = process_memory(process),
        };
    }
    return NVML_SUCCESS;
}

/*
 * Name a process that runs on any GPU of the profile. A process whose
 * profile name is null has exited, so NVML no longer finds it.
 */
nvmlReturn_t nvmlSystemGetProcessName(unsigned int pid, char *name, unsigned int length)
{
    const struct sim_blob *blob = sim_embedded_profile();

    if (!is_initialized())
        return NVML_ERROR_UNINITIALIZED;
    if (!name || length == 0)
        return NVML_ERROR_INVALID_ARGUMENT;
    for (uint32_t g = 0; g < blob->gpu_count && g < SIM_MAX_GPUS; g++) {
        const struct sim_gpu *gpu = &blob->gpus[g];
        if (gpu->process_count == SIM_UNSUPPORTED)
            continue;
        for (uint32_t i = 0; i < gpu->process_count && i < SIM_MAX_PROCESSES; i++) {
            if (gpu->processes[i].pid == pid && gpu->processes[i].name[0])
                return copy_string(gpu->processes[i].name, name, length);
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

/* ------------------------------------------------------------------ MIG */

/* Report the current and pending MIG mode, which the simulator keeps equal. */
nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode,
                                  unsigned int *pendingMode)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!currentMode || !pendingMode)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->gpu->mig_mode == SIM_UNSUPPORTED)
        return NVML_ERROR_NOT_SUPPORTED;
    *currentMode = device->gpu->mig_mode == SIM_MIG_ENABLED ? NVML_DEVICE_MIG_ENABLE
                                                            : NVML_DEVICE_MIG_DISABLE;
    *pendingMode = *currentMode;
    return NVML_SUCCESS;
}

/* Report how many MIG devices the GPU can have: 0 unless MIG is enabled, as NVML documents. */
nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int *count)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!count)
        return NVML_ERROR_INVALID_ARGUMENT;
    *count = device->gpu->mig_mode == SIM_MIG_ENABLED ? SIM_MAX_MIG_DEVICES : 0;
    return NVML_SUCCESS;
}

/*
 * Hand out the index-th visible MIG device of a GPU. Indexes up to the
 * maximum count without a device give NVML_ERROR_NOT_FOUND, as NVML's do.
 */
nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index,
                                                 nvmlDevice_t *migDevice)
{
    nvmlReturn_t result = check_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!migDevice || index >= SIM_MAX_MIG_DEVICES)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (device->gpu->mig_mode != SIM_MIG_ENABLED)
        return NVML_ERROR_NOT_SUPPORTED;

    unsigned gpu = (unsigned)(device - visible_devices);
    if (index >= visible_mig_count[gpu])
        return NVML_ERROR_NOT_FOUND;
    *migDevice = &visible_migs[gpu][index];
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t device, unsigned int *isMigDevice)
{
    nvmlReturn_t result = check_any_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!isMigDevice)
        return NVML_ERROR_INVALID_ARGUMENT;
    *isMigDevice = device->mig != NULL;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t migDevice,
                                                          nvmlDevice_t *device)
{
    nvmlReturn_t result = check_any_device(migDevice, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!device || !migDevice->mig)
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = migDevice->parent;
    return NVML_SUCCESS;
}

/*
 * Report the GPU instance id (compute == 0) or the compute instance id of a
 * MIG device; a GPU handle is NVML_ERROR_NOT_SUPPORTED.
 */
static nvmlReturn_t return_instance_id(nvmlDevice_t device, int compute, unsigned int *id,
                                       const char *function)
{
    nvmlReturn_t result = check_any_device(device, function);

    if (result != NVML_SUCCESS)
        return result;
    if (!id)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (!device->mig)
        return NVML_ERROR_NOT_SUPPORTED;
    *id = compute ? device->mig->compute_instance_id : device->mig->gpu_instance_id;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int *id)
{
    return return_instance_id(device, 0, id, __func__);
}

nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int *id)
{
    return return_instance_id(device, 1, id, __func__);
}

/*
 * Report a MIG device's attributes. NVML documents the function for MIG
 * device handles only, so a GPU handle is NVML_ERROR_NOT_SUPPORTED. The
 * shared engine counts are not in the profile and read 0.
 */
nvmlReturn_t nvmlDeviceGetAttributes_v2(nvmlDevice_t device, nvmlDeviceAttributes_t *attributes)
{
    nvmlReturn_t result = check_any_device(device, __func__);

    if (result != NVML_SUCCESS)
        return result;
    if (!attributes)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (!device->mig)
        return NVML_ERROR_NOT_SUPPORTED;
    *attributes = (nvmlDeviceAttributes_t){
        .multiprocessorCount = device->mig->multiprocessor_count,
        .gpuInstanceSliceCount = device->mig->gpu_instance_slices,
        .computeInstanceSliceCount = device->mig->compute_instance_slices,
        .memorySizeMB = device->mig->memory_mib,
    };
    return NVML_SUCCESS;
}
