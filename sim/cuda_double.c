/*
 * cuda_double.c: a test double of NVIDIA's libcuda.so.1, the CUDA driver
 * API. It exports cuInit and cuDriverGetVersion and returns values from the
 * profile that nvd-sim embedded in the file. It needs nothing but glibc.
 */
#include <stdint.h>

#include "embedded_profile.h"

/* CUresult values of NVIDIA's cuda.h. */
typedef enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_UNKNOWN = 999,
} CUresult;

#pragma GCC visibility push(default)
CUresult cuInit(unsigned int flags);
CUresult cuDriverGetVersion(int *driverVersion);
#pragma GCC visibility pop

/* Succeed when at least one GPU of the profile has its device node. */
CUresult cuInit(unsigned int flags)
{
    const struct sim_blob *blob = sim_embedded_profile();
    char dev_dir[4096];
    uint32_t visible[SIM_MAX_GPUS];

    if (flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    if (!blob->configured)
        return CUDA_ERROR_UNKNOWN;
    if (sim_find_dev_dir(dev_dir, sizeof(dev_dir)) != 0)
        return CUDA_ERROR_NO_DEVICE;
    if (sim_list_visible_gpus(blob, dev_dir, visible) == 0)
        return CUDA_ERROR_NO_DEVICE;
    return CUDA_SUCCESS;
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
