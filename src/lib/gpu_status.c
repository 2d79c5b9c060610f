/*
 * gpu_status.c: the live status of each GPU (/gpu/status) with
 * nvidia-docker 1.0's NVML calls and units. A value that NVML does not
 * support is unknown. Any other NVML error fails the whole read, and its
 * message names the GPU and the call.
 */
#include <string.h>

#include "nvml.h"
#include "util.h"

/* The process list size of the first request; 1.0 used this fixed size. */
#define PROCESSES_FIRST_SIZE 32

/* More processes than this on one GPU means NVML is misbehaving. */
#define PROCESSES_MAX 65536

/* Room for a process name; NVML gives a path, and nvd keeps the first bytes of it. */
#define PROCESS_NAME_BUFFER 4096

/* The GPU being read, for messages. */
struct status_reader {
    struct nvd_nvml *nvml;
    const struct nvd_gpu *gpu;
    nvmlDevice_t dev;
};

/*
 * Check the result of NVML call `call` on the reader's GPU: return 1 when
 * the value was read, 0 when NVML does not support it, and -1 with an
 * error for any other result.
 */
static int check(const struct status_reader *r, const char *call, nvmlReturn_t ret,
                 nvd_error **err)
{
    if (ret == NVML_SUCCESS)
        return 1;
    if (ret == NVML_ERROR_NOT_SUPPORTED)
        return 0;
    return nvd_nvml_error(r->nvml, ret, err, "read the status of GPU %u (%s): %s", r->gpu->index,
                          r->gpu->busid, call);
}

/* Set every value of st to unknown. */
static void status_clear(struct nvd_gpu_status *st)
{
    *st = (struct nvd_gpu_status){
        .power_w = NVD_UNKNOWN,
        .temperature_c = NVD_UNKNOWN,
        .util_gpu = NVD_UNKNOWN,
        .util_memory = NVD_UNKNOWN,
        .util_encoder = NVD_UNKNOWN,
        .util_decoder = NVD_UNKNOWN,
        .memory_used_mib = NVD_UNKNOWN,
        .ecc_l1 = NVD_UNKNOWN,
        .ecc_l2 = NVD_UNKNOWN,
        .ecc_global = NVD_UNKNOWN,
        .clock_cores_mhz = NVD_UNKNOWN,
        .clock_memory_mhz = NVD_UNKNOWN,
        .bar1_used_mib = NVD_UNKNOWN,
        .pcie_rx_mbs = NVD_UNKNOWN,
        .pcie_tx_mbs = NVD_UNKNOWN,
    };
}

/* Read power draw, temperature and the four utilization rates. */
static int read_power_utilization(const struct status_reader *r, struct nvd_gpu_status *st,
                                  nvd_error **err)
{
    struct nvd_nvml *nvml = r->nvml;
    unsigned int value, period;
    nvmlUtilization_t utilization;
    int found;

    if ((found = check(r, "nvmlDeviceGetPowerUsage",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetPowerUsage, r->dev, &value), err)) < 0)
        return -1;
    if (found)
        st->power_w = value / 1000;

    if ((found = check(r, "nvmlDeviceGetTemperature",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetTemperature, r->dev, NVML_TEMPERATURE_GPU,
                                     &value), err)) < 0)
        return -1;
    if (found)
        st->temperature_c = value;

    if ((found = check(r, "nvmlDeviceGetUtilizationRates",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetUtilizationRates, r->dev, &utilization),
                       err)) < 0)
        return -1;
    if (found) {
        st->util_gpu = utilization.gpu;
        st->util_memory = utilization.memory;
    }

    if ((found = check(r, "nvmlDeviceGetEncoderUtilization",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetEncoderUtilization, r->dev, &value, &period),
                       err)) < 0)
        return -1;
    if (found)
        st->util_encoder = value;

    if ((found = check(r, "nvmlDeviceGetDecoderUtilization",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetDecoderUtilization, r->dev, &value, &period),
                       err)) < 0)
        return -1;
    if (found)
        st->util_decoder = value;
    return 0;
}

