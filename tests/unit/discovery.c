/*
 * discovery.c: nvd_host_discover_with() and nvd_status_read() on driver
 * roots made by the nvd-sim of this build ($NVD_BUILD_ROOT/bin/nvd-sim),
 * from the shipped profiles and from variants of them that a test writes:
 * entry points missing, NVML errors injected on one GPU, no libcuda.
 * nvd-sim needs root (mknod, ldconfig -r).
 */
#include <jansson.h>
#include <unistd.h>

#include "test_util.h"

#include "nvml_abi.h"
#include "util.h"

static unsigned root_count;

/* An open driver and what it discovered under a root. */
struct discovered {
    char *root;
    nvd_driver *driver;
    struct nvd_host *host;
};

static const char *const k80_uuids[] = {
    "GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac",
    "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d",
};

/* Load a shipped profile as JSON. */
static json_t *load_profile(const char *name)
{
    cleanup_free char *path = nvd_xasprintf("%s/sim/profiles/%s.json", build_dir, name);
    json_error_t error;
    json_t *profile = json_load_file(path, 0, &error);

    if (!profile)
        fail_msg("cannot read %s: %s", path, error.text);
    return profile;
}

/* Return gpus[index] of a profile. */
static json_t *profile_gpu(json_t *profile, size_t index)
{
    json_t *gpu = json_array_get(json_object_get(profile, "gpus"), index);

    assert_non_null(gpu);
    return gpu;
}

/* Make the GPU's NVML function fail with result. */
static void inject_nvml_error(json_t *profile, size_t gpu, const char *function, int result)
{
    json_object_set_new(profile_gpu(profile, gpu), "nvml_error",
                        json_pack("{s:s, s:i}", "function", function, "return", result));
}

/* Remove the named entry points from the profile's doubles. */
static void remove_functions(json_t *profile, const char *const *names, size_t count)
{
    json_t *list = json_object_get(profile, "missing_functions");

    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, json_string(names[i]));
}

/* Lay out a new root from profile (consumed) and return its path. */
static char *make_root(json_t *profile)
{
    unsigned n = ++root_count;
    cleanup_free char *file = nvd_xasprintf("%s/profile-%u.json", tmp_dir, n);
    char *root = nvd_xasprintf("%s/root-%u", tmp_dir, n);

    assert_int_equal(json_dump_file(profile, file, JSON_INDENT(2)), 0);
    json_decref(profile);
    run_ok("%s/bin/nvd-sim init %s --profile %s >/dev/null", build_dir, root, file);
    return root;
}

/* Open the driver of root and discover its host; fail the test on an error. */
static void discover(char *root, struct discovered *d)
{
    nvd_error *err = NULL;

    d->root = root;
    d->driver = nvd_driver_open(root, &err);
    if (!d->driver)
        fail_msg("cannot open the driver of %s: %s", root, err->msg);
    d->host = nvd_host_discover_with(d->driver, root, NULL, &err);
    if (!d->host)
        fail_msg("discovery under %s failed: %s", root, err->msg);
}

/* Discover a root made from an unchanged shipped profile. */
static void discover_profile(const char *name, struct discovered *d)
{
    discover(make_root(load_profile(name)), d);
}

static void release(struct discovered *d)
{
    nvd_host_free(d->host);
    nvd_driver_close(d->driver);
    free(d->root);
}

/* Read the status of d's GPUs; fail the test on an error. */
static struct nvd_gpu_status *read_status(const struct discovered *d)
{
    nvd_error *err = NULL;
    struct nvd_gpu_status *status = nvd_status_read(d->driver, d->host, &err);

    if (!status)
        fail_msg("status read failed: %s", err->msg);
    return status;
}

/* Check every /gpu/info value of one k80x2 GPU against 1.0's golden output. */
static void assert_k80_gpu(const struct nvd_gpu *gpu, unsigned index, const char *busid,
                           const char *peer_busid)
{
    assert_int_equal(gpu->index, index);
    assert_int_equal(gpu->minor, index);
    assert_string_equal(gpu->uuid, k80_uuids[index]);
    assert_string_equal(gpu->busid, busid);
    assert_string_equal(gpu->name, "Tesla K80");
    assert_string_equal(gpu->brand, "Tesla");
    assert_int_equal(gpu->power_w, 149);
    assert_int_equal(gpu->cpu_affinity, 0);
    assert_int_equal(gpu->bar1_mib, 16384);
    assert_int_equal(gpu->pci_bandwidth_mbs, 15760);
    assert_int_equal(gpu->clock_cores_mhz, 875);
    assert_int_equal(gpu->clock_memory_mhz, 2505);
    assert_int_equal(gpu->peer_count, 1);
    assert_string_equal(gpu->peers[0].busid, peer_busid);
    assert_int_equal(gpu->peers[0].link, NVD_P2P_SAME_BOARD);
    assert_string_equal(gpu->family, "Kepler");
    assert_string_equal(gpu->arch, "3.7");
    assert_int_equal(gpu->cores, 2496);
    assert_int_equal(gpu->ecc, 1);
    assert_int_equal(gpu->memory_mib, 11439);
    assert_int_equal(gpu->shared_kib, 112);
    assert_int_equal(gpu->constant_kib, 64);
    assert_int_equal(gpu->l2_kib, 1536);
    assert_int_equal(gpu->memory_bandwidth_mbs, 240480);
}

