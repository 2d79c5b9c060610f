/*
 * nvml.h: NVML reached through dlopen and dlsym only. One handle contains the
 * library and a table of its entry points, resolved once at open.
 */
#ifndef NVD_NVML_H
#define NVD_NVML_H

#include "nvd.h"
#include "nvml_abi.h"

/* The resolved entry points; an optional one an older driver lacks is NULL. */
struct nvd_nvml_api {
#define NVD_NVML_POINTER(name, ret, params) ret (*name) params;
    NVD_NVML_FUNCTIONS(NVD_NVML_POINTER)
#undef NVD_NVML_POINTER
};

struct nvd_nvml {
    void *handle;
    char *path;
    struct nvd_nvml_api api;
};

/* The driver connection behind nvd.h's opaque nvd_driver handle. */
struct nvd_driver {
    struct nvd_nvml *nvml;
};

/*
 * Call the optional entry point `name` of nvml with the remaining
 * arguments; a driver that lacks it gives NVML_ERROR_NOT_SUPPORTED.
 */
#define NVD_NVML_CALL(nvml, name, ...) \
    ((nvml)->api.name ? (nvml)->api.name(__VA_ARGS__) : NVML_ERROR_NOT_SUPPORTED)

/*
 * Load the NVML library at path, resolve its entry points and initialise
 * it. A required entry point that is missing fails with NVD_ERR_DRIVER.
 */
struct nvd_nvml *nvd_nvml_open(const char *path, nvd_error **err);

/* Shut NVML down and unload it. */
void nvd_nvml_close(struct nvd_nvml *nvml);

/*
 * Turn a failed NVML return code into an error "<what>: nvml: <text>" and
 * return -1; NVML_ERROR_NOT_SUPPORTED gives NVD_ERR_UNSUPPORTED.
 */
int nvd_nvml_error(const struct nvd_nvml *nvml, nvmlReturn_t ret, nvd_error **err,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* NVD_NVML_H */
