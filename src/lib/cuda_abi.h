/*
 * cuda_abi.h: the part of the CUDA driver API (libcuda.so.1, NVIDIA's
 * cuda.h) that nvd uses, declared as cuda.h defines it. libnvd resolves
 * these names with dlsym; the simulator's libcuda.so.1 double defines them.
 * Both include this one header. The versioned symbol cuDeviceTotalMem_v2 is
 * the one cuda.h maps cuDeviceTotalMem to since CUDA 3.2.
 */
#ifndef NVD_CUDA_ABI_H
#define NVD_CUDA_ABI_H

#include <stddef.h>

/* The CUresult values that nvd and the double use; cuda.h has many more. */
typedef enum cudaError_enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_DEINITIALIZED = 4,
    CUDA_ERROR_STUB_LIBRARY = 34,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803,
    CUDA_ERROR_UNKNOWN = 999,
} CUresult;

/* A device ordinal, as cuda.h's CUdevice (an int). */
typedef int CUdevice;

/* The device attributes that /gpu/info reports, with cuda.h's values. */
typedef enum CUdevice_attribute_enum {
    CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY = 9,             /* bytes */
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CU_DEVICE_ATTRIBUTE_ECC_ENABLED = 32,                      /* 0 or 1 */
    CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE = 36,                /* peak, in kHz */
    CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,          /* bits */
    CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,                    /* bytes */
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,  /* bytes */
} CUdevice_attribute;

_Static_assert(sizeof(CUresult) == 4, "CUresult is a C int enum");
_Static_assert(sizeof(CUdevice_attribute) == 4, "CUdevice_attribute is a C int enum");

/*
 * The entry points, as X(name, return type, parameter list). Every one is
 * required except cuGetErrorString (CUDA 6.0 and later), which nvd marks
 * optional in cuda.c.
 */
#define NVD_CUDA_FUNCTIONS(X)                                                   \
    X(cuInit, CUresult, (unsigned int flags))                                   \
    X(cuDriverGetVersion, CUresult, (int *driverVersion))                       \
    X(cuGetErrorString, CUresult, (CUresult error, const char **pStr))          \
    X(cuDeviceGetByPCIBusId, CUresult, (CUdevice *dev, const char *pciBusId))   \
    X(cuDeviceGetAttribute, CUresult,                                           \
      (int *pi, CUdevice_attribute attrib, CUdevice dev))                       \
    X(cuDeviceTotalMem_v2, CUresult, (size_t *bytes, CUdevice dev))             \
    X(cuDeviceCanAccessPeer, CUresult,                                          \
      (int *canAccessPeer, CUdevice dev, CUdevice peerDev))

#define NVD_CUDA_DECLARE(name, ret, params) ret name params;
NVD_CUDA_FUNCTIONS(NVD_CUDA_DECLARE)
#undef NVD_CUDA_DECLARE

#endif /* NVD_CUDA_ABI_H */
