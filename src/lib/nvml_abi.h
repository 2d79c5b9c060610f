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

_Static_assert(sizeof(nvmlPciInfo_t) == 68, "nvmlPciInfo_t size");
_Static_assert(offsetof(nvmlPciInfo_t, domain) == 16, "nvmlPciInfo_t.domain");
_Static_assert(offsetof(nvmlPciInfo_t, pciSubSystemId) == 32,
               "nvmlPciInfo_t.pciSubSystemId");
_Static_assert(offsetof(nvmlPciInfo_t, busId) == 36, "nvmlPciInfo_t.busId");

/*
 * The entry points, as X(name, return type, parameter list). NVML's header
 * maps its unversioned names to these versioned symbols; nvd calls the
 * versioned ones directly. Optional entry points (missing in older drivers)
 * are marked in nvml.c, not here.
 */
#define NVD_NVML_FUNCTIONS(X)                                                   \
    X(nvmlInit_v2, nvmlReturn_t, (void))                                        \
    X(nvmlShutdown, nvmlReturn_t, (void))                                       \
    X(nvmlErrorString, const char *, (nvmlReturn_t result))                     \
    X(nvmlSystemGetDriverVersion, nvmlReturn_t,                                 \
      (char *version, unsigned int length))                                     \
    X(nvmlSystemGetCudaDriverVersion, nvmlReturn_t, (int *cudaDriverVersion))   \
    X(nvmlDeviceGetCount_v2, nvmlReturn_t, (unsigned int *deviceCount))         \
    X(nvmlDeviceGetHandleByIndex_v2, nvmlReturn_t,                              \
      (unsigned int index, nvmlDevice_t *device))                               \
    X(nvmlDeviceGetUUID, nvmlReturn_t,                                          \
      (nvmlDevice_t device, char *uuid, unsigned int length))                   \
    X(nvmlDeviceGetMinorNumber, nvmlReturn_t,                                   \
      (nvmlDevice_t device, unsigned int *minorNumber))                         \
    X(nvmlDeviceGetPciInfo_v3, nvmlReturn_t,                                    \
      (nvmlDevice_t device, nvmlPciInfo_t *pci))                                \
    X(nvmlDeviceGetName, nvmlReturn_t,                                          \
      (nvmlDevice_t device, char *name, unsigned int length))

#define NVD_NVML_DECLARE(name, ret, params) ret name params;
NVD_NVML_FUNCTIONS(NVD_NVML_DECLARE)
#undef NVD_NVML_DECLARE

#endif /* NVD_NVML_ABI_H */
