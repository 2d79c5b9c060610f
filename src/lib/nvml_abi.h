/*
 * nvml_abi.h: the part of NVIDIA's NVML C ABI that nvd uses, declared as
 * NVIDIA's current nvml.h defines it (versioned entry points, enum values,
 * struct layouts). libnvd resolves these names with dlsym; the simulator's
 * libnvidia-ml.so.1 double defines them. Both include this one header, and
 * the layouts are pinned below with sizes and offsets from NVIDIA's NVML API
 * reference, so an ABI error cannot hide behind the double.
 */
#ifndef NVD_NVML_ABI_H
#define NVD_NVML_ABI_H

#include <stddef.h>

typedef enum nvmlReturn_enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_ALREADY_INITIALIZED = 5,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_INSUFFICIENT_POWER = 8,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10,
    NVML_ERROR_IRQ_ISSUE = 11,
    NVML_ERROR_LIBRARY_NOT_FOUND = 12,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_CORRUPTED_INFOROM = 14,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_RESET_REQUIRED = 16,
    NVML_ERROR_OPERATING_SYSTEM = 17,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_IN_USE = 19,
    NVML_ERROR_MEMORY = 20,
    NVML_ERROR_NO_DATA = 21,
    NVML_ERROR_VGPU_ECC_NOT_SUPPORTED = 22,
    NVML_ERROR_INSUFFICIENT_RESOURCES = 23,
    NVML_ERROR_FREQ_NOT_SUPPORTED = 24,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
    NVML_ERROR_DEPRECATED = 26,
    NVML_ERROR_NOT_READY = 27,
    NVML_ERROR_GPU_NOT_FOUND = 28,
    NVML_ERROR_INVALID_STATE = 29,
    NVML_ERROR_UNKNOWN = 999,
} nvmlReturn_t;

/* Buffer sizes that NVML's documentation guarantees to be large enough. */
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE 32
#define NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE 16

typedef struct nvmlDevice_st *nvmlDevice_t;

/* The value some struct members hold when NVML cannot report them. */
#define NVML_VALUE_NOT_AVAILABLE (-1)

