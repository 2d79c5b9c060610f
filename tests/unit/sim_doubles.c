/*
 * sim_doubles.c: checks that the NVML and CUDA doubles of nvd-sim return
 * what NVIDIA's libraries return. They are loaded with dlopen from roots
 * made by the nvd-sim of this build. Checked: NVML's process list sizes,
 * topology levels and "not supported", and CUDA's bus id forms, attributes
 * and peer access. Entry points
 * that a profile removes are not exported. nvd-sim needs root (mknod,
 * ldconfig -r).
 */
#include <dlfcn.h>
#include <jansson.h>
#include <unistd.h>

#include "test_util.h"

#include "cuda_abi.h"
#include "nvml_abi.h"
#include "util.h"

#define LIB64 "usr/lib/x86_64-linux-gnu"
#define LIB32 "usr/lib/i386-linux-gnu"

static unsigned root_count;

/* The NVML double's functions, resolved with dlsym. */
struct nvml {
    void *handle;
#define NVML_POINTER(name, ret, params) ret (*name) params;
    NVD_NVML_FUNCTIONS(NVML_POINTER)
#undef NVML_POINTER
};

/* The CUDA double's functions, resolved with dlsym. */
struct cuda {
    void *handle;
#define CUDA_POINTER(name, ret, params) ret (*name) params;
    NVD_CUDA_FUNCTIONS(CUDA_POINTER)
#undef CUDA_POINTER
};

/* Lay out a new root from the shipped profile name, without the missing functions given. */
static char *make_root(const char *name, const char *const *missing, size_t missing_count)
{
    cleanup_free char *source = nvd_xasprintf("%s/sim/profiles/%s.json", build_dir, name);
    unsigned n = ++root_count;
    cleanup_free char *file = nvd_xasprintf("%s/profile-%u.json", tmp_dir, n);
    char *root = nvd_xasprintf("%s/root-%u", tmp_dir, n);
    json_error_t error;
    json_t *profile = json_load_file(source, 0, &error);

    if (!profile)
        fail_msg("cannot read %s: %s", source, error.text);
    for (size_t i = 0; i < missing_count; i++)
        json_array_append_new(json_object_get(profile, "missing_functions"), json_string(missing[i]));
    assert_int_equal(json_dump_file(profile, file, JSON_INDENT(2)), 0);
    json_decref(profile);
    run_ok("%s/bin/nvd-sim init %s --profile %s >/dev/null", build_dir, root, file);
    return root;
}

/* Open the 64-bit library `file` of root; each root's copy is a new object with fresh state. */
static void *open_library(const char *root, const char *file)
{
    cleanup_free char *path = nvd_xasprintf("%s/" LIB64 "/%s", root, file);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);

    if (!handle)
        fail_msg("cannot load %s: %s", path, dlerror());
    return handle;
}

/* Resolve every NVML function; a missing one is NULL. */
static void load_nvml(const char *root, struct nvml *nvml)
{
    nvml->handle = open_library(root, "libnvidia-ml.so.1");
#define NVML_RESOLVE(name, ret, params) *(void **)&nvml->name = dlsym(nvml->handle, #name);
    NVD_NVML_FUNCTIONS(NVML_RESOLVE)
#undef NVML_RESOLVE
}

/* Resolve every CUDA function; a missing one is NULL. */
static void load_cuda(const char *root, struct cuda *cuda)
{
    cuda->handle = open_library(root, "libcuda.so.1");
#define CUDA_RESOLVE(name, ret, params) *(void **)&cuda->name = dlsym(cuda->handle, #name);
    NVD_CUDA_FUNCTIONS(CUDA_RESOLVE)
#undef CUDA_RESOLVE
}

