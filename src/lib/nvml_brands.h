/*
 * nvml_brands.h: NVML's brand names, indexed by nvmlBrandType_t, as
 * nvidia-smi prints them. Shared by discovery and the simulator's profile
 * reader, so that a profile's brand and the reported one cannot drift.
 */
#ifndef NVD_NVML_BRANDS_H
#define NVD_NVML_BRANDS_H

#include "nvml_abi.h"

static const char *const nvml_brand_names[] = {
    [NVML_BRAND_UNKNOWN] = "Unknown",
    [NVML_BRAND_QUADRO] = "Quadro",
    [NVML_BRAND_TESLA] = "Tesla",
    [NVML_BRAND_NVS] = "NVS",
    [NVML_BRAND_GRID] = "GRID",
    [NVML_BRAND_GEFORCE] = "GeForce",
    [NVML_BRAND_TITAN] = "Titan",
    [NVML_BRAND_NVIDIA_VAPPS] = "NVIDIA Virtual Applications",
    [NVML_BRAND_NVIDIA_VPC] = "NVIDIA Virtual PC",
    [NVML_BRAND_NVIDIA_VCS] = "NVIDIA Virtual Compute Server",
    [NVML_BRAND_NVIDIA_VWS] = "NVIDIA RTX Virtual Workstation",
    [NVML_BRAND_NVIDIA_CLOUD_GAMING] = "NVIDIA Cloud Gaming",
    [NVML_BRAND_QUADRO_RTX] = "Quadro RTX",
    [NVML_BRAND_NVIDIA_RTX] = "NVIDIA RTX",
    [NVML_BRAND_NVIDIA] = "NVIDIA",
    [NVML_BRAND_GEFORCE_RTX] = "GeForce RTX",
    [NVML_BRAND_TITAN_RTX] = "Titan RTX",
};

#endif /* NVD_NVML_BRANDS_H */