/* nvmlPciInfo_t as returned by nvmlDeviceGetPciInfo_v3. */
typedef struct nvmlPciInfo_st {
    char busIdLegacy[NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;     /* device id << 16 | vendor id */
    unsigned int pciSubSystemId;
    char busId[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
} nvmlPciInfo_t;

/* Memory sizes in bytes (nvmlDeviceGetMemoryInfo, the unversioned v1 form). */
typedef struct nvmlMemory_st {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

/* BAR1 sizes in bytes. */
typedef struct nvmlBAR1Memory_st {
    unsigned long long bar1Total;
    unsigned long long bar1Free;
    unsigned long long bar1Used;
} nvmlBAR1Memory_t;

/* Percent of the last sample period that the GPU and its memory were busy. */
typedef struct nvmlUtilization_st {
    unsigned int gpu;
    unsigned int memory;
} nvmlUtilization_t;

/* A compute process, as the legacy nvmlDeviceGetComputeRunningProcesses fills it. */
typedef struct nvmlProcessInfo_v1_st {
    unsigned int pid;
    unsigned long long usedGpuMemory;   /* bytes, or NVML_VALUE_NOT_AVAILABLE */
} nvmlProcessInfo_v1_t;

/* A compute process, as nvmlDeviceGetComputeRunningProcesses_v3 fills it. */
typedef struct nvmlProcessInfo_v2_st {
    unsigned int pid;
    unsigned long long usedGpuMemory;   /* bytes, or NVML_VALUE_NOT_AVAILABLE */
    unsigned int gpuInstanceId;         /* 0xFFFFFFFF unless MIG is enabled */
    unsigned int computeInstanceId;     /* 0xFFFFFFFF unless MIG is enabled */
} nvmlProcessInfo_t;

/* The product line of a GPU (nvmlDeviceGetBrand). */
typedef enum nvmlBrandType_enum {
    NVML_BRAND_UNKNOWN = 0,
    NVML_BRAND_QUADRO = 1,
    NVML_BRAND_TESLA = 2,
    NVML_BRAND_NVS = 3,
    NVML_BRAND_GRID = 4,
    NVML_BRAND_GEFORCE = 5,
    NVML_BRAND_TITAN = 6,
    NVML_BRAND_NVIDIA_VAPPS = 7,
    NVML_BRAND_NVIDIA_VPC = 8,
    NVML_BRAND_NVIDIA_VCS = 9,
    NVML_BRAND_NVIDIA_VWS = 10,
    NVML_BRAND_NVIDIA_CLOUD_GAMING = 11,
    NVML_BRAND_QUADRO_RTX = 12,
    NVML_BRAND_NVIDIA_RTX = 13,
    NVML_BRAND_NVIDIA = 14,
    NVML_BRAND_GEFORCE_RTX = 15,
    NVML_BRAND_TITAN_RTX = 16,
} nvmlBrandType_t;

/* Clock domains, in MHz. */
typedef enum nvmlClockType_enum {
    NVML_CLOCK_GRAPHICS = 0,
    NVML_CLOCK_SM = 1,
    NVML_CLOCK_MEM = 2,
    NVML_CLOCK_VIDEO = 3,
} nvmlClockType_t;

typedef enum nvmlTemperatureSensors_enum {
    NVML_TEMPERATURE_GPU = 0,           /* the GPU die */
} nvmlTemperatureSensors_t;

typedef enum nvmlMemoryErrorType_enum {
    NVML_MEMORY_ERROR_TYPE_CORRECTED = 0,     /* single-bit ECC errors */
    NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1,   /* double-bit ECC errors */
} nvmlMemoryErrorType_t;

typedef enum nvmlEccCounterType_enum {
    NVML_VOLATILE_ECC = 0,              /* since the driver loaded */
    NVML_AGGREGATE_ECC = 1,             /* over the life of the GPU */
} nvmlEccCounterType_t;

typedef enum nvmlMemoryLocation_enum {
    NVML_MEMORY_LOCATION_L1_CACHE = 0,
    NVML_MEMORY_LOCATION_L2_CACHE = 1,
    NVML_MEMORY_LOCATION_DEVICE_MEMORY = 2,   /* also NVML_MEMORY_LOCATION_DRAM */
    NVML_MEMORY_LOCATION_REGISTER_FILE = 3,
    NVML_MEMORY_LOCATION_TEXTURE_MEMORY = 4,
    NVML_MEMORY_LOCATION_TEXTURE_SHM = 5,
    NVML_MEMORY_LOCATION_CBU = 6,
    NVML_MEMORY_LOCATION_SRAM = 7,
} nvmlMemoryLocation_t;

/* PCIe throughput counters, in KB/s. */
typedef enum nvmlPcieUtilCounter_enum {
    NVML_PCIE_UTIL_TX_BYTES = 0,
    NVML_PCIE_UTIL_RX_BYTES = 1,
} nvmlPcieUtilCounter_t;

/* MIG modes that nvmlDeviceGetMigMode reports. */
#define NVML_DEVICE_MIG_DISABLE 0x0
#define NVML_DEVICE_MIG_ENABLE 0x1

/*
 * A device's attributes (nvmlDeviceGetAttributes_v2). For a MIG device the
 * slice counts and memory size describe its GPU and compute instances.
 */
typedef struct nvmlDeviceAttributes_st {
    unsigned int multiprocessorCount;
    unsigned int sharedCopyEngineCount;
    unsigned int sharedDecoderCount;
    unsigned int sharedEncoderCount;
    unsigned int sharedJpegCount;
    unsigned int sharedOfaCount;
    unsigned int gpuInstanceSliceCount;
    unsigned int computeInstanceSliceCount;
    unsigned long long memorySizeMB;    /* MiB */
} nvmlDeviceAttributes_t;

/* The closest common ancestor of two GPUs in the PCIe tree; spaced for future levels. */
typedef enum nvmlGpuLevel_enum {
    NVML_TOPOLOGY_INTERNAL = 0,         /* one board, e.g. a Tesla K80 */
    NVML_TOPOLOGY_SINGLE = 10,          /* one PCIe switch */
    NVML_TOPOLOGY_MULTIPLE = 20,        /* several PCIe switches, no host bridge */
    NVML_TOPOLOGY_HOSTBRIDGE = 30,      /* one host bridge */
    NVML_TOPOLOGY_NODE = 40,            /* host bridges of one NUMA node (CPU) */
    NVML_TOPOLOGY_SYSTEM = 50,          /* across NUMA nodes */
} nvmlGpuTopologyLevel_t;

/*
 * Layouts as NVIDIA's nvml.h declares them, for the 64-bit ABIs and for
 * i386, where an unsigned long long member is aligned to 4 bytes.
 */
_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t size");
_Static_assert(offsetof(nvmlPciInfo_t, domain) == 16, "nvmlPciInfo_t.domain");
_Static_assert(offsetof(nvmlPciInfo_t, pciSubSystemId) == 32,
               "nvmlPciInfo_t.pciSubSystemId");
_Static_assert(offsetof(nvmlPciInfo_t, busId) == 36, "nvmlPciInfo_t.busId");
_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t size");
_Static_assert(offsetof(nvmlMemory_t, used) == 16, "nvmlMemory_t.used");
_Static_assert(sizeof(nvmlBAR1Memory_t) == 24, "nvmlBAR1Memory_t size");
_Static_assert(offsetof(nvmlBAR1Memory_t, bar1Used) == 16, "nvmlBAR1Memory_t.bar1Used");
_Static_assert(sizeof(nvmlUtilization_t) == 8, "nvmlUtilization_t size");
_Static_assert(offsetof(nvmlUtilization_t, memory) == 4, "nvmlUtilization_t.memory");
#if defined(__i386__)
_Static_assert(sizeof(nvmlProcessInfo_v1_t) == 12, "nvmlProcessInfo_v1_t size");
_Static_assert(offsetof(nvmlProcessInfo_v1_t, usedGpuMemory) == 4,
               "nvmlProcessInfo_v1_t.usedGpuMemory");
_Static_assert(sizeof(nvmlProcessInfo_t) == 20, "nvmlProcessInfo_t size");
_Static_assert(offsetof(nvmlProcessInfo_t, usedGpuMemory) == 4,
               "nvmlProcessInfo_t.usedGpuMemory");
_Static_assert(offsetof(nvmlProcessInfo_t, gpuInstanceId) == 12,
               "nvmlProcessInfo_t.gpuInstanceId");
_Static_assert(offsetof(nvmlProcessInfo_t, computeInstanceId) == 16,
               "nvmlProcessInfo_t.computeInstanceId");
#else
_Static_assert(sizeof(nvmlProcessInfo_v1_t) == 16, "nvmlProcessInfo_v1_t size");
_Static_assert(offsetof(nvmlProcessInfo_v1_t, usedGpuMemory) == 8,
               "nvmlProcessInfo_v1_t.usedGpuMemory");
_Static_assert(sizeof(nvmlProcessInfo_t) == 24, "nvmlProcessInfo_t size");
_Static_assert(offsetof(nvmlProcessInfo_t, usedGpuMemory) == 8,
               "nvmlProcessInfo_t.usedGpuMemory");
_Static_assert(offsetof(nvmlProcessInfo_t, gpuInstanceId) == 16,
               "nvmlProcessInfo_t.gpuInstanceId");
_Static_assert(offsetof(nvmlProcessInfo_t, computeInstanceId) == 20,
               "nvmlProcessInfo_t.computeInstanceId");
#endif
_Static_assert(sizeof(nvmlDeviceAttributes_t) == 40, "nvmlDeviceAttributes_t size");
_Static_assert(offsetof(nvmlDeviceAttributes_t, gpuInstanceSliceCount) == 24,
               "nvmlDeviceAttributes_t.gpuInstanceSliceCount");
_Static_assert(offsetof(nvmlDeviceAttributes_t, memorySizeMB) == 32,
               "nvmlDeviceAttributes_t.memorySizeMB");
/* NVML passes its enums by value as C ints. */
_Static_assert(sizeof(nvmlGpuTopologyLevel_t) == 4, "nvmlGpuTopologyLevel_t size");
_Static_assert(sizeof(nvmlBrandType_t) == 4, "nvmlBrandType_t size");

/*
 * The entry points, as X(name, return type, parameter list). NVML's header
 * maps its unversioned names to these versioned symbols; nvd calls the
 * versioned ones directly. nvmlDeviceGetComputeRunningProcesses is the
 * legacy v1 symbol, used only where a driver lacks the _v3 one. Optional
 * entry points (missing in older drivers) are marked in nvml.c, not here.
 */
#define NVD_NVML_FUNCTIONS(X)                                                   \
    X(nvmlInit_v2, nvmlReturn_t, (void))                                        \
    X(nvmlShutdown, nvmlReturn_t, (void))                                       \
    X(nvmlErrorString, const char *, (nvmlReturn_t result))                     \
    X(nvmlSystemGetDriverVersion, nvmlReturn_t,                                 \
      (char *version, unsigned int length))                                     \
    X(nvmlSystemGetCudaDriverVersion, nvmlReturn_t, (int *cudaDriverVersion))   \
    X(nvmlSystemGetProcessName, nvmlReturn_t,                                   \
      (unsigned int pid, char *name, unsigned int length))                      \
    X(nvmlDeviceGetCount_v2, nvmlReturn_t, (unsigned int *deviceCount))         \
    X(nvmlDeviceGetHandleByIndex_v2, nvmlReturn_t,                              \
      (unsigned int index, nvmlDevice_t *device))                               \
    X(nvmlDeviceGetHandleByUUID, nvmlReturn_t,                                  \
      (const char *uuid, nvmlDevice_t *device))                                 \
    X(nvmlDeviceGetUUID, nvmlReturn_t,                                          \
      (nvmlDevice_t device, char *uuid, unsigned int length))                   \
    X(nvmlDeviceGetMinorNumber, nvmlReturn_t,                                   \
      (nvmlDevice_t device, unsigned int *minorNumber))                         \
    X(nvmlDeviceGetPciInfo_v3, nvmlReturn_t,                                    \
      (nvmlDevice_t device, nvmlPciInfo_t *pci))                                \
    X(nvmlDeviceGetName, nvmlReturn_t,                                          \
      (nvmlDevice_t device, char *name, unsigned int length))                   \
    X(nvmlDeviceGetBrand, nvmlReturn_t,                                         \
      (nvmlDevice_t device, nvmlBrandType_t *type))                             \
    X(nvmlDeviceGetPowerManagementLimit, nvmlReturn_t,                          \
      (nvmlDevice_t device, unsigned int *limit))                               \
    X(nvmlDeviceGetBAR1MemoryInfo, nvmlReturn_t,                                \
      (nvmlDevice_t device, nvmlBAR1Memory_t *bar1Memory))                      \
    X(nvmlDeviceGetMaxPcieLinkGeneration, nvmlReturn_t,                         \
      (nvmlDevice_t device, unsigned int *maxLinkGen))                          \
    X(nvmlDeviceGetMaxPcieLinkWidth, nvmlReturn_t,                              \
      (nvmlDevice_t device, unsigned int *maxLinkWidth))                        \
    X(nvmlDeviceGetMaxClockInfo, nvmlReturn_t,                                  \
      (nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock))         \
    X(nvmlDeviceGetTopologyCommonAncestor, nvmlReturn_t,                        \
      (nvmlDevice_t device1, nvmlDevice_t device2,                              \
       nvmlGpuTopologyLevel_t *pathInfo))                                       \
    X(nvmlDeviceGetPowerUsage, nvmlReturn_t,                                    \
      (nvmlDevice_t device, unsigned int *power))                               \
    X(nvmlDeviceGetTemperature, nvmlReturn_t,                                   \
      (nvmlDevice_t device, nvmlTemperatureSensors_t sensorType,                \
       unsigned int *temp))                                                     \
    X(nvmlDeviceGetUtilizationRates, nvmlReturn_t,                              \
      (nvmlDevice_t device, nvmlUtilization_t *utilization))                    \
    X(nvmlDeviceGetEncoderUtilization, nvmlReturn_t,                            \
      (nvmlDevice_t device, unsigned int *utilization,                          \
       unsigned int *samplingPeriodUs))                                         \
    X(nvmlDeviceGetDecoderUtilization, nvmlReturn_t,                            \
      (nvmlDevice_t device, unsigned int *utilization,                          \
       unsigned int *samplingPeriodUs))                                         \
    X(nvmlDeviceGetMemoryInfo, nvmlReturn_t,                                    \
      (nvmlDevice_t device, nvmlMemory_t *memory))                              \
    X(nvmlDeviceGetClockInfo, nvmlReturn_t,                                     \
      (nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock))         \
    X(nvmlDeviceGetMemoryErrorCounter, nvmlReturn_t,                            \
      (nvmlDevice_t device, nvmlMemoryErrorType_t errorType,                    \
       nvmlEccCounterType_t counterType, nvmlMemoryLocation_t locationType,     \
       unsigned long long *count))                                              \
    X(nvmlDeviceGetPcieThroughput, nvmlReturn_t,                                \
      (nvmlDevice_t device, nvmlPcieUtilCounter_t counter, unsigned int *value)) \
    X(nvmlDeviceGetComputeRunningProcesses_v3, nvmlReturn_t,                    \
      (nvmlDevice_t device, unsigned int *infoCount, nvmlProcessInfo_t *infos)) \
    X(nvmlDeviceGetComputeRunningProcesses, nvmlReturn_t,                       \
      (nvmlDevice_t device, unsigned int *infoCount,                            \
       nvmlProcessInfo_v1_t *infos))                                            \
    X(nvmlDeviceGetMigMode, nvmlReturn_t,                                       \
      (nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode)) \
    X(nvmlDeviceGetMaxMigDeviceCount, nvmlReturn_t,                             \
      (nvmlDevice_t device, unsigned int *count))                               \
    X(nvmlDeviceGetMigDeviceHandleByIndex, nvmlReturn_t,                        \
      (nvmlDevice_t device, unsigned int index, nvmlDevice_t *migDevice))       \
    X(nvmlDeviceIsMigDeviceHandle, nvmlReturn_t,                                \
      (nvmlDevice_t device, unsigned int *isMigDevice))                         \
    X(nvmlDeviceGetDeviceHandleFromMigDeviceHandle, nvmlReturn_t,               \
      (nvmlDevice_t migDevice, nvmlDevice_t *device))                           \
    X(nvmlDeviceGetGpuInstanceId, nvmlReturn_t,                                 \
      (nvmlDevice_t device, unsigned int *id))                                  \
    X(nvmlDeviceGetComputeInstanceId, nvmlReturn_t,                             \
      (nvmlDevice_t device, unsigned int *id))                                  \
    X(nvmlDeviceGetAttributes_v2, nvmlReturn_t,                                 \
      (nvmlDevice_t device, nvmlDeviceAttributes_t *attributes))

#define NVD_NVML_DECLARE(name, ret, params) ret name params;
NVD_NVML_FUNCTIONS(NVD_NVML_DECLARE)
#undef NVD_NVML_DECLARE

#endif /* NVD_NVML_ABI_H */
