/*
 * nvd.h: the public interface of libnvd, the library behind nvidia-docker
 * and nvidia-docker-plugin. It finds the NVIDIA driver and GPUs under a
 * driver root, selects GPUs, builds the driver volume and renders the docker
 * arguments that give a container its GPUs.
 *
 * Error contract, for every function below that takes `nvd_error **err`:
 *   - On success it returns 0 (or a valid pointer) and leaves *err alone.
 *   - On failure it returns -1 (or NULL) and sets *err to a new error that
 *     the caller owns and releases with nvd_error_free(). *err must be NULL
 *     on entry. Passing err == NULL discards the error.
 *   - An error message reads "what failed: cause" and names the value
 *     involved; callers add context in front with nvd_error_wrap().
 */
#ifndef NVD_H
#define NVD_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NVD_BUILDING_LIBRARY)
#define NVD_PUBLIC __attribute__((visibility("default")))
#else
#define NVD_PUBLIC
#endif

#define NVD_VERSION "0.1.0"

/* ------------------------------------------------------------------ errors */

/* The kind of a failure, which the REST API maps to an HTTP status. */
enum nvd_error_kind {
    NVD_ERR_SYSTEM = 1,   /* a system call failed; errnum is its errno */
    NVD_ERR_INVALID,      /* bad input from the caller (HTTP 400) */
    NVD_ERR_NOT_FOUND,    /* a named thing does not exist */
    NVD_ERR_DRIVER,       /* the driver (NVML, CUDA, its files) failed */
    NVD_ERR_UNSUPPORTED,  /* the driver or device lacks the feature */
};

typedef struct nvd_error {
    enum nvd_error_kind kind;
    int errnum;           /* errno for NVD_ERR_SYSTEM, else 0 */
    char *msg;            /* "what failed: cause"; never NULL */
} nvd_error;

