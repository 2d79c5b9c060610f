/*
 * embedded_profile.h: what the NVML and CUDA doubles share: the profile
 * that nvd-sim wrote into the double's file, and the device nodes that
 * decide which of its GPUs are visible. Uses glibc only.
 */
#ifndef NVD_SIM_EMBEDDED_PROFILE_H
#define NVD_SIM_EMBEDDED_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "profile_blob.h"

/* Environment variable that names the device directory, for tests. */
#define SIM_DEV_DIR_ENV "NVD_SIM_DEV_DIR"

/* Return the profile embedded in this double (configured == 0 if none). */
const struct sim_blob *sim_embedded_profile(void);

/*
 * Find the directory that contains the driver's device nodes: $NVD_SIM_DEV_DIR
 * if set, else the nearest "dev" directory containing "nvidiactl" in the
 * directories above this double's own file (DIR/dev for a root made by
 * nvd-sim, /dev inside a container). Return 0 and write the path to out, or
 * -1 if there is none or it does not fit in size bytes.
 */
int sim_find_dev_dir(char *out, size_t size);

/*
 * Write to visible[] the profile indexes of the GPUs whose node
 * <dev_dir>/nvidia<minor> exists, in profile order, and return how many.
 * visible must have room for SIM_MAX_GPUS entries.
 */
unsigned sim_list_visible_gpus(const struct sim_blob *blob, const char *dev_dir,
                               uint32_t *visible);

/*
 * Write to visible[] the indexes of gpu's MIG devices whose two capability
 * nodes <dev_dir>/nvidia-caps/nvidia-cap<N> exist, in profile order, and
 * return how many. visible must have room for SIM_MAX_MIG_DEVICES entries.
 * A GPU whose MIG mode is not enabled has none.
 */
unsigned sim_list_visible_migs(const struct sim_gpu *gpu, const char *dev_dir, uint32_t *visible);

#endif /* NVD_SIM_EMBEDDED_PROFILE_H */