static void k80x2_info_matches_golden(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    discover_profile("k80x2", &d);
    assert_string_equal(d.host->driver_version, "375.66");
    assert_string_equal(d.host->cuda_version, "8.0");
    assert_int_equal(d.host->gpu_count, 2);
    assert_k80_gpu(&d.host->gpus[0], 0, "0000:05:00.0", "0000:06:00.0");
    assert_k80_gpu(&d.host->gpus[1], 1, "0000:06:00.0", "0000:05:00.0");
    release(&d);
}

/* NVML-only discovery leaves the CUDA values for nvd_host_read_cuda(), which
 * then gives what full discovery gives, once. */
static void cuda_values_can_be_read_later(void **state)
{
    SKIP_UNLESS_ROOT();
    char *root = make_root(load_profile("k80x2"));
    nvd_error *err = NULL;
    nvd_driver *driver = nvd_driver_open(root, &err);
    assert_non_null(driver);
    struct nvd_host *host = nvd_host_discover_nvml(driver, root, NULL, &err);
    assert_non_null(host);

    assert_false(host->cuda_read);
    assert_string_equal(host->cuda_version, "");
    assert_string_equal(host->gpus[0].arch, "");
    assert_int_equal(host->gpus[0].peer_count, 0);
    assert_int_equal(host->gpus[0].bar1_mib, 16384);

    nvd_host_read_cuda(driver, host);
    assert_true(host->cuda_read);
    assert_string_equal(host->cuda_version, "8.0");
    assert_k80_gpu(&host->gpus[0], 0, "0000:05:00.0", "0000:06:00.0");
    assert_k80_gpu(&host->gpus[1], 1, "0000:06:00.0", "0000:05:00.0");
    nvd_host_read_cuda(driver, host);
    assert_int_equal(host->gpus[0].peer_count, 1);

    nvd_host_free(host);
    nvd_driver_close(driver);
    free(root);
}

static void k80x2_status_matches_golden(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    discover_profile("k80x2", &d);
    struct nvd_gpu_status *status = read_status(&d);
    const struct nvd_gpu_status *s0 = &status[0];
    const struct nvd_gpu_status *s1 = &status[1];

    assert_int_equal(s0->power_w, 57);
    assert_int_equal(s0->temperature_c, 34);
    assert_int_equal(s0->util_gpu, 0);
    assert_int_equal(s0->util_memory, 0);
    assert_int_equal(s0->util_encoder, 0);
    assert_int_equal(s0->util_decoder, 0);
    assert_int_equal(s0->memory_used_mib, 0);
    assert_int_equal(s0->ecc_l1, 0);
    assert_int_equal(s0->ecc_l2, 0);
    assert_int_equal(s0->ecc_global, 0);
    assert_int_equal(s0->clock_cores_mhz, 562);
    assert_int_equal(s0->clock_memory_mhz, 2505);
    assert_int_equal(s0->bar1_used_mib, 2);
    assert_int_equal(s0->pcie_rx_mbs, 0);
    assert_int_equal(s0->pcie_tx_mbs, 0);
    assert_int_equal(s0->process_count, 0);
    assert_null(s0->processes);

    assert_int_equal(s1->power_w, 71);
    assert_int_equal(s1->temperature_c, 40);
    assert_int_equal(s1->util_gpu, 98);
    assert_int_equal(s1->util_memory, 35);
    assert_int_equal(s1->util_encoder, 0);
    assert_int_equal(s1->util_decoder, 0);
    assert_int_equal(s1->memory_used_mib, 1201);
    assert_int_equal(s1->ecc_l1, NVD_UNKNOWN);
    assert_int_equal(s1->ecc_l2, NVD_UNKNOWN);
    assert_int_equal(s1->ecc_global, NVD_UNKNOWN);
    assert_int_equal(s1->clock_cores_mhz, 823);
    assert_int_equal(s1->clock_memory_mhz, 2505);
    assert_int_equal(s1->bar1_used_mib, 4);
    assert_int_equal(s1->pcie_rx_mbs, 12);
    assert_int_equal(s1->pcie_tx_mbs, 3);
    assert_int_equal(s1->process_count, 1);
    assert_int_equal(s1->processes[0].pid, 12345);
    assert_string_equal(s1->processes[0].name, "python");
    assert_int_equal(s1->processes[0].memory_mib, 1139);

    nvd_status_free(status, d.host->gpu_count);
    release(&d);
}