static void nvml_process_list_needs_room(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root("k80x2", NULL, 0);
    struct nvml nvml;
    nvmlDevice_t idle, busy;
    nvmlProcessInfo_t infos[2];
    nvmlProcessInfo_v1_t legacy[2];
    unsigned count;

    load_nvml(root, &nvml);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(0, &idle), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(1, &busy), NVML_SUCCESS);

    count = 0;
    assert_int_equal(nvml.nvmlDeviceGetComputeRunningProcesses_v3(idle, &count, NULL), NVML_SUCCESS);
    assert_int_equal(count, 0);
    count = 0;
    assert_int_equal(nvml.nvmlDeviceGetComputeRunningProcesses_v3(busy, &count, NULL),
                     NVML_ERROR_INSUFFICIENT_SIZE);
    assert_int_equal(count, 1);

    count = 2;
    assert_int_equal(nvml.nvmlDeviceGetComputeRunningProcesses_v3(busy, &count, infos), NVML_SUCCESS);
    assert_int_equal(count, 1);
    assert_int_equal(infos[0].pid, 12345);
    assert_true(infos[0].usedGpuMemory == 1139ULL << 20);
    assert_int_equal(infos[0].gpuInstanceId, 0xFFFFFFFFu);
    assert_int_equal(infos[0].computeInstanceId, 0xFFFFFFFFu);

    count = 2;
    assert_int_equal(nvml.nvmlDeviceGetComputeRunningProcesses(busy, &count, legacy), NVML_SUCCESS);
    assert_int_equal(count, 1);
    assert_int_equal(legacy[0].pid, 12345);
    assert_true(legacy[0].usedGpuMemory == 1139ULL << 20);

    char name[64];
    assert_int_equal(nvml.nvmlSystemGetProcessName(12345, name, sizeof(name)), NVML_SUCCESS);
    assert_string_equal(name, "python");
    assert_int_equal(nvml.nvmlSystemGetProcessName(12345, name, 4), NVML_ERROR_INSUFFICIENT_SIZE);
    assert_int_equal(nvml.nvmlSystemGetProcessName(999, name, sizeof(name)), NVML_ERROR_NOT_FOUND);

    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    dlclose(nvml.handle);
}

