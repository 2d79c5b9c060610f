/*
 * cuda_query.c: nvd_cuda_query() against the CUDA double of an nvd-sim
 * k80x2 root, and against broken libcuda.so.1 stand-ins (fake_cuda.c) that
 * crash or hang in cuInit, which must cost the caller only the CUDA values.
 * nvd-sim needs root (mknod, ldconfig -r).
 */
#include <jansson.h>
#include <unistd.h>

#include "test_util.h"

#include "cuda_query.h"
#include "util.h"

static unsigned root_count;

static const char *const k80_busids[] = { "0000:05:00.0", "0000:06:00.0" };

/* Lay out a k80x2 root whose drivers lack the entry point `missing` (or none). */
static char *make_k80_root(const char *missing)
{
    unsigned n = ++root_count;
    char *root = nvd_xasprintf("%s/root-%u", tmp_dir, n);

    if (!missing) {
        run_ok("%s/bin/nvd-sim init %s --profile k80x2 >/dev/null", build_dir, root);
        return root;
    }
    run_ok("sed 's/\"missing_functions\": \\[\\]/\"missing_functions\": [\"%s\"]/' "
           "%s/sim/profiles/k80x2.json >%s/profile-%u.json",
           missing, build_dir, tmp_dir, n);
    run_ok("%s/bin/nvd-sim init %s --profile %s/profile-%u.json >/dev/null", build_dir, root,
           tmp_dir, n);
    return root;
}

/* Replace the root's 64-bit libcuda with the fake_cuda.c build `fault`. */
static void install_fake_cuda(const char *root, const char *fault)
{
    run_ok("cp %s/tests/unit/libfake-cuda-%s.so %s/usr/lib/x86_64-linux-gnu/libcuda.so.375.66",
           build_dir, fault, root);
}

static void query_reports_k80_values(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_k80_root(NULL);
    struct nvd_cuda_report report;
    nvd_error *err = NULL;

    if (nvd_cuda_query(root, k80_busids, 2, 30000, &report, &err) < 0)
        fail_msg("CUDA query failed: %s", err->msg);
    assert_int_equal(report.driver_version, 8000);
    assert_string_equal(report.error, "");
    assert_int_equal(report.count, 2);
    for (size_t i = 0; i < 2; i++) {
        const struct nvd_cuda_device *device = &report.devices[i];
        assert_string_equal(device->error, "");
        assert_int_equal(device->attributes[NVD_CUDA_COMPUTE_MAJOR], 3);
        assert_int_equal(device->attributes[NVD_CUDA_COMPUTE_MINOR], 7);
        assert_int_equal(device->attributes[NVD_CUDA_MULTIPROCESSORS], 13);
        assert_int_equal(device->attributes[NVD_CUDA_ECC_ENABLED], 1);
        assert_int_equal(device->attributes[NVD_CUDA_SHARED_MEMORY_PER_SM_BYTES], 112 * 1024);
        assert_int_equal(device->attributes[NVD_CUDA_CONSTANT_MEMORY_BYTES], 64 * 1024);
        assert_int_equal(device->attributes[NVD_CUDA_L2_CACHE_BYTES], 1536 * 1024);
        assert_int_equal(device->attributes[NVD_CUDA_MEMORY_CLOCK_KHZ], 2505000);
        assert_int_equal(device->attributes[NVD_CUDA_MEMORY_BUS_WIDTH_BITS], 384);
        assert_int_equal(device->total_memory_bytes, 11439LL << 20);
    }
    assert_int_equal(report.peers[0 * 2 + 1], 1);
    assert_int_equal(report.peers[1 * 2 + 0], 1);
    assert_int_equal(report.peers[0], 0);
    assert_int_equal(report.peers[3], 0);
    nvd_cuda_report_clear(&report);
}