/*
 * Read the uncorrected volatile ECC counts of the L1 cache, the L2 cache and
 * device memory. As in 1.0, when the L1 count is not supported none is
 * read; a later count that is not supported is unknown (1.0 failed there).
 */
static int read_ecc(const struct status_reader *r, struct nvd_gpu_status *st, nvd_error **err)
{
    static const nvmlMemoryLocation_t locations[] = {
        NVML_MEMORY_LOCATION_L1_CACHE,
        NVML_MEMORY_LOCATION_L2_CACHE,
        NVML_MEMORY_LOCATION_DEVICE_MEMORY,
    };
    long long *counts[] = { &st->ecc_l1, &st->ecc_l2, &st->ecc_global };

    for (size_t i = 0; i < sizeof(locations) / sizeof(locations[0]); i++) {
        unsigned long long count;
        int found = check(r, "nvmlDeviceGetMemoryErrorCounter",
                          NVD_NVML_CALL(r->nvml, nvmlDeviceGetMemoryErrorCounter, r->dev,
                                        NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_VOLATILE_ECC,
                                        locations[i], &count),
                          err);
        if (found < 0)
            return -1;
        if (!found && i == 0)
            return 0;
        if (found)
            *counts[i] = (long long)count;
    }
    return 0;
}

/* Read used memory and the SM and memory clocks (SM "not supported" skips both, as in 1.0). */
static int read_memory_clocks(const struct status_reader *r, struct nvd_gpu_status *st,
                              nvd_error **err)
{
    struct nvd_nvml *nvml = r->nvml;
    nvmlMemory_t memory;
    unsigned int mhz;
    int found;

    if ((found = check(r, "nvmlDeviceGetMemoryInfo",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetMemoryInfo, r->dev, &memory), err)) < 0)
        return -1;
    if (found)
        st->memory_used_mib = (long long)(memory.used >> 20);

    if ((found = check(r, "nvmlDeviceGetClockInfo",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetClockInfo, r->dev, NVML_CLOCK_SM, &mhz),
                       err)) <= 0)
        return found;
    st->clock_cores_mhz = mhz;
    if ((found = check(r, "nvmlDeviceGetClockInfo",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetClockInfo, r->dev, NVML_CLOCK_MEM, &mhz),
                       err)) < 0)
        return -1;
    if (found)
        st->clock_memory_mhz = mhz;
    return 0;
}

/* Read BAR1 use and the PCIe throughput in MB/s (RX "not supported" skips TX, as in 1.0). */
static int read_pci(const struct status_reader *r, struct nvd_gpu_status *st, nvd_error **err)
{
    struct nvd_nvml *nvml = r->nvml;
    nvmlBAR1Memory_t bar1;
    unsigned int kbps;
    int found;

    if ((found = check(r, "nvmlDeviceGetBAR1MemoryInfo",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetBAR1MemoryInfo, r->dev, &bar1), err)) < 0)
        return -1;
    if (found)
        st->bar1_used_mib = (long long)(bar1.bar1Used >> 20);

    /* NVML counts in KB/s; 1.0 divides by 1000. */
    if ((found = check(r, "nvmlDeviceGetPcieThroughput",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetPcieThroughput, r->dev,
                                     NVML_PCIE_UTIL_RX_BYTES, &kbps),
                       err)) <= 0)
        return found;
    st->pcie_rx_mbs = kbps / 1000;
    if ((found = check(r, "nvmlDeviceGetPcieThroughput",
                       NVD_NVML_CALL(nvml, nvmlDeviceGetPcieThroughput, r->dev,
                                     NVML_PCIE_UTIL_TX_BYTES, &kbps),
                       err)) < 0)
        return -1;
    if (found)
        st->pcie_tx_mbs = kbps / 1000;
    return 0;
}

/*
 * Call the process list entry point into a buffer of *count entries. The
 * _v3 one fills nvmlProcessInfo_t; a driver without it gets the legacy
 * v1 call, whose entries are converted.
 */