/* Check that every optional value of gpu is unknown. */
static void assert_gpu_unknown(const struct nvd_gpu *gpu)
{
    assert_string_equal(gpu->name, "");
    assert_string_equal(gpu->brand, "");
    assert_int_equal(gpu->power_w, NVD_UNKNOWN);
    assert_int_equal(gpu->cpu_affinity, 0);
    assert_int_equal(gpu->bar1_mib, NVD_UNKNOWN);
    assert_int_equal(gpu->pci_bandwidth_mbs, NVD_UNKNOWN);
    assert_int_equal(gpu->clock_cores_mhz, NVD_UNKNOWN);
    assert_int_equal(gpu->clock_memory_mhz, NVD_UNKNOWN);
    assert_int_equal(gpu->peer_count, 0);
    assert_null(gpu->peers);
    assert_string_equal(gpu->family, "");
    assert_string_equal(gpu->arch, "");
    assert_int_equal(gpu->cores, NVD_UNKNOWN);
    assert_int_equal(gpu->ecc, -1);
    assert_int_equal(gpu->memory_mib, NVD_UNKNOWN);
    assert_int_equal(gpu->shared_kib, NVD_UNKNOWN);
    assert_int_equal(gpu->constant_kib, NVD_UNKNOWN);
    assert_int_equal(gpu->l2_kib, NVD_UNKNOWN);
    assert_int_equal(gpu->memory_bandwidth_mbs, NVD_UNKNOWN);
}

/* Check that every value of st is unknown and it lists no process. */
static void assert_status_unknown(const struct nvd_gpu_status *st)
{
    const long long values[] = {
        st->power_w, st->temperature_c, st->util_gpu, st->util_memory, st->util_encoder,
        st->util_decoder, st->memory_used_mib, st->ecc_l1, st->ecc_l2, st->ecc_global,
        st->clock_cores_mhz, st->clock_memory_mhz, st->bar1_used_mib, st->pcie_rx_mbs,
        st->pcie_tx_mbs,
    };

    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        assert_int_equal(values[i], NVD_UNKNOWN);
    assert_int_equal(st->process_count, 0);
    assert_null(st->processes);
}

static void na_reports_only_identity(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    discover_profile("na", &d);
    assert_string_equal(d.host->driver_version, "550.54.15");
    assert_string_equal(d.host->cuda_version, "12.4");
    assert_int_equal(d.host->gpu_count, 2);
    assert_string_equal(d.host->gpus[0].uuid, "GPU-5b1f0c3e-9d2a-4e61-b7c4-2f8a6d09e1c5");
    assert_string_equal(d.host->gpus[0].busid, "0000:3b:00.0");
    assert_int_equal(d.host->gpus[0].minor, 0);
    assert_string_equal(d.host->gpus[1].uuid, "GPU-c7e24a91-0f3b-4d58-a6e2-91b5d3c8f704");
    assert_string_equal(d.host->gpus[1].busid, "0000:d8:00.0");
    assert_int_equal(d.host->gpus[1].minor, 1);
    assert_gpu_unknown(&d.host->gpus[0]);
    assert_gpu_unknown(&d.host->gpus[1]);

    struct nvd_gpu_status *status = read_status(&d);
    assert_status_unknown(&status[0]);
    assert_status_unknown(&status[1]);
    nvd_status_free(status, d.host->gpu_count);
    release(&d);
}

static void none_has_no_gpu(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    discover_profile("none", &d);
    assert_int_equal(d.host->gpu_count, 0);
    assert_string_equal(d.host->cuda_version, "12.4");

    nvd_error *err = NULL;
    struct nvd_gpu_status *status = nvd_status_read(d.driver, d.host, &err);
    assert_non_null(status);
    nvd_status_free(status, 0);
    release(&d);
}

/* The link expected between slots a and b of one gpu64 board. */
static enum nvd_p2p_link gpu64_link(unsigned a, unsigned b)
{
    if (a / 2 == b / 2)
        return NVD_P2P_SINGLE_SWITCH;
    if (a / 4 == b / 4)
        return NVD_P2P_MULTIPLE_SWITCHES;
    return NVD_P2P_SAME_CPU;
}

