/*
 * mig.h: the MIG devices of a GPU (struct nvd_mig_device) from NVML, and
 * the capability nodes a container needs to use one.
 */
#ifndef NVD_MIG_H
#define NVD_MIG_H

#include "nvml.h"

/* More MIG devices than this on one GPU means NVML is misbehaving; an A100 has up to 7. */
#define NVD_MIG_DEVICES_MAX 64

/*
 * Read gpu's MIG mode and, in MIG mode, its MIG devices into gpu->migs. A
 * driver or GPU without MIG leaves mig_mode at -1. An NVML error is logged
 * and leaves out the MIG device it concerns, or every one when it concerns
 * the GPU, so that discovery of the other GPUs goes on.
 */
void nvd_mig_read(struct nvd_nvml *nvml, struct nvd_gpu *gpu);

/* Return the minor of /dev/nvidia-caps/nvidia-cap<N> for "gpu<minor>/gi<id>/access". */
unsigned nvd_mig_gi_cap_minor(unsigned gpu_minor, unsigned gpu_instance);

/* Return the minor of /dev/nvidia-caps/nvidia-cap<N> for "gpu<minor>/gi<id>/ci<id>/access". */
unsigned nvd_mig_ci_cap_minor(unsigned gpu_minor, unsigned gpu_instance, unsigned compute_instance);

/*
 * Write the profile name that nvidia-smi shows for a MIG device:
 * "<g>g.<gb>gb", with "<c>c." in front when its compute instance has fewer
 * slices than its GPU instance, and the memory rounded up to whole GiB.
 */
void nvd_mig_profile_name(unsigned gi_slices, unsigned ci_slices, unsigned long long memory_mib,
                          char *out, size_t size);

#endif /* NVD_MIG_H */
