/*
 * driver_files.h: which of the driver's files go into the driver volume,
 * and in which of its directories.
 */
#ifndef NVD_DRIVER_FILES_H
#define NVD_DRIVER_FILES_H

#include <stddef.h>

#include "nvd.h"

enum nvd_volume_dir { NVD_DIR_BIN, NVD_DIR_LIB, NVD_DIR_LIB64 };

/* Groups of driver files, named as NVIDIA_DRIVER_CAPABILITIES names them. */
enum nvd_driver_capability {
    NVD_CAP_UTILITY = 1 << 0,    /* nvidia-smi, NVML */
    NVD_CAP_COMPUTE = 1 << 1,    /* CUDA and OpenCL */
    NVD_CAP_VIDEO = 1 << 2,      /* video encoding and decoding */
    NVD_CAP_GRAPHICS = 1 << 3,   /* OpenGL, EGL, Vulkan */
    NVD_CAP_DISPLAY = 1 << 4,    /* the graphics files, for a display server */
    NVD_CAP_COMPAT32 = 1 << 5,   /* the 32-bit copies of the selected libraries */
};

#define NVD_CAP_ALL (NVD_CAP_UTILITY | NVD_CAP_COMPUTE | NVD_CAP_VIDEO | NVD_CAP_GRAPHICS | \
                     NVD_CAP_DISPLAY | NVD_CAP_COMPAT32)

struct nvd_driver_file {
    char *path;                /* the resolved file under the driver root */
    enum nvd_volume_dir dir;
    char *soname;              /* a library's DT_SONAME, or NULL for a binary or a library without one */
};

struct nvd_driver_files {
    size_t count;
    struct nvd_driver_file *files;
    size_t warning_count;
    char **warnings;           /* files skipped for a reason the user should see */
};

/* Return the volume directory name of dir: "bin", "lib" or "lib64". */
const char *nvd_volume_dir_name(enum nvd_volume_dir dir);

/*
 * List the driver's binaries (from the root's standard directories) and
 * libraries (from the root's ld.so.cache) of the capabilities in caps (a
 * mask of enum nvd_driver_capability), resolved through symlinks, without
 * duplicates. Host-machine libraries go to lib64, i386 ones to lib.
 *
 * A library is taken when its file name ends in ".so.<driver version>",
 * or, for the files with their own version (the GLVND loaders,
 * libnvidia-egl-wayland), when its cache key is the expected soname. Then
 * libGL, libEGL, libGLESv1_CM and libGLESv2 are kept only if they need
 * libnvidia-glcore, libnvidia-eglcore or libGLdispatch (NVIDIA's, not
 * Mesa's), and libnvidia-tls only with the ABI tag 2.3.99. A libnvidia-tls
 * without the tag is skipped with a message in out->warnings. A candidate
 * that is not a readable ELF file fails with NVD_ERR_DRIVER naming it.
 * Release with nvd_driver_files_clear().
 */
int nvd_driver_files_find(const struct nvd_host *host, unsigned caps, struct nvd_driver_files *out,
                          nvd_error **err);

void nvd_driver_files_clear(struct nvd_driver_files *files);

#endif /* NVD_DRIVER_FILES_H */
