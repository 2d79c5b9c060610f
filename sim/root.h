/*
 * root.h: lays out a simulated driver root the way NVIDIA's installer
 * leaves a host: libraries, binaries, etc/ld.so.cache and device nodes.
 */
#ifndef NVD_SIM_ROOT_H
#define NVD_SIM_ROOT_H

#include "nvd.h"
#include "profile_blob.h"

/* Path of the manifest of installed files, relative to the root. */
#define SIM_MANIFEST_PATH "var/lib/nvd-sim/installed-files"

/* The character device majors of the device nodes. */
#define SIM_NVIDIA_MAJOR 195      /* nvidia<minor> and nvidiactl, as NVIDIA's */
#define SIM_NVIDIACTL_MINOR 255
#define SIM_UVM_MAJOR 511         /* NVIDIA's is dynamic, nvd-sim picks 511 */
#define SIM_CAPS_MAJOR 510        /* nvidia-caps/nvidia-cap<N>: dynamic too, nvd-sim picks 510 */

/*
 * Lay out the driver described by blob (blob->driver_version included) in
 * root, creating root if needed, from the templates in data_dir. root must
 * be missing, empty, or laid out by nvd-sim before, and never "/". Files of a
 * previous `nvd-sim init` that the new layout does not have are removed,
 * etc/ld.so.cache is rebuilt by the system's ldconfig, and dev/ contains
 * exactly the nodes of the new profile. Every template is read and patched
 * before root is touched, so a missing data file leaves root as it was.
 * Needs root privileges (mknod, ldconfig -r chroots).
 */
int sim_root_init(const char *root, const char *data_dir, const struct sim_blob *blob,
                  nvd_error **err);

#endif /* NVD_SIM_ROOT_H */
