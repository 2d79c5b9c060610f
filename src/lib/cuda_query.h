/*
 * cuda_query.h: device properties and peer access from the CUDA driver API
 * of the root's libcuda.so.1. The library is loaded in a short-lived child
 * process, never in the caller: CUDA has no shutdown call, so a process
 * that initialised it would keep the driver's device files open (and the
 * kernel module loaded) for good. The child also bounds a hang or a crash
 * inside libcuda, and it sets CUDA's environment without touching the
 * caller's.
 */
#ifndef NVD_CUDA_QUERY_H
#define NVD_CUDA_QUERY_H

#include <stddef.h>

#include "nvd.h"

/* The CUDA device attributes that /gpu/info uses, in the order of cuda_query.c's table. */
enum nvd_cuda_attribute {
    NVD_CUDA_COMPUTE_MAJOR,
    NVD_CUDA_COMPUTE_MINOR,
    NVD_CUDA_MULTIPROCESSORS,
    NVD_CUDA_ECC_ENABLED,
    NVD_CUDA_SHARED_MEMORY_PER_SM_BYTES,
    NVD_CUDA_CONSTANT_MEMORY_BYTES,
    NVD_CUDA_L2_CACHE_BYTES,
    NVD_CUDA_MEMORY_CLOCK_KHZ,
    NVD_CUDA_MEMORY_BUS_WIDTH_BITS,
    NVD_CUDA_ATTRIBUTE_COUNT,
};

/* The CUDA values of one GPU, NVD_UNKNOWN where CUDA fails. */
struct nvd_cuda_device {
    long long attributes[NVD_CUDA_ATTRIBUTE_COUNT];
    long long total_memory_bytes;
    char error[192];             /* why CUDA has no values for the GPU, or "" */
};

/* The result of nvd_cuda_query(). */
struct nvd_cuda_report {
    int driver_version;          /* cuDriverGetVersion (12040 is 12.4), 0 if unknown */
    char error[256];             /* why CUDA reported no device at all, or "" */
    size_t count;
    struct nvd_cuda_device *devices;   /* one per bus id, in the order given */
    unsigned char *peers;        /* count x count: peers[i * count + j] is 1 when i can reach j */
};

/*
 * Query libcuda.so.1 of driver_root about the GPUs at busids (NVML's bus
 * ids) in a child process: the CUDA driver version, each GPU's attributes
 * and total memory, and cuDeviceCanAccessPeer for every pair. When CUDA
 * works but fails on a GPU or on every GPU, this still succeeds and the
 * report's error fields give the reason. It fails (NVD_ERR_NOT_FOUND or
 * NVD_ERR_DRIVER) when there is no libcuda.so.1, when the child cannot
 * load it, or when the child crashes or takes longer than timeout_ms.
 * Release the report with nvd_cuda_report_clear().
 */
int nvd_cuda_query(const char *driver_root, const char *const *busids, size_t count,
                   int timeout_ms, struct nvd_cuda_report *report, nvd_error **err);

void nvd_cuda_report_clear(struct nvd_cuda_report *report);

#endif /* NVD_CUDA_QUERY_H */
