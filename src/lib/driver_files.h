/*
 * driver_files.h: which of the driver's files go into the driver volume,
 * and in which of its directories.
 */
#ifndef NVD_DRIVER_FILES_H
#define NVD_DRIVER_FILES_H

#include <stddef.h>

#include "nvd.h"

enum nvd_volume_dir { NVD_DIR_BIN, NVD_DIR_LIB, NVD_DIR_LIB64 };

struct nvd_driver_file {
    char *path;                /* the resolved file under the driver root */
    enum nvd_volume_dir dir;
};

struct nvd_driver_files {
    size_t count;
    struct nvd_driver_file *files;
};

/* Return the volume directory name of dir: "bin", "lib" or "lib64". */
const char *nvd_volume_dir_name(enum nvd_volume_dir dir);

/*
 * List the driver's binaries (from the root's standard directories) and
 * libraries (from the root's ld.so.cache), resolved through symlinks,
 * without duplicates. Release with nvd_driver_files_clear().
 */
int nvd_driver_files_find(const struct nvd_host *host, struct nvd_driver_files *out,
                          nvd_error **err);

void nvd_driver_files_clear(struct nvd_driver_files *files);

#endif /* NVD_DRIVER_FILES_H */
