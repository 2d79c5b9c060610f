/*
 * golden.h: helpers for the tests that compare REST replies with the files
 * under tests/golden/: reading a file, nvd's additions to 1.0's
 * /gpu/info/json, and the k80x2 host of 1.0's replies built by hand.
 */
#ifndef NVD_TEST_GOLDEN_H
#define NVD_TEST_GOLDEN_H

#include "test_util.h"

#include "util.h"

/* Directory of 1.0's replies, under tests/golden/. */
#define GOLDEN_1_0_DIR "nvidia-docker-1.0/k80x2"

/* Return the path of tests/golden/<relative> in the source tree; the caller frees it. */
static inline char *golden_path(const char *relative)
{
    const char *source = getenv("NVD_SOURCE_ROOT");

    if (!source)
        fail_msg("NVD_SOURCE_ROOT is not set: run the test with meson test");
    return nvd_xasprintf("%s/tests/golden/%s", source, relative);
}

/* Read a whole file, or return NULL when it cannot be opened. The caller frees the text. */
static inline char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct nvd_buf b = {0};
    char chunk[4096];
    size_t n;

    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        nvd_buf_append(&b, chunk, n);
    fclose(f);
    return nvd_buf_steal(&b);
}

/* Read tests/golden/<relative>, failing the test when it is missing. */
static inline char *golden_read(const char *relative)
{
    char *path = golden_path(relative);
    char *text = read_text_file(path);

    if (!text)
        fail_msg("cannot read golden file %s", path);
    free(path);
    return text;
}

/*
 * Return 1.0's /gpu/info/json text with `extra` (such as ",\"Brand\":\"Tesla\"")
 * inserted before the closing brace of each device object: the objects at
 * depth 3, inside the top-level object and the Devices array.
 */
static inline char *json_extend_devices(const char *json, const char *extra)
{
    struct nvd_buf b = {0};
    bool in_string = false;
    int depth = 0;

    for (const char *p = json; *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1]) {
                nvd_buf_append(&b, p, 2);
                p++;
                continue;
            }
            if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (*p == '}' && depth == 3)
                nvd_buf_puts(&b, extra);
            depth--;
        }
        nvd_buf_append(&b, p, 1);
    }
    return nvd_buf_steal(&b);
}

/* The peers of the k80x2 GPUs: each the other, on the same board. */
static struct nvd_peer k80x2_peer0[] = {{"0000:06:00.0", NVD_P2P_SAME_BOARD}};
static struct nvd_peer k80x2_peer1[] = {{"0000:05:00.0", NVD_P2P_SAME_BOARD}};

/* Return one Tesla K80 GPU with the values behind 1.0's replies. */
static inline struct nvd_gpu k80_gpu(unsigned index, const char *uuid, const char *busid,
                                     struct nvd_peer *peer)
{
    struct nvd_gpu gpu = {
        .index = index, .minor = index, .name = "Tesla K80", .brand = "Tesla",
        .power_w = 149, .cpu_affinity = 0, .bar1_mib = 16384, .pci_bandwidth_mbs = 15760,
        .clock_cores_mhz = 875, .clock_memory_mhz = 2505,
        .peer_count = 1, .peers = peer,
        .family = "Kepler", .arch = "3.7", .cores = 2496, .ecc = 1,
        .memory_mib = 11439, .shared_kib = 112, .constant_kib = 64, .l2_kib = 1536,
        .memory_bandwidth_mbs = 240480,
    };
    snprintf(gpu.uuid, sizeof(gpu.uuid), "%s", uuid);
    snprintf(gpu.busid, sizeof(gpu.busid), "%s", busid);
    return gpu;
}

static struct nvd_gpu k80x2_gpus[2];
static char k80x2_root[] = "/";

/* Return the host of 1.0's k80x2 replies: driver 375.66, CUDA 8.0, two K80s. */
static inline struct nvd_host k80x2_host(void)
{
    k80x2_gpus[0] = k80_gpu(0, "GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac", "0000:05:00.0", k80x2_peer0);
    k80x2_gpus[1] = k80_gpu(1, "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d", "0000:06:00.0", k80x2_peer1);

    struct nvd_host host = {
        .driver_root = k80x2_root, .dev_root = k80x2_root,
        .driver_version = "375.66", .cuda_version = "8.0", .cuda_read = true,
        .gpu_count = 2, .gpus = k80x2_gpus,
    };
    return host;
}