static void nvml_reports_profile_values(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root("k80x2", NULL, 0);
    struct nvml nvml;
    nvmlDevice_t gpu0, gpu1, found;
    nvmlGpuTopologyLevel_t level;
    nvmlBrandType_t brand;
    nvmlMemory_t memory;
    nvmlBAR1Memory_t bar1;
    unsigned long long count;
    unsigned value, period;

    load_nvml(root, &nvml);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(0, &gpu0), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(1, &gpu1), NVML_SUCCESS);

    assert_int_equal(nvml.nvmlDeviceGetHandleByUUID("GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d", &found),
                     NVML_SUCCESS);
    assert_ptr_equal(found, gpu1);
    assert_int_equal(nvml.nvmlDeviceGetHandleByUUID("GPU-nope", &found), NVML_ERROR_NOT_FOUND);

    assert_int_equal(nvml.nvmlDeviceGetBrand(gpu0, &brand), NVML_SUCCESS);
    assert_int_equal(brand, NVML_BRAND_TESLA);
    assert_int_equal(nvml.nvmlDeviceGetTopologyCommonAncestor(gpu0, gpu1, &level), NVML_SUCCESS);
    assert_int_equal(level, NVML_TOPOLOGY_INTERNAL);
    assert_int_equal(nvml.nvmlDeviceGetTopologyCommonAncestor(gpu0, gpu0, &level),
                     NVML_ERROR_INVALID_ARGUMENT);

    assert_int_equal(nvml.nvmlDeviceGetPowerManagementLimit(gpu0, &value), NVML_SUCCESS);
    assert_int_equal(value, 149000);
    assert_int_equal(nvml.nvmlDeviceGetMaxPcieLinkGeneration(gpu0, &value), NVML_SUCCESS);
    assert_int_equal(value, 3);
    assert_int_equal(nvml.nvmlDeviceGetMaxPcieLinkWidth(gpu0, &value), NVML_SUCCESS);
    assert_int_equal(value, 16);
    assert_int_equal(nvml.nvmlDeviceGetMaxClockInfo(gpu0, NVML_CLOCK_MEM, &value), NVML_SUCCESS);
    assert_int_equal(value, 2505);
    assert_int_equal(nvml.nvmlDeviceGetMaxClockInfo(gpu0, NVML_CLOCK_GRAPHICS, &value),
                     NVML_ERROR_NOT_SUPPORTED);
    assert_int_equal(nvml.nvmlDeviceGetClockInfo(gpu1, NVML_CLOCK_SM, &value), NVML_SUCCESS);
    assert_int_equal(value, 823);
    assert_int_equal(nvml.nvmlDeviceGetTemperature(gpu1, NVML_TEMPERATURE_GPU, &value), NVML_SUCCESS);
    assert_int_equal(value, 40);
    assert_int_equal(nvml.nvmlDeviceGetEncoderUtilization(gpu1, &value, &period), NVML_SUCCESS);
    assert_int_equal(value, 0);
    assert_true(period > 0);
    assert_int_equal(nvml.nvmlDeviceGetPcieThroughput(gpu1, NVML_PCIE_UTIL_RX_BYTES, &value),
                     NVML_SUCCESS);
    assert_int_equal(value, 12000);

    assert_int_equal(nvml.nvmlDeviceGetMemoryInfo(gpu1, &memory), NVML_SUCCESS);
    assert_true(memory.total == 11439ULL << 20);
    assert_true(memory.used == 1201ULL << 20);
    assert_true(memory.free == memory.total - memory.used);
    assert_int_equal(nvml.nvmlDeviceGetBAR1MemoryInfo(gpu1, &bar1), NVML_SUCCESS);
    assert_true(bar1.bar1Total == 16384ULL << 20);
    assert_true(bar1.bar1Used == 4ULL << 20);

    assert_int_equal(nvml.nvmlDeviceGetMemoryErrorCounter(gpu0, NVML_MEMORY_ERROR_TYPE_UNCORRECTED,
                                                          NVML_VOLATILE_ECC,
                                                          NVML_MEMORY_LOCATION_L2_CACHE, &count),
                     NVML_SUCCESS);
    assert_true(count == 0);
    /* GPU 1's profile has "ecc_errors": null. */
    assert_int_equal(nvml.nvmlDeviceGetMemoryErrorCounter(gpu1, NVML_MEMORY_ERROR_TYPE_UNCORRECTED,
                                                          NVML_VOLATILE_ECC,
                                                          NVML_MEMORY_LOCATION_L1_CACHE, &count),
                     NVML_ERROR_NOT_SUPPORTED);

    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetPowerUsage(gpu0, &value), NVML_ERROR_UNINITIALIZED);
    dlclose(nvml.handle);
}

static void cuda_finds_gpus_by_any_bus_id_form(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root("a100x8", NULL, 0);
    struct cuda cuda;
    CUdevice dev = -1;
    static const char *const forms[] = {
        "0000:0f:00.0", "0000:0F:00.0", "00000000:0F:00.0", "00000000:0f:00.0", "0f:00.0",
    };

    load_cuda(root, &cuda);
    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "0000:07:00.0"), CUDA_ERROR_NOT_INITIALIZED);
    assert_int_equal(cuda.cuInit(0), CUDA_SUCCESS);

    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "0000:07:00.0"), CUDA_SUCCESS);
    assert_int_equal(dev, 0);
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        dev = -1;
        if (cuda.cuDeviceGetByPCIBusId(&dev, forms[i]) != CUDA_SUCCESS || dev != 1)
            fail_msg("cuDeviceGetByPCIBusId(%s) did not find ordinal 1", forms[i]);
    }
    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "0000:99:00.0"), CUDA_ERROR_INVALID_DEVICE);
    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "0000:0f:00.1"), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "nonsense"), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "000000000:0f:00.0"), CUDA_ERROR_INVALID_VALUE);
    dlclose(cuda.handle);
}

