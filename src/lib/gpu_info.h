/*
 * gpu_info.h: one GPU's static properties (struct nvd_gpu) from NVML and
 * CUDA, converted to nvidia-docker 1.0's units.
 */
#ifndef NVD_GPU_INFO_H
#define NVD_GPU_INFO_H

#include "cuda_query.h"
#include "nvml.h"

/* Set every value of gpu to unknown: NVD_UNKNOWN, empty strings, no peers. */
void nvd_gpu_clear(struct nvd_gpu *gpu);

/*
 * Read the GPU at NVML index `index` into gpu: its identity (UUID, minor
 * number, bus id), which is required, and its optional NVML values. It
 * fails when the GPU's handle or identity cannot be read, with "unsupported
 * GPU device" (NVD_ERR_UNSUPPORTED) when NVML does not support one of
 * them. An NVML error on an optional value is logged and leaves the value
 * unknown, so that one broken query does not hide the GPU.
 */
int nvd_gpu_info_read(struct nvd_nvml *nvml, unsigned index, struct nvd_gpu *gpu,
                      nvd_error **err);

/* Set gpu's CUDA values (architecture, cores, memory sizes, ECC) from device. */
void nvd_gpu_info_apply_cuda(struct nvd_gpu *gpu, const struct nvd_cuda_device *device);

/*
 * Return the bandwidth of one PCIe lane of generation gen in MB/s, after
 * line encoding, or 0 for a generation that nvd does not know.
 */
long long nvd_pcie_lane_mbs(unsigned gen);

/* Return the name of an NVML brand ("Tesla", "GeForce", ...), or "" when unknown. */
const char *nvd_brand_name(nvmlBrandType_t brand);

#endif /* NVD_GPU_INFO_H */