static void gpu64_has_boards_of_peers(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    discover_profile("gpu64", &d);
    assert_int_equal(d.host->gpu_count, 64);
    for (unsigned i = 0; i < 64; i++) {
        const struct nvd_gpu *gpu = &d.host->gpus[i];
        unsigned board = i / 8;

        assert_int_equal(gpu->index, i);
        assert_int_equal(gpu->minor, i);
        assert_string_equal(gpu->family, "Hopper");
        assert_string_equal(gpu->arch, "9.0");
        assert_int_equal(gpu->cores, 132 * 128);
        assert_int_equal(gpu->pci_bandwidth_mbs, 3938 * 16);
        assert_int_equal(gpu->memory_bandwidth_mbs, 2 * 2619 * 640);
        assert_int_equal(gpu->peer_count, 7);
        for (size_t k = 0; k < gpu->peer_count; k++) {
            const struct nvd_gpu *peer = NULL;
            for (unsigned j = 0; j < 64; j++) {
                if (strcmp(d.host->gpus[j].busid, gpu->peers[k].busid) == 0)
                    peer = &d.host->gpus[j];
            }
            assert_non_null(peer);
            assert_int_equal(peer->index / 8, board);
            assert_int_equal(gpu->peers[k].link, gpu64_link(i % 8, peer->index % 8));
        }
    }
    /* Boards 4 to 7 are in domain 0001, which NVML writes as 00000001. */
    assert_string_equal(d.host->gpus[63].busid, "0001:bc:00.0");
    release(&d);
}

static void gpu64_status_grows_process_list(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    discover_profile("gpu64", &d);
    struct nvd_gpu_status *status = read_status(&d);
    const struct nvd_gpu_status *busy = &status[63];

    /* More than the 32 entries that 1.0 asked for, which made it fail. */
    assert_int_equal(busy->process_count, 40);
    for (unsigned k = 0; k < 40; k++) {
        const struct nvd_process *p = &busy->processes[k];
        char name[64];

        assert_int_equal(p->pid, 40000 + k);
        snprintf(name, sizeof(name), "/usr/bin/python3 worker-%u", k);
        /* Process 7 has exited: NVML no longer names it. */
        assert_string_equal(p->name, k == 7 ? "" : name);
        /* Process 11's memory use is not available. */
        assert_int_equal(p->memory_mib, k == 11 ? NVD_UNKNOWN : 512 + k);
    }
    assert_int_equal(status[0].process_count, 1);
    assert_string_equal(status[0].processes[0].name, "/opt/train/bin/trainer");
    assert_int_equal(status[0].processes[0].memory_mib, 70144);
    assert_int_equal(status[1].process_count, 0);
    nvd_status_free(status, d.host->gpu_count);
    release(&d);
}

static void a100x8_is_dgx_like(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    discover_profile("a100x8", &d);
    assert_string_equal(d.host->cuda_version, "12.4");
    assert_int_equal(d.host->gpu_count, 8);

    const struct nvd_gpu *gpu = &d.host->gpus[0];
    assert_string_equal(gpu->name, "NVIDIA A100-SXM4-40GB");
    assert_string_equal(gpu->brand, "NVIDIA");
    assert_string_equal(gpu->family, "Ampere");
    assert_string_equal(gpu->arch, "8.0");
    assert_int_equal(gpu->cores, 108 * 64);
    assert_int_equal(gpu->power_w, 400);
    assert_int_equal(gpu->pci_bandwidth_mbs, 1969 * 16);
    assert_int_equal(gpu->memory_mib, 40960);
    assert_int_equal(gpu->memory_bandwidth_mbs, 2 * 1215 * 640);
    assert_int_equal(gpu->peer_count, 7);
    assert_string_equal(gpu->peers[0].busid, "0000:0f:00.0");
    assert_int_equal(gpu->peers[0].link, NVD_P2P_MULTIPLE_SWITCHES);
    assert_string_equal(gpu->peers[1].busid, "0000:47:00.0");
    assert_int_equal(gpu->peers[1].link, NVD_P2P_SAME_CPU);
    assert_string_equal(gpu->peers[6].busid, "0000:bd:00.0");
    assert_int_equal(gpu->peers[6].link, NVD_P2P_CROSS_CPU);
    release(&d);
}

/*
 * A driver that lacks optional entry points still starts, and their values
 * are unknown. Without nvmlDeviceGetComputeRunningProcesses_v3 the legacy
 * call still lists the processes; without nvmlSystemGetCudaDriverVersion
 * libcuda gives the CUDA version.
 */