static void cuda_reports_attributes_and_peers(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root("k80x2", NULL, 0);
    struct cuda cuda;
    int value = -1, version = 0;
    size_t bytes = 0;
    const char *text = NULL;

    load_cuda(root, &cuda);
    assert_int_equal(cuda.cuDriverGetVersion(&version), CUDA_SUCCESS);
    assert_int_equal(version, 8000);
    assert_int_equal(cuda.cuInit(0), CUDA_SUCCESS);

    static const struct {
        CUdevice_attribute attribute;
        int value;
    } expected[] = {
        { CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 3 },
        { CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 7 },
        { CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 13 },
        { CU_DEVICE_ATTRIBUTE_ECC_ENABLED, 1 },
        { CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, 112 * 1024 },
        { CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY, 64 * 1024 },
        { CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, 1536 * 1024 },
        { CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE, 2505000 },
        { CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH, 384 },
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        assert_int_equal(cuda.cuDeviceGetAttribute(&value, expected[i].attribute, 1), CUDA_SUCCESS);
        assert_int_equal(value, expected[i].value);
    }
    assert_int_equal(cuda.cuDeviceGetAttribute(&value, (CUdevice_attribute)1, 0),
                     CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuda.cuDeviceGetAttribute(&value, CU_DEVICE_ATTRIBUTE_ECC_ENABLED, 2),
                     CUDA_ERROR_INVALID_DEVICE);

    assert_int_equal(cuda.cuDeviceTotalMem_v2(&bytes, 0), CUDA_SUCCESS);
    assert_true(bytes == (size_t)11439 << 20);

    assert_int_equal(cuda.cuDeviceCanAccessPeer(&value, 0, 1), CUDA_SUCCESS);
    assert_int_equal(value, 1);
    assert_int_equal(cuda.cuDeviceCanAccessPeer(&value, 0, 0), CUDA_SUCCESS);
    assert_int_equal(value, 0);

    assert_int_equal(cuda.cuGetErrorString(CUDA_ERROR_NO_DEVICE, &text), CUDA_SUCCESS);
    assert_string_equal(text, "no CUDA-capable device is detected");
    dlclose(cuda.handle);
}

/* The na profile has no CUDA properties, so CUDA finds no device. */
static void cuda_sees_no_gpu_without_properties(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root("na", NULL, 0);
    struct cuda cuda;

    load_cuda(root, &cuda);
    assert_int_equal(cuda.cuInit(0), CUDA_ERROR_NO_DEVICE);
    dlclose(cuda.handle);
}

static void cuda_honours_visible_devices(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root("a100x8", NULL, 0);
    struct cuda cuda;
    CUdevice dev = -1;

    setenv("CUDA_VISIBLE_DEVICES", "3,1,x,0", 1);
    load_cuda(root, &cuda);
    assert_int_equal(cuda.cuInit(0), CUDA_SUCCESS);
    unsetenv("CUDA_VISIBLE_DEVICES");
    /* Ordinal 0 is the profile's GPU 3 (0000:4e:00.0); the list stops at "x". */
    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "0000:4e:00.0"), CUDA_SUCCESS);
    assert_int_equal(dev, 0);
    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "0000:0f:00.0"), CUDA_SUCCESS);
    assert_int_equal(dev, 1);
    assert_int_equal(cuda.cuDeviceGetByPCIBusId(&dev, "0000:07:00.0"), CUDA_ERROR_INVALID_DEVICE);
    dlclose(cuda.handle);
}