static nvmlReturn_t list_processes(struct nvd_nvml *nvml, nvmlDevice_t dev, unsigned int *count,
                                   nvmlProcessInfo_t *infos, const char **call)
{
    if (nvml->api.nvmlDeviceGetComputeRunningProcesses_v3) {
        *call = "nvmlDeviceGetComputeRunningProcesses_v3";
        return nvml->api.nvmlDeviceGetComputeRunningProcesses_v3(dev, count, infos);
    }

    *call = "nvmlDeviceGetComputeRunningProcesses";
    cleanup_free nvmlProcessInfo_v1_t *legacy = nvd_xcalloc(*count ? *count : 1, sizeof(*legacy));
    nvmlReturn_t ret = NVD_NVML_CALL(nvml, nvmlDeviceGetComputeRunningProcesses, dev, count, legacy);
    if (ret == NVML_SUCCESS) {
        for (unsigned i = 0; i < *count; i++)
            infos[i] = (nvmlProcessInfo_t){ .pid = legacy[i].pid,
                                            .usedGpuMemory = legacy[i].usedGpuMemory };
    }
    return ret;
}

/*
 * Name a process as NVML does, keeping the first bytes that fit name[size]
 * without splitting a UTF-8 character. A process that has exited meanwhile
 * (NOT_FOUND), or a name that NVML cannot give, leaves the name empty.
 */
static int read_process_name(const struct status_reader *r, unsigned pid, char *name, size_t size,
                             nvd_error **err)
{
    char buffer[PROCESS_NAME_BUFFER];
    nvmlReturn_t ret = NVD_NVML_CALL(r->nvml, nvmlSystemGetProcessName, pid, buffer,
                                     sizeof(buffer));

    name[0] = '\0';
    if (ret == NVML_ERROR_NOT_FOUND || ret == NVML_ERROR_NOT_SUPPORTED ||
        ret == NVML_ERROR_INSUFFICIENT_SIZE)
        return 0;
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(r->nvml, ret, err, "read the status of GPU %u (%s): nvmlSystemGetProcessName of process %u",
                              r->gpu->index, r->gpu->busid, pid);

    buffer[sizeof(buffer) - 1] = '\0';
    size_t length = strlen(buffer);
    if (length >= size) {
        length = size - 1;
        while (length > 0 && ((unsigned char)buffer[length] & 0xC0) == 0x80)
            length--;
    }
    memcpy(name, buffer, length);
    name[length] = '\0';
    return 0;
}

/*
 * Read the compute processes into a list of PROCESSES_FIRST_SIZE entries,
 * grown to the count that NVML returns with NVML_ERROR_INSUFFICIENT_SIZE
 * and a few more, since processes can start between two calls.
 */
static int read_processes(const struct status_reader *r, struct nvd_gpu_status *st,
                          nvd_error **err)
{
    unsigned int capacity = PROCESSES_FIRST_SIZE;
    cleanup_free nvmlProcessInfo_t *infos = nvd_xcalloc(capacity, sizeof(*infos));
    unsigned int count;
    const char *call;
    nvmlReturn_t ret;

    for (;;) {
        count = capacity;
        ret = list_processes(r->nvml, r->dev, &count, infos, &call);
        if (ret != NVML_ERROR_INSUFFICIENT_SIZE)
            break;
        if (count <= capacity || count > PROCESSES_MAX)
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "read the status of GPU %u (%s): %s returned "
                                 "NVML_ERROR_INSUFFICIENT_SIZE with an invalid count of %u "
                                 "processes (room for %u, at most %d)",
                                 r->gpu->index, r->gpu->busid, call, count, capacity,
                                 PROCESSES_MAX);
        /* Room for a few more processes that may start before the next call. */
        capacity = count + 8;
        infos = nvd_xrealloc(infos, capacity * sizeof(*infos));
    }
    int found = check(r, call, ret, err);
    if (found <= 0)
        return found;
    if (count > capacity)
        count = capacity;
    if (count == 0)
        return 0;

    st->processes = nvd_xcalloc(count, sizeof(*st->processes));
    for (unsigned i = 0; i < count; i++) {
        struct nvd_process *process = &st->processes[i];

        process->pid = infos[i].pid;
        process->memory_mib = infos[i].usedGpuMemory == (unsigned long long)NVML_VALUE_NOT_AVAILABLE
                                  ? NVD_UNKNOWN
                                  : (long long)(infos[i].usedGpuMemory >> 20);
        st->process_count++;
        if (read_process_name(r, process->pid, process->name, sizeof(process->name), err) < 0)
            return -1;
    }
    return 0;
}