static void missing_optional_functions_are_unsupported(void **state)
{
    SKIP_UNLESS_ROOT();
    static const char *const missing[] = {
        "nvmlDeviceGetTopologyCommonAncestor",
        "nvmlDeviceGetComputeRunningProcesses_v3",
        "nvmlDeviceGetEncoderUtilization",
        "nvmlDeviceGetDecoderUtilization",
        "nvmlDeviceGetPcieThroughput",
        "nvmlDeviceGetBrand",
        "nvmlSystemGetCudaDriverVersion",
        "cuGetErrorString",
    };
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    remove_functions(profile, missing, sizeof(missing) / sizeof(missing[0]));
    discover(make_root(profile), &d);
    assert_string_equal(d.host->cuda_version, "8.0");
    for (size_t i = 0; i < 2; i++) {
        const struct nvd_gpu *gpu = &d.host->gpus[i];
        assert_string_equal(gpu->brand, "");
        assert_int_equal(gpu->peer_count, 1);
        assert_int_equal(gpu->peers[0].link, NVD_P2P_UNKNOWN);
        assert_int_equal(gpu->cores, 2496);
    }

    struct nvd_gpu_status *status = read_status(&d);
    assert_int_equal(status[1].util_encoder, NVD_UNKNOWN);
    assert_int_equal(status[1].util_decoder, NVD_UNKNOWN);
    assert_int_equal(status[1].pcie_rx_mbs, NVD_UNKNOWN);
    assert_int_equal(status[1].pcie_tx_mbs, NVD_UNKNOWN);
    assert_int_equal(status[1].util_gpu, 98);
    assert_int_equal(status[1].process_count, 1);
    assert_int_equal(status[1].processes[0].pid, 12345);
    assert_string_equal(status[1].processes[0].name, "python");
    nvd_status_free(status, d.host->gpu_count);
    release(&d);
}

static void missing_process_functions_list_none(void **state)
{
    SKIP_UNLESS_ROOT();
    static const char *const missing[] = {
        "nvmlDeviceGetComputeRunningProcesses_v3",
        "nvmlDeviceGetComputeRunningProcesses",
        "nvmlSystemGetProcessName",
    };
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    remove_functions(profile, missing, sizeof(missing) / sizeof(missing[0]));
    discover(make_root(profile), &d);
    struct nvd_gpu_status *status = read_status(&d);
    assert_int_equal(status[1].process_count, 0);
    assert_null(status[1].processes);
    nvd_status_free(status, d.host->gpu_count);
    release(&d);
}

static void missing_required_function_names_it(void **state)
{
    SKIP_UNLESS_ROOT();
    static const char *const missing[] = { "nvmlDeviceGetUUID" };
    json_t *profile = load_profile("k80x2");
    nvd_error *err = NULL;

    remove_functions(profile, missing, 1);
    cleanup_free char *root = make_root(profile);
    assert_null(nvd_driver_open(root, &err));
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_DRIVER);
    assert_non_null(strstr(err->msg, "nvmlDeviceGetUUID"));
    nvd_error_free(err);
}

/* A GPU whose handle NVML cannot give is left out; the others stay, with their NVML index. */
static void gpu_handle_error_leaves_gpu_out(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    inject_nvml_error(profile, 0, "nvmlDeviceGetHandleByIndex_v2", NVML_ERROR_GPU_IS_LOST);
    discover(make_root(profile), &d);
    assert_int_equal(d.host->gpu_count, 1);
    assert_int_equal(d.host->gpus[0].index, 1);
    assert_string_equal(d.host->gpus[0].uuid, k80_uuids[1]);
    assert_int_equal(d.host->gpus[0].power_w, 149);
    /* Its peer is gone, so the pair is not listed. */
    assert_int_equal(d.host->gpus[0].peer_count, 0);
    release(&d);
}

static void gpu_unsupported_identity_leaves_gpu_out(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    inject_nvml_error(profile, 1, "nvmlDeviceGetMinorNumber", NVML_ERROR_NOT_SUPPORTED);
    discover(make_root(profile), &d);
    assert_int_equal(d.host->gpu_count, 1);
    assert_string_equal(d.host->gpus[0].uuid, k80_uuids[0]);
    release(&d);
}

/* An error on an optional value makes only that value unknown. */
static void gpu_value_error_keeps_gpu(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    inject_nvml_error(profile, 1, "nvmlDeviceGetPowerManagementLimit", NVML_ERROR_UNKNOWN);
    discover(make_root(profile), &d);
    assert_int_equal(d.host->gpu_count, 2);
    assert_int_equal(d.host->gpus[0].power_w, 149);
    assert_int_equal(d.host->gpus[1].power_w, NVD_UNKNOWN);
    assert_int_equal(d.host->gpus[1].bar1_mib, 16384);
    assert_int_equal(d.host->gpus[1].cores, 2496);
    release(&d);
}