static void missing_functions_are_not_exported(void **state)
{
    SKIP_UNLESS_ROOT();
    static const char *const missing[] = {
        "nvmlDeviceGetTopologyCommonAncestor", "nvmlDeviceGetBrand", "cuGetErrorString",
    };
    cleanup_free char *root = make_root("k80x2", missing, sizeof(missing) / sizeof(missing[0]));
    struct nvml nvml;
    struct cuda cuda;
    char version[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];

    load_nvml(root, &nvml);
    assert_null(nvml.nvmlDeviceGetTopologyCommonAncestor);
    assert_null(nvml.nvmlDeviceGetBrand);
    assert_non_null(nvml.nvmlDeviceGetPowerUsage);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlSystemGetDriverVersion(version, sizeof(version)), NVML_SUCCESS);
    assert_string_equal(version, "375.66");
    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    dlclose(nvml.handle);

    load_cuda(root, &cuda);
    assert_null(cuda.cuGetErrorString);
    assert_non_null(cuda.cuInit);
    assert_int_equal(cuda.cuInit(0), CUDA_SUCCESS);
    dlclose(cuda.handle);

    /* The 32-bit copies lose them too. */
    if (access("/usr/bin/nm", X_OK) == 0) {
        run_ok("! nm -D --defined-only %s/" LIB32 "/libnvidia-ml.so.1 | grep -qw nvmlDeviceGetBrand", root);
        run_ok("nm -D --defined-only %s/" LIB32 "/libnvidia-ml.so.1 | grep -qw nvmlInit_v2", root);
    }
}

static void profile_rejects_unknown_function(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *file = nvd_xasprintf("%s/bad-missing.json", tmp_dir);
    cleanup_free char *root = nvd_xasprintf("%s/bad-missing", tmp_dir);
    cleanup_free char *source = nvd_xasprintf("%s/sim/profiles/none.json", build_dir);

    run_ok("sed 's/\"missing_functions\": \\[\\]/\"missing_functions\": [\"nvmlFrobnicate\"]/' %s >%s",
           source, file);
    run_ok("%s/bin/nvd-sim init %s --profile %s 2>%s/bad-missing.err; test $? = 1", build_dir, root,
           file, tmp_dir);
    run_ok("grep -q 'missing_functions.*nvmlFrobnicate' %s/bad-missing.err", tmp_dir);
}