/* Set *err to a new error of `kind` and return -1. */
NVD_PUBLIC int nvd_error_set(nvd_error **err, enum nvd_error_kind kind,
                             const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set *err to a system error whose message ends in strerror(errnum). */
NVD_PUBLIC int nvd_error_sys(nvd_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message of *err with "<context>: " and return -1. */
NVD_PUBLIC int nvd_error_wrap(nvd_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

NVD_PUBLIC void nvd_error_free(nvd_error *err);

/* ------------------------------------------------------------------ logging */

/* Set the program name that starts every log line ("<name> | ..."). */
NVD_PUBLIC void nvd_log_init(const char *progname);

/* Log one line to stderr in 1.0's format: "<prog> | YYYY/MM/DD HH:MM:SS msg". */
NVD_PUBLIC void nvd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log one line with "Error: " before the message. */
NVD_PUBLIC void nvd_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --------------------------------------------------------------- discovery */

#define NVD_UUID_MAX 96
#define NVD_NAME_MAX 96
#define NVD_BUSID_MAX 32
#define NVD_VERSION_MAX 80

/*
 * An integer that NVML or CUDA may not report: NVD_UNKNOWN stands for "not
 * supported" (rendered as N/A or null).
 */
#define NVD_UNKNOWN (-1LL)

/* The link between two GPUs, with 1.0's codes (the JSON "Link" value). */
enum nvd_p2p_link {
    NVD_P2P_UNKNOWN = 0,
    NVD_P2P_CROSS_CPU = 1,          /* NVML_TOPOLOGY_SYSTEM */
    NVD_P2P_SAME_CPU = 2,           /* NVML_TOPOLOGY_NODE */
    NVD_P2P_HOST_BRIDGE = 3,        /* NVML_TOPOLOGY_HOSTBRIDGE */
    NVD_P2P_MULTIPLE_SWITCHES = 4,  /* NVML_TOPOLOGY_MULTIPLE */
    NVD_P2P_SINGLE_SWITCH = 5,      /* NVML_TOPOLOGY_SINGLE */
    NVD_P2P_SAME_BOARD = 6,         /* NVML_TOPOLOGY_INTERNAL */
};

/* A GPU that a device can reach directly (CUDA peer access). */
struct nvd_peer {
    char busid[NVD_BUSID_MAX];
    enum nvd_p2p_link link;
};

#define NVD_MIG_PROFILE_MAX 32

/*
 * A MIG device: one compute instance of one GPU instance of a GPU in MIG
 * mode. A container that gets it needs its GPU's node /dev/nvidia<minor>
 * and the two capability nodes /dev/nvidia-caps/nvidia-cap<N> below.
 */
struct nvd_mig_device {
    unsigned index;             /* NVML's MIG device index on its GPU: m in "<gpu>:<m>" */
    char uuid[NVD_UUID_MAX];    /* "MIG-..." */
    unsigned gpu_instance;      /* GPU instance id */
    unsigned compute_instance;  /* compute instance id within the GPU instance */
    char profile[NVD_MIG_PROFILE_MAX]; /* "1g.5gb", "1c.3g.20gb"; empty when unknown */
    long long memory_mib;       /* the GPU instance's memory */
    unsigned gi_cap_minor;      /* capability node of the GPU instance */
    unsigned ci_cap_minor;      /* capability node of the compute instance */
};

/*
 * One GPU as NVML and CUDA describe it: the static properties that
 * /gpu/info reports, in 1.0's units. Integers are NVD_UNKNOWN and strings
 * empty when the driver does not report them.
 */
struct nvd_gpu {
    unsigned index;             /* NVML index: nvidia-smi order */
    unsigned minor;             /* /dev/nvidia<minor> */
    char uuid[NVD_UUID_MAX];    /* "GPU-..." */
    char busid[NVD_BUSID_MAX];  /* "0000:05:00.0" */
    char name[NVD_NAME_MAX];    /* "Tesla K80" (1.0's Model) */
    char brand[32];             /* "Tesla", "GeForce", ... (nvmlDeviceGetBrand) */
    long long power_w;          /* power management limit */
    long long cpu_affinity;     /* NUMA node from sysfs; 0 when unknown, as 1.0 */
    long long bar1_mib;         /* BAR1 size */
    long long pci_bandwidth_mbs; /* max PCIe link generation and width */
    long long clock_cores_mhz;  /* max SM clock */
    long long clock_memory_mhz; /* max memory clock */
    size_t peer_count;
    struct nvd_peer *peers;     /* NULL when the GPU has no peer */
    char family[16];            /* "Kepler", ... from the compute capability */
    char arch[8];               /* compute capability "3.7" */
    long long cores;            /* SM count times cores per SM */
    int ecc;                    /* 1 enabled, 0 disabled, -1 unknown */
    long long memory_mib;       /* global memory */
    long long shared_kib;       /* shared memory per multiprocessor */
    long long constant_kib;     /* constant memory */
    long long l2_kib;           /* L2 cache */
    long long memory_bandwidth_mbs; /* 2 x memory clock x bus width */
    int mig_mode;               /* 1 MIG enabled, 0 disabled, -1 not MIG capable or unknown */
    size_t mig_count;
    struct nvd_mig_device *migs; /* in NVML's MIG index order; NULL when none */
};

/* One process running on a GPU. */
struct nvd_process {
    unsigned pid;
    char name[64];
    long long memory_mib;
};

/* A GPU's live state, as /gpu/status reports it. */
struct nvd_gpu_status {
    long long power_w;
    long long temperature_c;
    long long util_gpu, util_memory, util_encoder, util_decoder;   /* percent */
    long long memory_used_mib;
    long long ecc_l1, ecc_l2, ecc_global;   /* uncorrected volatile errors */
    long long clock_cores_mhz, clock_memory_mhz;
    long long bar1_used_mib;
    long long pcie_rx_mbs, pcie_tx_mbs;
    size_t process_count;
    struct nvd_process *processes;          /* NULL when none */
    size_t mig_count;                       /* the GPU's nvd_gpu.mig_count */
    long long *mig_memory_used_mib;         /* one per MIG device; NULL when none */
};

/*
 * A driver root and what was discovered under it. Static device data is
 * read once by nvd_host_discover(); nvd_host_free() releases it.
 */
struct nvd_host {
    char *driver_root;                  /* "/" or e.g. "/run/nvidia/driver" */
    char *dev_root;                     /* contains dev/nvidia*; default driver_root */
    char driver_version[NVD_VERSION_MAX];
    char cuda_version[16];              /* "8.0"; "0.0" when neither NVML nor libcuda gives it, as 1.0;
                                           "" until the CUDA properties are read */
    bool cuda_read;                     /* nvd_host_read_cuda() has run */
    size_t gpu_count;
    struct nvd_gpu *gpus;
};

/*
 * An open connection to the driver: NVML loaded from the root's
 * ld.so.cache and initialised. Holding it open keeps /dev/nvidiactl open,
 * which blocks a driver upgrade, so long-running programs close it when
 * idle.
 */
typedef struct nvd_driver nvd_driver;

/* Load and initialise NVML from driver_root's ld.so.cache. */
NVD_PUBLIC nvd_driver *nvd_driver_open(const char *driver_root, nvd_error **err);

/* Shut NVML down and unload it. */
NVD_PUBLIC void nvd_driver_close(nvd_driver *driver);

/*
 * Discover the driver version, the CUDA version and every GPU's static
 * properties through driver (NVML, then CUDA through the root's
 * libcuda.so.1), and return a new host. dev_root may be NULL for "same as
 * driver_root". Zero GPUs is a success. A GPU whose UUID, minor number or
 * bus id NVML cannot give is left out and logged, and the others keep
 * their NVML index. Any other value that NVML or CUDA cannot give is
 * unknown. A GPU in MIG mode also gets its MIG devices; a driver without
 * NVML's MIG entry points has none, which is not an error.
 * CUDA runs in a child process (fork) that discovery waits for, so that
 * the caller never loads libcuda, which cannot be unloaded.
 */
NVD_PUBLIC struct nvd_host *nvd_host_discover_with(nvd_driver *driver,
                                                   const char *driver_root,
                                                   const char *dev_root,
                                                   nvd_error **err);

/*
 * Like nvd_host_discover_with(), but read only what NVML gives: the CUDA
 * version, each GPU's CUDA properties and its peers stay unknown until
 * nvd_host_read_cuda(). For a daemon that must serve at once and shows
 * the CUDA values only on some requests.
 */
NVD_PUBLIC struct nvd_host *nvd_host_discover_nvml(nvd_driver *driver,
                                                   const char *driver_root,
                                                   const char *dev_root,
                                                   nvd_error **err);

/*
 * Read the CUDA version, each GPU's CUDA properties and its peers into a
 * host from nvd_host_discover_nvml(), through the same driver. Does
 * nothing when they were read already. What CUDA cannot give is logged
 * and stays unknown. Not safe against concurrent readers of those values.
 */
NVD_PUBLIC void nvd_host_read_cuda(nvd_driver *driver, struct nvd_host *host);

/* Open the driver, discover the host and close the driver again. */
NVD_PUBLIC struct nvd_host *nvd_host_discover(const char *driver_root,
                                              const char *dev_root,
                                              nvd_error **err);

NVD_PUBLIC void nvd_host_free(struct nvd_host *host);

/*
 * Check whether NVML, through driver, still reports the MIG modes and MIG
 * devices (index and UUID) that discovery listed in host. MIG devices are
 * created and destroyed without a driver change, so a caller that finds
 * them changed discovers the host again. An NVML error counts as no change.
 * NOTE: a MIG device that discovery left out after an NVML error makes
 * every check report a change for as long as NVML reports that device.
 */
NVD_PUBLIC bool nvd_mig_layout_current(nvd_driver *driver, const struct nvd_host *host);

/*
 * Read the live status of every GPU of host into a new array of
 * host->gpu_count entries. Any NVML error other than "not supported" fails
 * the whole read. Release with nvd_status_free().
 */
NVD_PUBLIC struct nvd_gpu_status *nvd_status_read(nvd_driver *driver,
                                                  const struct nvd_host *host,
                                                  nvd_error **err);

NVD_PUBLIC void nvd_status_free(struct nvd_gpu_status *status, size_t count);

/* --------------------------------------------------------------- selection */

/* The special meanings a selection can have besides a list of GPUs. */
enum nvd_select_mode {
    NVD_SELECT_GPUS,   /* the listed GPUs, plus driver files and control nodes */
    NVD_SELECT_NONE,   /* no GPU, but driver files and control nodes */
    NVD_SELECT_VOID,   /* nothing at all */
};

/* The nvd_selection.migs value of an entry that selects a whole GPU. */
#define NVD_SELECT_WHOLE_GPU ((size_t)-1)

struct nvd_selection {
    enum nvd_select_mode mode;
    size_t count;
    size_t *gpus;      /* indexes into host->gpus, in the order given */
    size_t *migs;      /* per entry: index into that GPU's migs, or NVD_SELECT_WHOLE_GPU */
};

/*
 * Parse spec against host's GPUs. Pieces are separated by any character of
 * seps; empty pieces are dropped; a NULL, empty or "all" spec selects every
 * GPU as a whole GPU, MIG devices not included ("*" too when star_is_all).
 * A piece is an index, a full UUID, an unambiguous UUID prefix, a PCI bus
 * id, a MIG device ("<gpu index>:<MIG index>", its MIG UUID or an
 * unambiguous prefix of it, or the "MIG-GPU-<uuid>/<gi>/<ci>" form of
 * drivers before 470), "none" or "void". Duplicates are dropped. A bad
 * piece fails with NVD_ERR_INVALID "invalid device: <piece>".
 * Release with nvd_selection_clear().
 */
NVD_PUBLIC int nvd_select(const struct nvd_host *host, const char *spec,
                          const char *seps, bool star_is_all,
                          struct nvd_selection *out, nvd_error **err);

NVD_PUBLIC void nvd_selection_clear(struct nvd_selection *sel);

/* ------------------------------------------------------------ requirements */

/* The keys of a requirement condition, as bits. */
enum nvd_require_key {
    NVD_REQUIRE_CUDA = 1 << 0,     /* the driver's CUDA version */
    NVD_REQUIRE_DRIVER = 1 << 1,   /* the driver version */
    NVD_REQUIRE_ARCH = 1 << 2,     /* a GPU's compute capability */
    NVD_REQUIRE_BRAND = 1 << 3,    /* a GPU's brand */
};

/*
 * The facts that a requirement is checked against: "8.0", "375.66", "3.7",
 * "Tesla". A NULL or empty fact is unknown, and a condition on it holds, as
 * in libnvidia-container (arch and brand are unknown when no GPU is chosen).
 */
struct nvd_require_facts {
    const char *cuda;
    const char *driver;
    const char *arch;
    const char *brand;
};

/*
 * Evaluate the requirement expression expr (the value of an
 * NVIDIA_REQUIRE_* variable) against facts, in libnvidia-container's
 * grammar: groups separated by blanks, any of which must hold; within a
 * group, conditions separated by commas, all of which must hold; a
 * condition is cuda, driver, arch or brand, an operator (= != < <= > >=)
 * and a value. Versions compare part by part as numbers; brands compare
 * without case, with = and != only. An expression of blanks only holds.
 * Returns 1 when expr holds, 0 when it does not, and -1 with
 * NVD_ERR_INVALID when expr is malformed or a fact it compares is not a
 * version. *used_keys (when not NULL) receives the nvd_require_key bits of
 * every condition in expr.
 */
NVD_PUBLIC int nvd_require_eval(const char *expr, const struct nvd_require_facts *facts,
                                unsigned *used_keys, nvd_error **err);

/* ------------------------------------------------------- docker arguments */

#define NVD_VOLUME_BASE "nvidia_driver"
#define NVD_VOLUME_DRIVER "nvidia-docker"
#define NVD_MOUNT_POINT "/usr/local/nvidia"

/*
 * The device nodes and driver volumes that a container needs. Each device
 * is the node's path in the container (/dev/nvidia0), and its host path is
 * <dev_root>/dev/nvidia0. Volumes are "nvidia_driver_<version>".
 */
struct nvd_docker_args {
    size_t device_count;
    char **devices;          /* container paths: control nodes, then GPUs */
    size_t volume_count;
    char **volumes;          /* volume names */
    char *dev_root;          /* copy of host->dev_root */
};

/*
 * Collect the devices and volumes for sel on host: the control nodes that
 * exist under the dev root (nvidiactl, nvidia-uvm, nvidia-uvm-tools), then
 * each selected GPU's node, for a MIG device followed by its two
 * capability nodes /dev/nvidia-caps/nvidia-cap<N>, each node once, and the
 * driver volume. NVD_SELECT_VOID gives an
 * empty result. Release with nvd_docker_args_clear().
 */
NVD_PUBLIC int nvd_docker_args_collect(const struct nvd_host *host,
                                       const struct nvd_selection *sel,
                                       struct nvd_docker_args *out,
                                       nvd_error **err);

NVD_PUBLIC void nvd_docker_args_clear(struct nvd_docker_args *args);

/*
 * Format one --device argument into buf: "--device=/dev/X" when the dev
 * root is "/", else "--device=<dev_root>/dev/X:/dev/X". Returns the length
 * or -1 if buf is too small.
 */
NVD_PUBLIC int nvd_format_device_arg(const char *dev_root, const char *device,
                                     char *buf, size_t size);

/* ------------------------------------------------------------------ volume */

/*
 * Split a volume name "<base>_<version>" as 1.0 does and check it: the base
 * must be "nvidia_driver" and the version digits and dots, not "." or "..".
 * Errors carry 1.0's texts: "bad volume format: <name>" and
 * "unsupported volume: <name>". version receives the version part.
 */
NVD_PUBLIC int nvd_volume_parse(const char *name, char *version, size_t size,
                                nvd_error **err);

/*
 * Build the driver volume for host's current driver at
 * <volumes_dir>/nvidia_driver/<version> unless it exists: bin, lib and
 * lib64 with hard links (copies when linking fails) to the driver files
 * listed in the root's ld.so.cache, and the soname links. The build happens
 * in a temporary directory that is renamed into place.
 */
NVD_PUBLIC int nvd_volume_create(const struct nvd_host *host,
                                 const char *volumes_dir, nvd_error **err);

/* Delete the directory tree at path; a missing path is not an error. */
NVD_PUBLIC int nvd_remove_tree(const char *path, nvd_error **err);

/* Return a new string "<volumes_dir>/nvidia_driver/<version>". */
NVD_PUBLIC char *nvd_volume_path(const char *volumes_dir, const char *version);

/* --------------------------------------------------------------------- CDI */

/* The kind of nvd's Container Device Interface spec, and its file name. */
#define NVD_CDI_KIND "nvidia.com/gpu"
#define NVD_CDI_SPEC_FILE "nvidia-docker.json"

/*
 * Render host's Container Device Interface spec as JSON ending in "\n":
 * kind nvidia.com/gpu with cdiVersion 0.5.0, one device per GPU index, one
 * per GPU UUID, and "all". A device's edits carry its GPU node; the common
 * edits carry the control nodes that exist (nvidiactl, nvidia-uvm,
 * nvidia-uvm-tools, nvidia-modeset), NVIDIA_VISIBLE_DEVICES=void, and a
 * read-only bind mount of volume_dir at /usr/local/nvidia. Nodes have a
 * hostPath under host->dev_root unless it is "/". A host without GPUs
 * fails with NVD_ERR_NOT_FOUND. The caller frees the text.
 */
NVD_PUBLIC char *nvd_render_cdi_spec(const struct nvd_host *host, const char *volume_dir,
                                     nvd_error **err);

/*
 * Build the current driver volume under volumes_dir (nvd_volume_create)
 * and render the CDI spec that mounts it.
 */
NVD_PUBLIC char *nvd_cdi_generate(const struct nvd_host *host, const char *volumes_dir,
                                  nvd_error **err);

/*
 * Write spec to <dir>/nvidia-docker.json, creating dir when missing,
 * through a temporary file in dir that is synced and renamed into place,
 * so a reader sees the old spec or the new one, never a part.
 */
NVD_PUBLIC int nvd_cdi_write(const char *dir, const char *spec, nvd_error **err);

/* Remove <dir>/nvidia-docker.json; a missing file is not an error. */
NVD_PUBLIC int nvd_cdi_remove(const char *dir, nvd_error **err);

/* --------------------------------------------------------------- renderers */

/*
 * Render the REST API's outputs as 1.0 does, byte for byte. Each returns a
 * new string the caller frees. JSON uses Go's encoding/json escaping and
 * ends with "\n"; the /docker/cli and /mesos/cli text has no trailing
 * newline. Text tables follow Go's text/tabwriter layout.
 */
NVD_PUBLIC char *nvd_render_docker_cli_text(const struct nvd_docker_args *args);
NVD_PUBLIC char *nvd_render_docker_cli_json(const struct nvd_docker_args *args);
NVD_PUBLIC char *nvd_render_gpu_info_json(const struct nvd_host *host);
NVD_PUBLIC char *nvd_render_gpu_info_text(const struct nvd_host *host);
/* status has host->gpu_count entries. */
NVD_PUBLIC char *nvd_render_gpu_status_json(const struct nvd_host *host,
                                            const struct nvd_gpu_status *status);
NVD_PUBLIC char *nvd_render_gpu_status_text(const struct nvd_host *host,
                                            const struct nvd_gpu_status *status);
NVD_PUBLIC char *nvd_render_mesos_cli(const struct nvd_host *host);

/* Return s as a JSON string literal with Go's escaping; the caller frees it. */
NVD_PUBLIC char *nvd_json_quote(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* NVD_H */