static void topology_error_gives_unknown_link(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    inject_nvml_error(profile, 0, "nvmlDeviceGetTopologyCommonAncestor", NVML_ERROR_UNKNOWN);
    discover(make_root(profile), &d);
    assert_int_equal(d.host->gpus[0].peer_count, 1);
    assert_int_equal(d.host->gpus[0].peers[0].link, NVD_P2P_UNKNOWN);
    assert_int_equal(d.host->gpus[1].peers[0].link, NVD_P2P_UNKNOWN);
    release(&d);
}

/* Peers whose topology NVML does not support are listed with an unknown link. */
static void peers_without_topology_are_unknown(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    for (size_t i = 0; i < 2; i++) {
        json_t *peer = json_array_get(json_object_get(profile_gpu(profile, i), "peers"), 0);
        json_object_set_new(peer, "link", json_null());
    }
    discover(make_root(profile), &d);
    assert_int_equal(d.host->gpus[0].peer_count, 1);
    assert_string_equal(d.host->gpus[0].peers[0].busid, "0000:06:00.0");
    assert_int_equal(d.host->gpus[0].peers[0].link, NVD_P2P_UNKNOWN);
    release(&d);
}

static void status_error_names_gpu_and_call(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("k80x2");
    struct discovered d;
    nvd_error *err = NULL;

    inject_nvml_error(profile, 1, "nvmlDeviceGetPowerUsage", NVML_ERROR_GPU_IS_LOST);
    discover(make_root(profile), &d);
    assert_null(nvd_status_read(d.driver, d.host, &err));
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_DRIVER);
    assert_non_null(strstr(err->msg, "GPU 1 (0000:06:00.0)"));
    assert_non_null(strstr(err->msg, "nvmlDeviceGetPowerUsage"));
    assert_non_null(strstr(err->msg, "GPU is lost"));
    nvd_error_free(err);
    release(&d);
}

static void status_process_error_fails_read(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("k80x2");
    struct discovered d;
    nvd_error *err = NULL;

    inject_nvml_error(profile, 0, "nvmlDeviceGetComputeRunningProcesses_v3",
                      NVML_ERROR_NO_PERMISSION);
    discover(make_root(profile), &d);
    assert_null(nvd_status_read(d.driver, d.host, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "GPU 0 (0000:05:00.0)"));
    assert_non_null(strstr(err->msg, "nvmlDeviceGetComputeRunningProcesses_v3"));
    nvd_error_free(err);
    release(&d);
}

/* Remove libcuda from a root and its ld.so.cache. */
static void remove_libcuda(const char *root)
{
    run_ok("rm -f %s/usr/lib/*/libcuda.so* && ldconfig -r %s", root, root);
}

static void no_libcuda_leaves_cuda_unknown(void **state)
{
    SKIP_UNLESS_ROOT();
    char *root = make_root(load_profile("k80x2"));
    struct discovered d;

    remove_libcuda(root);
    discover(root, &d);
    assert_string_equal(d.host->cuda_version, "8.0");
    assert_int_equal(d.host->gpu_count, 2);
    const struct nvd_gpu *gpu = &d.host->gpus[0];
    assert_string_equal(gpu->arch, "");
    assert_string_equal(gpu->family, "");
    assert_int_equal(gpu->cores, NVD_UNKNOWN);
    assert_int_equal(gpu->memory_mib, NVD_UNKNOWN);
    assert_int_equal(gpu->ecc, -1);
    assert_int_equal(gpu->peer_count, 0);
    /* NVML's values remain. */
    assert_int_equal(gpu->power_w, 149);
    assert_int_equal(gpu->clock_cores_mhz, 875);
    release(&d);
}

/* Only when neither NVML nor libcuda gives a CUDA version is it 1.0's "0.0". */
static void no_cuda_version_anywhere_is_zero(void **state)
{
    SKIP_UNLESS_ROOT();
    static const char *const missing[] = { "nvmlSystemGetCudaDriverVersion" };
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    remove_functions(profile, missing, 1);
    char *root = make_root(profile);
    remove_libcuda(root);
    discover(root, &d);
    assert_string_equal(d.host->cuda_version, "0.0");
    assert_int_equal(d.host->gpu_count, 2);
    release(&d);
}

/* nvd unsets CUDA_VISIBLE_DEVICES for its CUDA query, as 1.0 did. */
static void cuda_visible_devices_is_ignored(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    setenv("CUDA_VISIBLE_DEVICES", "1", 1);
    discover_profile("k80x2", &d);
    unsetenv("CUDA_VISIBLE_DEVICES");
    assert_string_equal(d.host->gpus[0].arch, "3.7");
    assert_string_equal(d.host->gpus[1].arch, "3.7");
    assert_int_equal(d.host->gpus[0].peer_count, 1);
    release(&d);
}

