/*
 * fake_cuda.c: broken stand-ins for libcuda.so.1 that test how
 * nvd_cuda_query() survives a driver library that crashes or hangs. Every
 * entry point of cuda_abi.h fails with CUDA_ERROR_UNKNOWN, except cuInit:
 * built with FAKE_CUDA_CRASH it aborts, with FAKE_CUDA_HANG it never
 * returns.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "cuda_abi.h"

#define FAKE_FAILURE(name, ret, params) \
    ret name params { return CUDA_ERROR_UNKNOWN; }
#define FAKE_FUNCTIONS(X)                                                       \
    X(cuDriverGetVersion, CUresult, (int *driverVersion))                       \
    X(cuGetErrorString, CUresult, (CUresult error, const char **pStr))          \
    X(cuDeviceGetByPCIBusId, CUresult, (CUdevice *dev, const char *pciBusId))   \
    X(cuDeviceGetAttribute, CUresult,                                           \
      (int *pi, CUdevice_attribute attrib, CUdevice dev))                       \
    X(cuDeviceTotalMem_v2, CUresult, (size_t *bytes, CUdevice dev))             \
    X(cuDeviceCanAccessPeer, CUresult,                                          \
      (int *canAccessPeer, CUdevice dev, CUdevice peerDev))
FAKE_FUNCTIONS(FAKE_FAILURE)

CUresult cuInit(unsigned int flags)
{
#if defined(FAKE_CUDA_CRASH)
    abort();
#elif defined(FAKE_CUDA_HANG)
    for (;;)
        pause();
#else
    return CUDA_ERROR_UNKNOWN;
#endif
}