/*
 * Read the memory use of each MIG device of the GPU. A MIG device that is
 * gone, or whose index now holds another device (a MIG layout changed
 * since discovery), reads as unknown until the next discovery.
 */
static void read_mig_memory(const struct status_reader *r, struct nvd_gpu_status *st)
{
    const struct nvd_gpu *gpu = r->gpu;

    st->mig_count = gpu->mig_count;
    if (gpu->mig_count == 0)
        return;
    st->mig_memory_used_mib = nvd_xcalloc(gpu->mig_count, sizeof(*st->mig_memory_used_mib));
    for (size_t m = 0; m < gpu->mig_count; m++) {
        char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
        nvmlDevice_t handle;
        nvmlMemory_t memory;

        st->mig_memory_used_mib[m] = NVD_UNKNOWN;
        if (NVD_NVML_CALL(r->nvml, nvmlDeviceGetMigDeviceHandleByIndex, r->dev,
                          gpu->migs[m].index, &handle) != NVML_SUCCESS ||
            r->nvml->api.nvmlDeviceGetUUID(handle, uuid, sizeof(uuid)) != NVML_SUCCESS ||
            strncmp(uuid, gpu->migs[m].uuid, sizeof(uuid)) != 0 ||
            NVD_NVML_CALL(r->nvml, nvmlDeviceGetMemoryInfo, handle, &memory) != NVML_SUCCESS)
            continue;
        st->mig_memory_used_mib[m] = (long long)(memory.used >> 20);
    }
}

/* Read the status of gpu into st. */
static int read_status(struct nvd_nvml *nvml, const struct nvd_gpu *gpu, struct nvd_gpu_status *st,
                       nvd_error **err)
{
    struct status_reader r = { .nvml = nvml, .gpu = gpu };
    nvmlReturn_t ret;

    ret = nvml->api.nvmlDeviceGetHandleByUUID(gpu->uuid, &r.dev);
    if (ret != NVML_SUCCESS)
        return nvd_nvml_error(nvml, ret, err, "read the status of GPU %u (%s): find %s",
                              gpu->index, gpu->busid, gpu->uuid);
    if (read_power_utilization(&r, st, err) < 0 ||
        read_ecc(&r, st, err) < 0 ||
        read_memory_clocks(&r, st, err) < 0 ||
        read_pci(&r, st, err) < 0 ||
        read_processes(&r, st, err) < 0)
        return -1;
    read_mig_memory(&r, st);
    return 0;
}

struct nvd_gpu_status *nvd_status_read(nvd_driver *driver, const struct nvd_host *host,
                                       nvd_error **err)
{
    struct nvd_gpu_status *status = nvd_xcalloc(host->gpu_count ? host->gpu_count : 1,
                                                sizeof(*status));

    for (size_t i = 0; i < host->gpu_count; i++)
        status_clear(&status[i]);
    for (size_t i = 0; i < host->gpu_count; i++) {
        if (read_status(driver->nvml, &host->gpus[i], &status[i], err) < 0) {
            nvd_status_free(status, host->gpu_count);
            return NULL;
        }
    }
    return status;
}

void nvd_status_free(struct nvd_gpu_status *status, size_t count)
{
    if (!status)
        return;
    for (size_t i = 0; i < count; i++) {
        free(status[i].processes);
        free(status[i].mig_memory_used_mib);
    }
    free(status);
}
