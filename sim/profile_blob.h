/*
 * profile_blob.h: the binary form of a simulator profile. nvd-sim converts
 * a JSON profile into a struct sim_blob and writes it into the section
 * SIM_BLOB_SECTION of each copied driver double, which reads its values
 * from there. Only glibc headers are used here because the doubles run
 * inside containers.
 *
 * The same bytes are read by the 64-bit and the 32-bit doubles, so every
 * member is a uint32_t or a char array: both ABIs lay such a struct out
 * identically. nvd-sim checks that the section is exactly
 * sizeof(struct sim_blob) bytes before it writes.
 */
#ifndef NVD_SIM_PROFILE_BLOB_H
#define NVD_SIM_PROFILE_BLOB_H

#include <stdint.h>

/* The ELF section that contains the blob in every driver double. */
#define SIM_BLOB_SECTION ".nvd_sim_profile"

/* The first bytes of the blob. nvd-sim rejects a section without them. */
#define SIM_BLOB_MAGIC "nvd-sim profile blob"
#define SIM_BLOB_MAGIC_SIZE 24

/* Raised whenever struct sim_blob changes, so old doubles are rejected. */
#define SIM_BLOB_FORMAT 3

#define SIM_MAX_GPUS 64
#define SIM_MAX_PROCESSES 40
#define SIM_MAX_PEERS (SIM_MAX_GPUS - 1)
#define SIM_MAX_MISSING_FUNCTIONS 16
#define SIM_NAME_SIZE 96      /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define SIM_UUID_SIZE 96      /* NVML_DEVICE_UUID_V2_BUFFER_SIZE */
#define SIM_PROCESS_NAME_SIZE 64
#define SIM_VERSION_SIZE 32   /* driver version, NUL included */
#define SIM_FUNCTION_NAME_SIZE 64   /* an NVML or CUDA entry point name, NUL included */
#define SIM_MAX_MIG_DEVICES 7       /* nvmlDeviceGetMaxMigDeviceCount of an A100 or H100 */
#define SIM_MIG_PROFILE_SIZE 16     /* "1c.3g.20gb", NUL included */

/* MIG modes of a GPU (sim_gpu.mig_mode), besides SIM_UNSUPPORTED. */
#define SIM_MIG_DISABLED 0
#define SIM_MIG_ENABLED 1

/* A numeric value that NVML reports as NVML_ERROR_NOT_SUPPORTED. */
#define SIM_UNSUPPORTED UINT32_MAX

/* Topology levels, numbered as NVML's nvmlGpuTopologyLevel_t. */
enum sim_link {
    SIM_LINK_INTERNAL = 0,     /* same board */
    SIM_LINK_SINGLE = 10,      /* one PCIe switch */
    SIM_LINK_MULTIPLE = 20,    /* several PCIe switches, no host bridge */
    SIM_LINK_HOSTBRIDGE = 30,  /* one host bridge */
    SIM_LINK_NODE = 40,        /* host bridges of one NUMA node (CPU) */
    SIM_LINK_SYSTEM = 50,      /* across NUMA nodes (CPUs) */
};

/* A compute process running on a GPU. */
struct sim_process {
    uint32_t pid;
    uint32_t used_memory_mib;
    char name[SIM_PROCESS_NAME_SIZE];   /* empty: the process has exited */
};

/* A GPU that this GPU can reach peer to peer, and through what. */
struct sim_peer {
    uint32_t gpu;    /* index into sim_blob.gpus */
    uint32_t link;   /* enum sim_link, or SIM_UNSUPPORTED for no topology data */
};

/* A MIG device: one compute instance of one GPU instance of a GPU. */
struct sim_mig_device {
    char uuid[SIM_UUID_SIZE];                 /* "MIG-..." */
    char profile[SIM_MIG_PROFILE_SIZE];       /* "1g.5gb", as nvidia-smi -L names it */
    uint32_t gpu_instance_id;
    uint32_t compute_instance_id;
    uint32_t gpu_instance_slices;
    uint32_t compute_instance_slices;
    uint32_t multiprocessor_count;
    uint32_t memory_mib;
    uint32_t memory_used_mib;
};

/*
 * One GPU. Numeric members hold SIM_UNSUPPORTED where the profile has
 * null, and `name` is empty then. Units are in the member names.
 */
struct sim_gpu {
    char name[SIM_NAME_SIZE];
    char uuid[SIM_UUID_SIZE];
    uint32_t minor;                       /* /dev/nvidia<minor> */
    uint32_t brand;                       /* nvmlBrandType_t value */