/* A bus id that CUDA does not know leaves that GPU unknown, and the others known. */
static void query_unknown_bus_id_is_device_error(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_k80_root(NULL);
    static const char *const busids[] = { "0000:99:00.0", "0000:06:00.0" };
    struct nvd_cuda_report report;
    nvd_error *err = NULL;

    if (nvd_cuda_query(root, busids, 2, 30000, &report, &err) < 0)
        fail_msg("CUDA query failed: %s", err->msg);
    assert_non_null(strstr(report.devices[0].error, "cuDeviceGetByPCIBusId(0000:99:00.0)"));
    assert_non_null(strstr(report.devices[0].error, "invalid device ordinal"));
    assert_int_equal(report.devices[0].attributes[NVD_CUDA_COMPUTE_MAJOR], NVD_UNKNOWN);
    assert_int_equal(report.devices[0].total_memory_bytes, NVD_UNKNOWN);
    assert_string_equal(report.devices[1].error, "");
    assert_int_equal(report.devices[1].attributes[NVD_CUDA_COMPUTE_MAJOR], 3);
    assert_int_equal(report.peers[1], 0);
    nvd_cuda_report_clear(&report);
}

static void query_without_gpus_gives_version(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_k80_root(NULL);
    struct nvd_cuda_report report;
    nvd_error *err = NULL;

    if (nvd_cuda_query(root, NULL, 0, 30000, &report, &err) < 0)
        fail_msg("CUDA query failed: %s", err->msg);
    assert_int_equal(report.driver_version, 8000);
    assert_int_equal(report.count, 0);
    nvd_cuda_report_clear(&report);
}

static void query_without_libcuda_fails(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_k80_root(NULL);
    struct nvd_cuda_report report;
    nvd_error *err = NULL;

    run_ok("rm -f %s/usr/lib/*/libcuda.so* && ldconfig -r %s", root, root);
    assert_int_equal(nvd_cuda_query(root, k80_busids, 2, 30000, &report, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_NOT_FOUND);
    assert_non_null(strstr(err->msg, "libcuda.so.1"));
    assert_null(report.devices);
    nvd_error_free(err);
}

static void query_missing_entry_point_fails(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_k80_root("cuDeviceGetByPCIBusId");
    struct nvd_cuda_report report;
    nvd_error *err = NULL;

    assert_int_equal(nvd_cuda_query(root, k80_busids, 2, 30000, &report, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_DRIVER);
    assert_non_null(strstr(err->msg, "lacks the CUDA entry point cuDeviceGetByPCIBusId"));
    nvd_error_free(err);
}

static void query_survives_crashing_libcuda(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_k80_root(NULL);
    struct nvd_cuda_report report;
    nvd_error *err = NULL;

    install_fake_cuda(root, "crash");
    assert_int_equal(nvd_cuda_query(root, k80_busids, 2, 30000, &report, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "killed by signal 6"));
    nvd_error_free(err);
}

static void query_stops_hanging_libcuda(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_k80_root(NULL);
    struct nvd_cuda_report report;
    nvd_error *err = NULL;

    install_fake_cuda(root, "hang");
    assert_int_equal(nvd_cuda_query(root, k80_busids, 2, 300, &report, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "timed out after 300 ms"));
    nvd_error_free(err);
}

/* Discovery goes on without CUDA when libcuda crashes: NVML's values and version remain. */
static void discovery_survives_crashing_libcuda(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_k80_root(NULL);
    nvd_error *err = NULL;

    install_fake_cuda(root, "crash");
    struct nvd_host *host = nvd_host_discover(root, NULL, &err);
    if (!host)
        fail_msg("discovery failed: %s", err->msg);
    assert_int_equal(host->gpu_count, 2);
    assert_string_equal(host->cuda_version, "8.0");
    assert_int_equal(host->gpus[0].power_w, 149);
    assert_string_equal(host->gpus[0].arch, "");
    assert_int_equal(host->gpus[0].peer_count, 0);
    nvd_host_free(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_reports_k80_values),
        cmocka_unit_test(query_unknown_bus_id_is_device_error),
        cmocka_unit_test(query_without_gpus_gives_version),
        cmocka_unit_test(query_without_libcuda_fails),
        cmocka_unit_test(query_missing_entry_point_fails),
        cmocka_unit_test(query_survives_crashing_libcuda),
        cmocka_unit_test(query_stops_hanging_libcuda),
        cmocka_unit_test(discovery_survives_crashing_libcuda),
    };

    return cmocka_run_group_tests_name("cuda_query", tests, sim_group_setup, sim_group_teardown);
}
