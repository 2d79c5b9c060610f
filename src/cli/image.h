/*
 * image.h: which GPUs a container gets and what its image requires.
 * nvidia-docker 1.0 images carry the label
 * com.nvidia.volumes.needed="nvidia_driver" and, optionally, the CUDA
 * version they need in com.nvidia.cuda.version. Today's CUDA images set
 * NVIDIA_VISIBLE_DEVICES and NVIDIA_REQUIRE_* in their environment.
 */
#ifndef NVD_CLI_IMAGE_H
#define NVD_CLI_IMAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "container_env.h"
#include "nvd.h"

#define IMAGE_LABEL_VOLUMES "com.nvidia.volumes.needed"
#define IMAGE_LABEL_CUDA "com.nvidia.cuda.version"

/* The setting that chose the GPUs of a container. */
enum gpu_source {
    GPU_SOURCE_NONE,        /* nothing: the container gets no GPU */
    GPU_SOURCE_LABEL,       /* the 1.0 label: every GPU */
    GPU_SOURCE_LEGACY,      /* CUDA_VERSION without NVIDIA_REQUIRE_CUDA: every GPU */
    GPU_SOURCE_ENV,         /* NVIDIA_VISIBLE_DEVICES */
    GPU_SOURCE_NV_GPU,      /* NV_GPU */
    GPU_SOURCE_GPUS_FLAG,   /* --gpus */
};

/* One requirement: the variable that set it and its expression. */
struct image_requirement {
    char *name;             /* "NVIDIA_REQUIRE_CUDA", or "CUDA_VERSION=8.0.61" for the legacy rule */
    char *expr;             /* "cuda>=8.0" */
};

/* The GPU resources that a container of the image receives. */
struct gpu_request {
    bool gpus;                  /* devices and the driver from the plugin */
    bool driver_volume;         /* the driver volume at /usr/local/nvidia */
    const char *cuda_version;   /* the CUDA version label, or NULL; points into config */
    enum gpu_source source;
    char *selection;            /* in NV_GPU's grammar; NULL selects every GPU */
    size_t requirement_count;
    struct image_requirement *requirements;
};

/* The GPUs that the user chose outside the image. */
struct gpu_choice {
    const char *nv_gpu;         /* NV_GPU; NULL when unset or without a GPU piece */
    const char *gpus;           /* --gpus as a selection in NV_GPU's grammar, or NULL */
    const char *gpus_value;     /* --gpus as given, for messages */
};

/*
 * Decide what a container of the image whose .Config is config gets, with
 * the environment env (the image's, with the command line's -e and
 * --env-file applied) and the user's choice. First come NV_GPU and --gpus,
 * which give GPUs to any image and must agree when both are given. Then
 * comes NVIDIA_VISIBLE_DEVICES, where an empty value gives nothing. Last
 * come the 1.0 label and the legacy CUDA_VERSION, which give every GPU. A
 * selection of "void" gives nothing. When the container gets GPUs,
 * the requirements are every NVIDIA_REQUIRE_* but NVIDIA_REQUIRE_JETPACK,
 * or "cuda>=<major.minor of CUDA_VERSION>" without NVIDIA_REQUIRE_CUDA, and
 * none when NVIDIA_DISABLE_REQUIRE is true. Release with gpu_request_clear().
 */
int image_gpu_request(json_t *config, const struct container_env *env,
                      const struct gpu_choice *choice, struct gpu_request *out,
                      nvd_error **err);

void gpu_request_clear(struct gpu_request *req);

/* Return what a user sets to choose the GPUs of source ("NV_GPU"). */
const char *gpu_source_name(enum gpu_source source);

/*
 * Check that the driver's CUDA version (driver_cuda, "8.0") is at least
 * the one the image needs (image_cuda, "7.5"), comparing major then minor
 * and ignoring what follows the minor number. Fails with 1.0's message
 * "unsupported CUDA version: driver <driver> < image <image>".
 */
int image_check_cuda(const char *driver_cuda, const char *image_cuda, nvd_error **err);

/*
 * Check req against info (the plugin's /gpu/info/json, which may be NULL
 * when req has no CUDA version label and no requirement). The label is
 * checked with image_check_cuda(). Every requirement is checked once for
 * each chosen GPU, or once without arch and brand when no GPU is chosen.
 * devices are the container's device nodes ("/dev/nvidia1" or
 * "<host path>:/dev/nvidia1"), which tell the chosen GPUs of info. A
 * requirement that is not met fails with a message that names it and the
 * driver's or GPU's values it compares.
 */
int image_check_requirements(const struct gpu_request *req, json_t *info,
                             char *const *devices, size_t device_count, nvd_error **err);

/*
 * Rewrite the plugin's rejection of req's selection in *err ("invalid
 * device: 9") to name where the selection came from (NV_GPU,
 * NVIDIA_VISIBLE_DEVICES or --gpus gpus_value) and to list the valid
 * devices of info. Any other error is left as it is.
 */
void image_explain_selection_error(const struct gpu_request *req, const char *gpus_value,
                                   json_t *info, nvd_error **err);

#endif /* NVD_CLI_IMAGE_H */
