/*
 * profile.h: simulator profiles. A profile is a JSON file (format in
 * sim/profiles/README.md) that nvd-sim validates and converts into the
 * struct sim_blob that the driver doubles carry.
 */
#ifndef NVD_SIM_PROFILE_H
#define NVD_SIM_PROFILE_H

#include "nvd.h"
#include "profile_blob.h"

/*
 * Read the JSON profile at path into *blob, which is cleared first and then
 * marked configured. A syntax error, an unknown or missing key, or a value
 * of the wrong type or range fails with NVD_ERR_INVALID and a message that
 * names the file and the field, e.g.
 * "profile x.json: gpus[1].pci.bus_id: expected ...".
 */
int sim_profile_load(const char *path, struct sim_blob *blob, nvd_error **err);

/* The driver double that defines an entry point. */
enum sim_library {
    SIM_LIBRARY_NONE,        /* neither */
    SIM_LIBRARY_NVML,        /* libnvidia-ml.so.1 (nvml_abi.h) */
    SIM_LIBRARY_CUDA,        /* libcuda.so.1 (cuda_abi.h) */
};

/* Return the double that defines the entry point called name. */
enum sim_library sim_function_library(const char *name);

/*
 * Check an NVIDIA driver version: digits and dots, no empty part
 * ("375.66", "550.54.15"), shorter than SIM_VERSION_SIZE. Fails with
 * NVD_ERR_INVALID.
 */
int sim_validate_driver_version(const char *version, nvd_error **err);

#endif /* NVD_SIM_PROFILE_H */