/* A GPU that CUDA does not see keeps its NVML values and has no peers. */
static void gpu_without_cuda_keeps_nvml_values(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("k80x2");
    struct discovered d;

    json_object_set_new(profile_gpu(profile, 1), "cuda", json_null());
    discover(make_root(profile), &d);
    assert_string_equal(d.host->gpus[0].arch, "3.7");
    assert_string_equal(d.host->gpus[1].arch, "");
    assert_int_equal(d.host->gpus[1].memory_mib, NVD_UNKNOWN);
    assert_int_equal(d.host->gpus[1].power_w, 149);
    assert_int_equal(d.host->gpus[0].peer_count, 0);
    assert_int_equal(d.host->gpus[1].peer_count, 0);
    release(&d);
}

/* Check one MIG device of a discovered host. */
static void assert_mig(const struct nvd_mig_device *mig, unsigned index, unsigned gi, unsigned ci,
                       const char *profile, long long memory_mib, unsigned gi_cap, unsigned ci_cap)
{
    assert_int_equal(mig->index, index);
    assert_int_equal(mig->gpu_instance, gi);
    assert_int_equal(mig->compute_instance, ci);
    assert_string_equal(mig->profile, profile);
    assert_int_equal(mig->memory_mib, memory_mib);
    assert_int_equal(mig->gi_cap_minor, gi_cap);
    assert_int_equal(mig->ci_cap_minor, ci_cap);
    assert_memory_equal(mig->uuid, "MIG-", 4);
}

static void a100x8_mig_lists_mig_devices(void **state)
{
    SKIP_UNLESS_ROOT();
    struct discovered d;

    discover_profile("a100x8-mig", &d);
    assert_int_equal(d.host->gpu_count, 8);

    /* GPU 0: seven 1g.5gb on GPU instances 7 to 13; minors 3 + 9 * gi and one more */
    const struct nvd_gpu *gpu = &d.host->gpus[0];
    assert_int_equal(gpu->mig_mode, 1);
    assert_int_equal(gpu->mig_count, 7);
    for (unsigned m = 0; m < 7; m++)
        assert_mig(&gpu->migs[m], m, 7 + m, 0, "1g.5gb", 4864, 3 + 9 * (7 + m), 4 + 9 * (7 + m));

    /* GPU 2 (minor 2): GPU instance 1 split into two compute instances, and GPU instance 2 */
    gpu = &d.host->gpus[2];
    assert_int_equal(gpu->mig_count, 3);
    assert_mig(&gpu->migs[0], 0, 1, 0, "1c.3g.20gb", 20224, 282, 283);
    assert_mig(&gpu->migs[1], 1, 1, 1, "2c.3g.20gb", 20224, 282, 284);
    assert_mig(&gpu->migs[2], 2, 2, 0, "3g.20gb", 20224, 291, 292);
    assert_string_equal(gpu->migs[2].uuid, "MIG-c6c03d06-15af-57f5-78b1-177b2d92bb35");

    /* GPU 3 has MIG disabled, GPU 4 is in MIG mode without MIG devices. */
    assert_int_equal(d.host->gpus[3].mig_mode, 0);
    assert_int_equal(d.host->gpus[3].mig_count, 0);
    assert_null(d.host->gpus[3].migs);
    assert_int_equal(d.host->gpus[4].mig_mode, 1);
    assert_int_equal(d.host->gpus[4].mig_count, 0);

    struct nvd_gpu_status *status = read_status(&d);
    assert_int_equal(status[0].mig_count, 7);
    assert_int_equal(status[0].mig_memory_used_mib[0], 1139);
    assert_int_equal(status[0].mig_memory_used_mib[6], 0);
    assert_int_equal(status[3].mig_count, 0);
    assert_null(status[3].mig_memory_used_mib);
    nvd_status_free(status, d.host->gpu_count);
    release(&d);
}

/* A MIG device whose capability node is missing is not visible, as to a container without it. */
static void mig_device_without_cap_node_is_hidden(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root(load_profile("a100x8-mig"));
    struct discovered d;

    run_ok("rm %s/dev/nvidia-caps/nvidia-cap67", root);
    discover(nvd_xstrdup(root), &d);
    assert_int_equal(d.host->gpus[0].mig_count, 6);
    assert_int_equal(d.host->gpus[0].migs[0].gpu_instance, 8);
    release(&d);
}

