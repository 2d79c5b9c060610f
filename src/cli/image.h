/*
 * image.h: the GPU requirements of an image. nvidia-docker 1.0 images
 * carry the label com.nvidia.volumes.needed="nvidia_driver" and,
 * optionally, the CUDA version they need in com.nvidia.cuda.version.
 */
#ifndef NVD_CLI_IMAGE_H
#define NVD_CLI_IMAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "nvd.h"

#define IMAGE_LABEL_VOLUMES "com.nvidia.volumes.needed"
#define IMAGE_LABEL_CUDA "com.nvidia.cuda.version"

/* The GPU resources that a container of the image receives. */
struct gpu_request {
    bool gpus;                  /* devices from the plugin */
    bool driver_volume;         /* the driver volume at /usr/local/nvidia */
    const char *cuda_version;   /* the CUDA version label, or NULL */
};

/*
 * Decide from an image's .Config object what its containers get. A 1.0
 * image (a non-blank volumes label) gets GPUs, and the driver volume when
 * the label lists nvidia_driver. Any image gets both when NV_GPU selects
 * GPUs (nv_gpu_given). cuda_version points into config.
 */
void image_gpu_request(json_t *config, bool nv_gpu_given, struct gpu_request *out);

/*
 * Check that the driver's CUDA version (driver_cuda, "8.0") is at least
 * the one the image needs (image_cuda, "7.5"), comparing major then minor
 * and ignoring what follows the minor number. Fails with 1.0's message
 * "unsupported CUDA version: driver <driver> < image <image>".
 */
int image_check_cuda(const char *driver_cuda, const char *image_cuda, nvd_error **err);

#endif /* NVD_CLI_IMAGE_H */