static struct nvd_process k80x2_processes1[] = {{12345, "python", 1139}};

/* Return the status of 1.0's k80x2 replies, where GPU 1 has no ECC counters. */
static inline const struct nvd_gpu_status *k80x2_status(void)
{
    static struct nvd_gpu_status status[2];

    status[0] = (struct nvd_gpu_status){
        .power_w = 57, .temperature_c = 34,
        .util_gpu = 0, .util_memory = 0, .util_encoder = 0, .util_decoder = 0,
        .memory_used_mib = 0, .ecc_l1 = 0, .ecc_l2 = 0, .ecc_global = 0,
        .clock_cores_mhz = 562, .clock_memory_mhz = 2505, .bar1_used_mib = 2,
        .pcie_rx_mbs = 0, .pcie_tx_mbs = 0, .process_count = 0, .processes = NULL,
    };
    status[1] = (struct nvd_gpu_status){
        .power_w = 71, .temperature_c = 40,
        .util_gpu = 98, .util_memory = 35, .util_encoder = 0, .util_decoder = 0,
        .memory_used_mib = 1201,
        .ecc_l1 = NVD_UNKNOWN, .ecc_l2 = NVD_UNKNOWN, .ecc_global = NVD_UNKNOWN,
        .clock_cores_mhz = 823, .clock_memory_mhz = 2505, .bar1_used_mib = 4,
        .pcie_rx_mbs = 12, .pcie_tx_mbs = 3, .process_count = 1, .processes = k80x2_processes1,
    };
    return status;
}

/* Return a GPU whose every optional value is unknown and that has no peer. */
static inline struct nvd_gpu unknown_gpu(void)
{
    struct nvd_gpu gpu = {
        .index = 0, .minor = 0, .uuid = "GPU-00000000-0000-0000-0000-000000000000",
        .busid = "0000:01:00.0", .name = "", .brand = "",
        .power_w = NVD_UNKNOWN, .cpu_affinity = NVD_UNKNOWN, .bar1_mib = NVD_UNKNOWN,
        .pci_bandwidth_mbs = NVD_UNKNOWN, .clock_cores_mhz = NVD_UNKNOWN,
        .clock_memory_mhz = NVD_UNKNOWN, .peer_count = 0, .peers = NULL,
        .family = "", .arch = "", .cores = NVD_UNKNOWN, .ecc = -1,
        .memory_mib = NVD_UNKNOWN, .shared_kib = NVD_UNKNOWN, .constant_kib = NVD_UNKNOWN,
        .l2_kib = NVD_UNKNOWN, .memory_bandwidth_mbs = NVD_UNKNOWN,
    };
    return gpu;
}

/* Return a status whose every value is unknown and that has no process. */
static inline struct nvd_gpu_status unknown_status(void)
{
    struct nvd_gpu_status st = {
        .power_w = NVD_UNKNOWN, .temperature_c = NVD_UNKNOWN,
        .util_gpu = NVD_UNKNOWN, .util_memory = NVD_UNKNOWN,
        .util_encoder = NVD_UNKNOWN, .util_decoder = NVD_UNKNOWN,
        .memory_used_mib = NVD_UNKNOWN,
        .ecc_l1 = NVD_UNKNOWN, .ecc_l2 = NVD_UNKNOWN, .ecc_global = NVD_UNKNOWN,
        .clock_cores_mhz = NVD_UNKNOWN, .clock_memory_mhz = NVD_UNKNOWN,
        .bar1_used_mib = NVD_UNKNOWN, .pcie_rx_mbs = NVD_UNKNOWN, .pcie_tx_mbs = NVD_UNKNOWN,
        .process_count = 0, .processes = NULL,
    };
    return st;
}

#endif /* NVD_TEST_GOLDEN_H */