static void nvml_reports_mig_devices(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root("a100x8-mig", NULL, 0);
    struct nvml nvml;
    nvmlDevice_t gpu2, gpu3, gpu5, mig, parent;
    unsigned current, pending, count, id, is_mig;
    nvmlDeviceAttributes_t attributes;
    nvmlMemory_t memory;
    char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];

    load_nvml(root, &nvml);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(2, &gpu2), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(3, &gpu3), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(5, &gpu5), NVML_SUCCESS);

    assert_int_equal(nvml.nvmlDeviceGetMigMode(gpu2, &current, &pending), NVML_SUCCESS);
    assert_int_equal(current, NVML_DEVICE_MIG_ENABLE);
    assert_int_equal(pending, NVML_DEVICE_MIG_ENABLE);
    assert_int_equal(nvml.nvmlDeviceGetMigMode(gpu3, &current, &pending), NVML_SUCCESS);
    assert_int_equal(current, NVML_DEVICE_MIG_DISABLE);
    assert_int_equal(nvml.nvmlDeviceGetMaxMigDeviceCount(gpu2, &count), NVML_SUCCESS);
    assert_int_equal(count, 7);
    assert_int_equal(nvml.nvmlDeviceGetMaxMigDeviceCount(gpu3, &count), NVML_SUCCESS);
    assert_int_equal(count, 0);
    assert_int_equal(nvml.nvmlDeviceGetMigDeviceHandleByIndex(gpu3, 0, &mig), NVML_ERROR_NOT_SUPPORTED);
    assert_int_equal(nvml.nvmlDeviceGetMigDeviceHandleByIndex(gpu2, 3, &mig), NVML_ERROR_NOT_FOUND);
    assert_int_equal(nvml.nvmlDeviceGetMigDeviceHandleByIndex(gpu2, 7, &mig),
                     NVML_ERROR_INVALID_ARGUMENT);

    assert_int_equal(nvml.nvmlDeviceGetMigDeviceHandleByIndex(gpu2, 1, &mig), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceIsMigDeviceHandle(mig, &is_mig), NVML_SUCCESS);
    assert_int_equal(is_mig, 1);
    assert_int_equal(nvml.nvmlDeviceIsMigDeviceHandle(gpu2, &is_mig), NVML_SUCCESS);
    assert_int_equal(is_mig, 0);
    assert_int_equal(nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(mig, &parent), NVML_SUCCESS);
    assert_ptr_equal(parent, gpu2);
    assert_int_equal(nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(gpu2, &parent),
                     NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetGpuInstanceId(mig, &id), NVML_SUCCESS);
    assert_int_equal(id, 1);
    assert_int_equal(nvml.nvmlDeviceGetComputeInstanceId(mig, &id), NVML_SUCCESS);
    assert_int_equal(id, 1);
    assert_int_equal(nvml.nvmlDeviceGetGpuInstanceId(gpu2, &id), NVML_ERROR_NOT_SUPPORTED);
    assert_int_equal(nvml.nvmlDeviceGetUUID(mig, uuid, sizeof(uuid)), NVML_SUCCESS);
    assert_string_equal(uuid, "MIG-084301b8-f9f5-568a-68b6-90a505330d3d");
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
    assert_int_equal(nvml.nvmlDeviceGetName(mig, name, sizeof(name)), NVML_SUCCESS);
    assert_string_equal(name, "NVIDIA A100-SXM4-40GB MIG 2c.3g.20gb");

    assert_int_equal(nvml.nvmlDeviceGetAttributes_v2(mig, &attributes), NVML_SUCCESS);
    assert_int_equal(attributes.gpuInstanceSliceCount, 3);
    assert_int_equal(attributes.computeInstanceSliceCount, 2);
    assert_int_equal(attributes.multiprocessorCount, 28);
    assert_true(attributes.memorySizeMB == 20224);
    assert_int_equal(nvml.nvmlDeviceGetAttributes_v2(gpu2, &attributes), NVML_ERROR_NOT_SUPPORTED);
    assert_int_equal(nvml.nvmlDeviceGetMemoryInfo(mig, &memory), NVML_SUCCESS);
    assert_true(memory.total == 20224ULL << 20);

    /* A function for GPU handles rejects a MIG handle. */
    assert_int_equal(nvml.nvmlDeviceGetMigMode(mig, &current, &pending), NVML_ERROR_INVALID_ARGUMENT);

    /* GPU 5 is MIG capable with MIG disabled; no MIG devices. */
    assert_int_equal(nvml.nvmlDeviceGetMigMode(gpu5, &current, &pending), NVML_SUCCESS);
    assert_int_equal(current, NVML_DEVICE_MIG_DISABLE);
    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    dlclose(nvml.handle);

    /* The k80x2 GPUs are not MIG capable. */
    cleanup_free char *k80_root = make_root("k80x2", NULL, 0);
    nvmlDevice_t k80;
    load_nvml(k80_root, &nvml);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(0, &k80), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetMigMode(k80, &current, &pending), NVML_ERROR_NOT_SUPPORTED);
    assert_int_equal(nvml.nvmlDeviceGetMaxMigDeviceCount(k80, &count), NVML_SUCCESS);
    assert_int_equal(count, 0);
    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    dlclose(nvml.handle);
}

static void nvidia_smi_lists_mig_devices(void **state)
{
    SKIP_UNLESS_ROOT();
    cleanup_free char *root = make_root("a100x8-mig", NULL, 0);
    cleanup_free char *out = nvd_xasprintf("%s/smi-mig.out", tmp_dir);

    run_ok("LD_LIBRARY_PATH=%s/" LIB64 " %s/usr/bin/nvidia-smi -L >%s", root, root, out);
    /* GPU 1 with its three MIG devices, as nvidia-smi -L spaces them. */
    run_ok("printf '%%s\\n' "
           "'GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-6da8437f-274b-81f7-82e6-14075f88b644)' "
           "'  MIG 3g.20gb     Device  0: (UUID: MIG-db2ab470-b702-5d7a-c702-8c39dd437171)' "
           "'  MIG 2g.10gb     Device  1: (UUID: MIG-71ddcd20-2af3-52c7-f9a0-005f59d4fb13)' "
           "'  MIG 1g.5gb     Device  2: (UUID: MIG-67e0c17b-b19e-515e-d45a-1014ab7d5ee0)' "
           "'GPU 2: NVIDIA A100-SXM4-40GB (UUID: GPU-58efd902-da83-993a-faac-c3b4e693ac72)' "
           ">%s.want && sed -n 9,13p %s | diff %s.want -", out, out, out);
    run_ok("grep -c '^  MIG ' %s | grep -qx 13", out);
    run_ok("grep -qx '  MIG 1c.3g.20gb     Device  0: (UUID: MIG-061efc01-9c76-58f2-2bc1-6c6726a9f513)' %s",
           out);

    /* A profile without MIG entry points lists GPUs only, and nvidia-smi still starts. */
    static const char *const missing[] = { "nvmlDeviceGetMigMode", "nvmlDeviceGetAttributes_v2" };
    cleanup_free char *old_root = make_root("a100x8-mig", missing, 2);
    run_ok("LD_LIBRARY_PATH=%s/" LIB64 " %s/usr/bin/nvidia-smi -L >%s", old_root, old_root, out);
    run_ok("! grep -q MIG %s && grep -c '^GPU ' %s | grep -qx 8", out, out);
}