    /*
     * An NVML error to inject: the NVML function of this name returns
     * nvml_error_return for this GPU. No function when the name is empty.
     */
    char nvml_error_function[SIM_FUNCTION_NAME_SIZE];
    uint32_t nvml_error_return;           /* nvmlReturn_t value */

    /* PCI */
    uint32_t pci_domain;
    uint32_t pci_bus;
    uint32_t pci_device;
    uint32_t pci_device_id;               /* device id << 16 | vendor id */
    uint32_t pci_subsystem_id;
    uint32_t pcie_max_link_generation;
    uint32_t pcie_max_link_width;
    uint32_t bar1_total_mib;

    /* Static NVML values */
    uint32_t memory_total_mib;
    uint32_t power_limit_mw;
    uint32_t max_clock_sm_mhz;
    uint32_t max_clock_memory_mhz;
    uint32_t ecc_enabled;                 /* 0 or 1 */

    /* CUDA device properties */
    uint32_t compute_capability_major;
    uint32_t compute_capability_minor;
    uint32_t multiprocessor_count;
    uint32_t shared_memory_per_multiprocessor_kib;
    uint32_t constant_memory_kib;
    uint32_t l2_cache_kib;
    uint32_t memory_clock_mhz;
    uint32_t memory_bus_width_bits;

    /* Live status */
    uint32_t power_usage_mw;
    uint32_t temperature_c;
    uint32_t utilization_gpu_percent;
    uint32_t utilization_memory_percent;
    uint32_t utilization_encoder_percent;
    uint32_t utilization_decoder_percent;
    uint32_t memory_used_mib;
    uint32_t ecc_errors_l1_cache;         /* volatile uncorrected counts */
    uint32_t ecc_errors_l2_cache;
    uint32_t ecc_errors_device_memory;
    uint32_t clock_sm_mhz;
    uint32_t clock_memory_mhz;
    uint32_t bar1_used_mib;
    uint32_t pcie_rx_kb_per_s;
    uint32_t pcie_tx_kb_per_s;

    uint32_t process_count;
    struct sim_process processes[SIM_MAX_PROCESSES];
    uint32_t peer_count;
    struct sim_peer peers[SIM_MAX_PEERS];

    /* MIG: mig_mode is SIM_UNSUPPORTED for a GPU that is not MIG capable. */
    uint32_t mig_mode;
    uint32_t mig_device_count;
    struct sim_mig_device mig_devices[SIM_MAX_MIG_DEVICES];
};

/* The whole profile as one double carries it. */
struct sim_blob {
    char magic[SIM_BLOB_MAGIC_SIZE];
    uint32_t format;                      /* SIM_BLOB_FORMAT */
    uint32_t size;                        /* sizeof(struct sim_blob) */
    uint32_t configured;                  /* 0 until nvd-sim writes a profile */
    char driver_version[SIM_VERSION_SIZE];
    uint32_t cuda_version;                /* CUDA's integer form: 8.0 is 8000 */

    /* Entry points that nvd-sim removes from the doubles' symbol tables. */
    uint32_t missing_function_count;
    char missing_functions[SIM_MAX_MISSING_FUNCTIONS][SIM_FUNCTION_NAME_SIZE];

    uint32_t gpu_count;
    struct sim_gpu gpus[SIM_MAX_GPUS];
};

/*
 * The minors of the MIG capability nodes /dev/nvidia-caps/nvidia-cap<N> that
 * NVIDIA's driver lists in /proc/driver/nvidia-caps/mig-minors: 1 is
 * "config", 2 "monitor", then for each GPU minor g and GPU instance id i
 * (15 per GPU) come "gpu<g>/gi<i>/access" and "gpu<g>/gi<i>/ci<c>/access"
 * for compute instance ids c from 0 to 7.
 */
static inline uint32_t sim_mig_gi_cap_minor(uint32_t gpu_minor, uint32_t gi)
{
    return 3 + gpu_minor * 15 * 9 + gi * 9;
}

static inline uint32_t sim_mig_ci_cap_minor(uint32_t gpu_minor, uint32_t gi, uint32_t ci)
{
    return sim_mig_gi_cap_minor(gpu_minor, gi) + 1 + ci;
}

_Static_assert(_Alignof(struct sim_blob) == 4,
               "struct sim_blob must hold only 4-byte members and chars");
_Static_assert(sizeof(SIM_BLOB_MAGIC) <= SIM_BLOB_MAGIC_SIZE,
               "SIM_BLOB_MAGIC must fit its field");

#endif /* NVD_SIM_PROFILE_BLOB_H */