static void missing_mig_functions_mean_no_mig(void **state)
{
    SKIP_UNLESS_ROOT();
    static const char *const no_mig[] = { "nvmlDeviceGetMigMode" };
    static const char *const no_attributes[] = { "nvmlDeviceGetAttributes_v2" };
    json_t *profile = load_profile("a100x8-mig");
    struct discovered d;

    remove_functions(profile, no_mig, 1);
    discover(make_root(profile), &d);
    for (size_t i = 0; i < d.host->gpu_count; i++) {
        assert_int_equal(d.host->gpus[i].mig_mode, -1);
        assert_int_equal(d.host->gpus[i].mig_count, 0);
    }
    release(&d);

    /* Without attributes the MIG devices stay, with profile and memory unknown. */
    profile = load_profile("a100x8-mig");
    remove_functions(profile, no_attributes, 1);
    discover(make_root(profile), &d);
    assert_int_equal(d.host->gpus[1].mig_count, 3);
    assert_string_equal(d.host->gpus[1].migs[0].profile, "");
    assert_int_equal(d.host->gpus[1].migs[0].memory_mib, NVD_UNKNOWN);
    assert_int_equal(d.host->gpus[1].migs[0].gi_cap_minor, 3 + 9 * (15 * 1 + 2));
    release(&d);
}

/* An NVML error on a GPU's MIG mode keeps the GPU, without MIG devices. */
static void mig_mode_error_keeps_gpu(void **state)
{
    SKIP_UNLESS_ROOT();
    json_t *profile = load_profile("a100x8-mig");
    struct discovered d;

    inject_nvml_error(profile, 1, "nvmlDeviceGetMigMode", NVML_ERROR_UNKNOWN);
    discover(make_root(profile), &d);
    assert_int_equal(d.host->gpu_count, 8);
    assert_int_equal(d.host->gpus[1].mig_mode, -1);
    assert_int_equal(d.host->gpus[1].mig_count, 0);
    assert_int_equal(d.host->gpus[0].mig_count, 7);
    release(&d);
}

/* A MIG layout that changes under a root shows on the next discovery. */
static void mig_layout_change_shows_on_rediscovery(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root(load_profile("a100x8-mig"));
    struct discovered d;

    discover(nvd_xstrdup(root), &d);
    assert_int_equal(d.host->gpus[0].mig_mode, 1);
    release(&d);

    json_t *profile = load_profile("a100x8-mig");
    json_t *mig = json_object_get(profile_gpu(profile, 0), "mig");
    json_object_set_new(mig, "mode", json_string("disabled"));
    json_array_clear(json_object_get(mig, "devices"));
    cleanup_free char *file = nvd_xasprintf("%s/changed-mig.json", tmp_dir);
    assert_int_equal(json_dump_file(profile, file, JSON_INDENT(2)), 0);
    json_decref(profile);
    run_ok("%s/bin/nvd-sim init %s --profile %s >/dev/null", build_dir, root, file);

    discover(nvd_xstrdup(root), &d);
    assert_int_equal(d.host->gpus[0].mig_mode, 0);
    assert_int_equal(d.host->gpus[0].mig_count, 0);
    assert_int_equal(d.host->gpus[1].mig_count, 3);
    release(&d);
    run_ok("test ! -e %s/dev/nvidia-caps/nvidia-cap66", root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(k80x2_info_matches_golden),
        cmocka_unit_test(cuda_values_can_be_read_later),
        cmocka_unit_test(a100x8_mig_lists_mig_devices),
        cmocka_unit_test(mig_device_without_cap_node_is_hidden),
        cmocka_unit_test(missing_mig_functions_mean_no_mig),
        cmocka_unit_test(mig_mode_error_keeps_gpu),
        cmocka_unit_test(mig_layout_change_shows_on_rediscovery),
        cmocka_unit_test(k80x2_status_matches_golden),
        cmocka_unit_test(na_reports_only_identity),
        cmocka_unit_test(none_has_no_gpu),
        cmocka_unit_test(gpu64_has_boards_of_peers),
        cmocka_unit_test(gpu64_status_grows_process_list),
        cmocka_unit_test(a100x8_is_dgx_like),
        cmocka_unit_test(missing_optional_functions_are_unsupported),
        cmocka_unit_test(missing_process_functions_list_none),
        cmocka_unit_test(missing_required_function_names_it),
        cmocka_unit_test(gpu_handle_error_leaves_gpu_out),
        cmocka_unit_test(gpu_unsupported_identity_leaves_gpu_out),
        cmocka_unit_test(gpu_value_error_keeps_gpu),
        cmocka_unit_test(topology_error_gives_unknown_link),
        cmocka_unit_test(peers_without_topology_are_unknown),
        cmocka_unit_test(status_error_names_gpu_and_call),
        cmocka_unit_test(status_process_error_fails_read),
        cmocka_unit_test(no_libcuda_leaves_cuda_unknown),
        cmocka_unit_test(no_cuda_version_anywhere_is_zero),
        cmocka_unit_test(cuda_visible_devices_is_ignored),
        cmocka_unit_test(gpu_without_cuda_keeps_nvml_values),
    };

    return cmocka_run_group_tests_name("discovery", tests, sim_group_setup, sim_group_teardown);
}