/* Check that nvd-sim init rejects a100x8-mig edited by the sed expression edit, with message. */
static void expect_mig_profile_error(const char *edit, const char *message)
{
    cleanup_free char *source = nvd_xasprintf("%s/sim/profiles/a100x8-mig.json", build_dir);
    cleanup_free char *file = nvd_xasprintf("%s/bad-mig.json", tmp_dir);
    cleanup_free char *root = nvd_xasprintf("%s/bad-mig", tmp_dir);

    run_ok("sed '%s' %s >%s", edit, source, file);
    run_ok("%s/bin/nvd-sim init %s --profile %s 2>%s/bad-mig.err; test $? = 1", build_dir, root,
           file, tmp_dir);
    run_ok("grep -q '%s' %s/bad-mig.err || { cat %s/bad-mig.err; false; }", message, tmp_dir, tmp_dir);
}

static void profile_rejects_bad_mig(void **state)
{
    SKIP_UNLESS_ROOT();
    expect_mig_profile_error("s/\"profile\": \"3g.20gb\"/\"profile\": \"3g.40gb\"/",
                             "profile.*expected \"3g.20gb\"");
    expect_mig_profile_error("s/MIG-db2ab470/GPU-db2ab470/", "uuid.*MIG-");
    expect_mig_profile_error("s/MIG-71ddcd20-2af3-52c7-f9a0-005f59d4fb13/MIG-db2ab470-b702-5d7a-c702-8c39dd437171/",
                             "same UUID as gpus\\[1\\].mig.devices\\[0\\]");
    expect_mig_profile_error("0,/\"enabled\"/s//\"disabled\"/", "devices.*none while MIG is disabled");
    expect_mig_profile_error("0,/\"enabled\"/s//\"on\"/", "mode.*expected");
    expect_mig_profile_error("s/\"gpu_instance_id\": 8,/\"gpu_instance_id\": 7,/",
                             "same GPU and compute instance");
    expect_mig_profile_error("s/\"gpu_instance_id\": 8,/\"gpu_instance_id\": 15,/",
                             "gpu_instance_id.*from 0 to 14");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nvml_process_list_needs_room),
        cmocka_unit_test(nvml_reports_profile_values),
        cmocka_unit_test(cuda_finds_gpus_by_any_bus_id_form),
        cmocka_unit_test(cuda_reports_attributes_and_peers),
        cmocka_unit_test(cuda_sees_no_gpu_without_properties),
        cmocka_unit_test(cuda_honours_visible_devices),
        cmocka_unit_test(missing_functions_are_not_exported),
        cmocka_unit_test(profile_rejects_unknown_function),
        cmocka_unit_test(nvml_reports_mig_devices),
        cmocka_unit_test(nvidia_smi_lists_mig_devices),
        cmocka_unit_test(profile_rejects_bad_mig),
    };

    return cmocka_run_group_tests_name("sim_doubles", tests, sim_group_setup, sim_group_teardown);
}
