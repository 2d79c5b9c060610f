/*
 * discovery_tables.c: the conversions behind discovery that need no
 * driver: architecture families and cores per multiprocessor, PCIe lane
 * rates, brand names, topology levels, CUDA attributes to struct nvd_gpu,
 * and the NUMA node read from a sysfs tree made in a temporary directory.
 */
#include "test_util.h"

#include "arch.h"
#include "cpu_affinity.h"
#include "gpu_info.h"
#include "topology.h"
#include "util.h"

/* One row of the expected compute capability table. */
struct arch_case {
    int major, minor;
    const char *family;
    int cores_per_sm;
};

static void arch_tables_cover_every_generation(void **state)
{
    static const struct arch_case cases[] = {
        { 1, 0, "Tesla", 8 },
        { 1, 3, "Tesla", 8 },
        { 2, 0, "Fermi", 32 },
        { 2, 1, "Fermi", 48 },
        { 3, 0, "Kepler", 192 },
        { 3, 7, "Kepler", 192 },
        { 5, 0, "Maxwell", 128 },
        { 5, 3, "Maxwell", 128 },
        { 6, 0, "Pascal", 64 },
        { 6, 1, "Pascal", 128 },
        { 7, 0, "Volta", 64 },
        { 7, 2, "Volta", 64 },
        { 7, 5, "Turing", 64 },
        { 8, 0, "Ampere", 64 },
        { 8, 6, "Ampere", 128 },
        { 8, 7, "Ampere", 128 },
        { 8, 9, "Ada Lovelace", 128 },
        { 9, 0, "Hopper", 128 },
        { 10, 0, "Blackwell", 128 },
        { 10, 3, "Blackwell", 128 },
        { 11, 0, "Blackwell", 128 },
        { 12, 0, "Blackwell", 128 },
        { 12, 1, "Blackwell", 128 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct arch_case *c = &cases[i];
        const char *family = nvd_arch_family(c->major, c->minor);

        if (!family || strcmp(family, c->family) != 0)
            fail_msg("family of %d.%d: expected %s, got %s", c->major, c->minor, c->family,
                     family ? family : "NULL");
        if (nvd_arch_cores_per_sm(c->major, c->minor) != c->cores_per_sm)
            fail_msg("cores per SM of %d.%d: expected %d, got %d", c->major, c->minor,
                     c->cores_per_sm, nvd_arch_cores_per_sm(c->major, c->minor));
    }
}

static void arch_unknown_capability_is_unknown(void **state)
{
    assert_null(nvd_arch_family(4, 0));
    assert_null(nvd_arch_family(13, 0));
    assert_null(nvd_arch_family(0, 0));
    assert_int_equal(nvd_arch_cores_per_sm(4, 0), 0);
    assert_int_equal(nvd_arch_cores_per_sm(3, 3), 0);
    /* A new minor of a known major keeps the family, as 1.0's table by major did. */
    assert_string_equal(nvd_arch_family(3, 3), "Kepler");
}

static void pcie_lane_rates_by_generation(void **state)
{
    assert_int_equal(nvd_pcie_lane_mbs(0), 0);
    assert_int_equal(nvd_pcie_lane_mbs(1), 250);
    assert_int_equal(nvd_pcie_lane_mbs(2), 500);
    assert_int_equal(nvd_pcie_lane_mbs(3), 985);
    assert_int_equal(nvd_pcie_lane_mbs(4), 1969);
    assert_int_equal(nvd_pcie_lane_mbs(5), 3938);
    assert_int_equal(nvd_pcie_lane_mbs(6), 7563);
    assert_int_equal(nvd_pcie_lane_mbs(7), 0);
}

static void brand_names_follow_nvml(void **state)
{
    assert_string_equal(nvd_brand_name(NVML_BRAND_UNKNOWN), "");
    assert_string_equal(nvd_brand_name(NVML_BRAND_QUADRO), "Quadro");
    assert_string_equal(nvd_brand_name(NVML_BRAND_TESLA), "Tesla");
    assert_string_equal(nvd_brand_name(NVML_BRAND_NVS), "NVS");
    assert_string_equal(nvd_brand_name(NVML_BRAND_GRID), "GRID");
    assert_string_equal(nvd_brand_name(NVML_BRAND_GEFORCE), "GeForce");
    assert_string_equal(nvd_brand_name(NVML_BRAND_TITAN), "Titan");
    assert_string_equal(nvd_brand_name(NVML_BRAND_NVIDIA_RTX), "NVIDIA RTX");
    assert_string_equal(nvd_brand_name(NVML_BRAND_NVIDIA), "NVIDIA");
    assert_string_equal(nvd_brand_name(NVML_BRAND_TITAN_RTX), "Titan RTX");
    assert_string_equal(nvd_brand_name((nvmlBrandType_t)17), "");
    assert_string_equal(nvd_brand_name((nvmlBrandType_t)-1), "");
}

static void topology_levels_map_to_links(void **state)
{
    static const struct {
        nvmlGpuTopologyLevel_t level;
        enum nvd_p2p_link link;
    } cases[] = {
        { NVML_TOPOLOGY_INTERNAL, NVD_P2P_SAME_BOARD },
        { NVML_TOPOLOGY_SINGLE, NVD_P2P_SINGLE_SWITCH },
        { NVML_TOPOLOGY_MULTIPLE, NVD_P2P_MULTIPLE_SWITCHES },
        { NVML_TOPOLOGY_HOSTBRIDGE, NVD_P2P_HOST_BRIDGE },
        { NVML_TOPOLOGY_NODE, NVD_P2P_SAME_CPU },
        { NVML_TOPOLOGY_SYSTEM, NVD_P2P_CROSS_CPU },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum nvd_p2p_link link = NVD_P2P_UNKNOWN;
        assert_int_equal(nvd_p2p_link_from_nvml(cases[i].level, &link, NULL), 0);
        assert_int_equal(link, cases[i].link);
    }
}

static void topology_unknown_level_is_error(void **state)
{
    enum nvd_p2p_link link = NVD_P2P_SAME_BOARD;
    nvd_error *err = NULL;

    assert_int_equal(nvd_p2p_link_from_nvml((nvmlGpuTopologyLevel_t)60, &link, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_UNSUPPORTED);
    assert_non_null(strstr(err->msg, "unsupported P2P link type"));
    assert_non_null(strstr(err->msg, "60"));
    assert_int_equal(link, NVD_P2P_SAME_BOARD);
    nvd_error_free(err);
}

/* A CUDA report for one GPU with every attribute known, as the K80 has them. */
static struct nvd_cuda_device k80_device(void)
{
    struct nvd_cuda_device device = { .total_memory_bytes = 11439LL << 20 };

    device.attributes[NVD_CUDA_COMPUTE_MAJOR] = 3;
    device.attributes[NVD_CUDA_COMPUTE_MINOR] = 7;
    device.attributes[NVD_CUDA_MULTIPROCESSORS] = 13;
    device.attributes[NVD_CUDA_ECC_ENABLED] = 1;
    device.attributes[NVD_CUDA_SHARED_MEMORY_PER_SM_BYTES] = 112 * 1024;
    device.attributes[NVD_CUDA_CONSTANT_MEMORY_BYTES] = 64 * 1024;
    device.attributes[NVD_CUDA_L2_CACHE_BYTES] = 1536 * 1024;
    device.attributes[NVD_CUDA_MEMORY_CLOCK_KHZ] = 2505000;
    device.attributes[NVD_CUDA_MEMORY_BUS_WIDTH_BITS] = 384;
    return device;
}

static void cuda_attributes_convert_to_1_0_units(void **state)
{
    struct nvd_cuda_device device = k80_device();
    struct nvd_gpu gpu;

    nvd_gpu_clear(&gpu);
    nvd_gpu_info_apply_cuda(&gpu, &device);
    assert_string_equal(gpu.arch, "3.7");
    assert_string_equal(gpu.family, "Kepler");
    assert_int_equal(gpu.cores, 2496);
    assert_int_equal(gpu.ecc, 1);
    assert_int_equal(gpu.memory_mib, 11439);
    assert_int_equal(gpu.shared_kib, 112);
    assert_int_equal(gpu.constant_kib, 64);
    assert_int_equal(gpu.l2_kib, 1536);
    assert_int_equal(gpu.memory_bandwidth_mbs, 240480);
}

/* Each division truncates, as 1.0's integer arithmetic did. */
static void memory_bandwidth_truncates(void **state)
{
    struct nvd_cuda_device device = k80_device();
    struct nvd_gpu gpu;

    device.attributes[NVD_CUDA_MEMORY_CLOCK_KHZ] = 1215999;
    device.attributes[NVD_CUDA_MEMORY_BUS_WIDTH_BITS] = 4103;
    nvd_gpu_clear(&gpu);
    nvd_gpu_info_apply_cuda(&gpu, &device);
    assert_int_equal(gpu.memory_bandwidth_mbs, 2 * 1215 * 512);
}

static void cuda_unknown_attributes_stay_unknown(void **state)
{
    struct nvd_cuda_device device = k80_device();
    struct nvd_gpu gpu;

    device.attributes[NVD_CUDA_MULTIPROCESSORS] = NVD_UNKNOWN;
    device.attributes[NVD_CUDA_ECC_ENABLED] = 0;
    device.attributes[NVD_CUDA_MEMORY_BUS_WIDTH_BITS] = NVD_UNKNOWN;
    device.total_memory_bytes = NVD_UNKNOWN;
    nvd_gpu_clear(&gpu);
    nvd_gpu_info_apply_cuda(&gpu, &device);
    assert_string_equal(gpu.arch, "3.7");
    assert_int_equal(gpu.cores, NVD_UNKNOWN);
    assert_int_equal(gpu.ecc, 0);
    assert_int_equal(gpu.memory_mib, NVD_UNKNOWN);
    assert_int_equal(gpu.memory_bandwidth_mbs, NVD_UNKNOWN);

    /* A capability newer than the tables: Arch is known, the rest is not. */
    device = k80_device();
    device.attributes[NVD_CUDA_COMPUTE_MAJOR] = 13;
    device.attributes[NVD_CUDA_COMPUTE_MINOR] = 0;
    nvd_gpu_clear(&gpu);
    nvd_gpu_info_apply_cuda(&gpu, &device);
    assert_string_equal(gpu.arch, "13.0");
    assert_string_equal(gpu.family, "");
    assert_int_equal(gpu.cores, NVD_UNKNOWN);
}

/* Write text to <sysfs>/bus/pci/devices/<device>/numa_node. */
static void write_numa_node(const char *sysfs, const char *device, const char *text)
{
    cleanup_free char *path = nvd_xasprintf("%s/bus/pci/devices/%s/numa_node", sysfs, device);

    run_ok("mkdir -p %s/bus/pci/devices/%s", sysfs, device);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    assert_int_equal(fclose(file), 0);
}

static void cpu_affinity_reads_sysfs(void **state)
{
    cleanup_free char *sysfs = make_tmpdir();
    long long node = -5;
    nvd_error *err = NULL;

    /* No such device: node 0, as 1.0. */
    assert_int_equal(nvd_cpu_affinity_read(sysfs, "0000:05:00.0", &node, &err), 0);
    assert_int_equal(node, 0);

    write_numa_node(sysfs, "0000:05:00.0", "-1\n");
    node = -5;
    assert_int_equal(nvd_cpu_affinity_read(sysfs, "0000:05:00.0", &node, &err), 0);
    assert_int_equal(node, 0);

    /* sysfs names are lower case, NVML's bus ids may not be. */
    write_numa_node(sysfs, "0001:bc:00.0", "1\n");
    assert_int_equal(nvd_cpu_affinity_read(sysfs, "0001:BC:00.0", &node, &err), 0);
    assert_int_equal(node, 1);

    write_numa_node(sysfs, "0000:06:00.0", "node1\n");
    assert_int_equal(nvd_cpu_affinity_read(sysfs, "0000:06:00.0", &node, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "failed to retrieve CPU affinity"));
    assert_non_null(strstr(err->msg, "node1"));
    nvd_error_free(err);
    err = NULL;

    write_numa_node(sysfs, "0000:07:00.0", "");
    assert_int_equal(nvd_cpu_affinity_read(sysfs, "0000:07:00.0", &node, &err), -1);
    assert_non_null(err);
    nvd_error_free(err);

    run_ok("rm -rf %s", sysfs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arch_tables_cover_every_generation),
        cmocka_unit_test(arch_unknown_capability_is_unknown),
        cmocka_unit_test(pcie_lane_rates_by_generation),
        cmocka_unit_test(brand_names_follow_nvml),
        cmocka_unit_test(topology_levels_map_to_links),
        cmocka_unit_test(topology_unknown_level_is_error),
        cmocka_unit_test(cuda_attributes_convert_to_1_0_units),
        cmocka_unit_test(memory_bandwidth_truncates),
        cmocka_unit_test(cuda_unknown_attributes_stay_unknown),
        cmocka_unit_test(cpu_affinity_reads_sysfs),
    };

    return cmocka_run_group_tests_name("discovery_tables", tests, NULL, NULL);
}
