/*
 * sim_root.c: nvd-sim init as a user runs it. Each test lays out a k80x2
 * root in a temporary directory with the built nvd-sim
 * ($NVD_BUILD_ROOT/bin/nvd-sim). It checks the result through the root's
 * own files: the NVML and CUDA doubles loaded with dlopen, the nvidia-smi
 * double, the device nodes and etc/ld.so.cache. nvd-sim needs root
 * (mknod, ldconfig -r), so the tests are skipped for other users.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nvml_abi.h"

extern char **environ;

#define LIB64 "usr/lib/x86_64-linux-gnu"
#define LIB32 "usr/lib/i386-linux-gnu"

static const char *const k80_uuids[] = {
    "GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac",
    "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d",
};

/* The temporary directory of the whole run and the root inside it. */
struct fixture {
    char dir[64];
    char root[128];
    char nvd_sim[4096];
};

/* The NVML double's functions, resolved with dlsym. */
struct nvml {
    void *handle;
#define NVML_POINTER(name, ret, params) ret (*name) params;
    NVD_NVML_FUNCTIONS(NVML_POINTER)
#undef NVML_POINTER
};

/* Return a new string made from a printf format. */
__attribute__((format(printf, 1, 2)))
static char *format(const char *fmt, ...)
{
    va_list ap;
    char *text;

    va_start(ap, fmt);
    assert_true(vasprintf(&text, fmt, ap) >= 0);
    va_end(ap);
    return text;
}

/* Return whether path exists, without following a final symlink. */
static int path_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/* Return the contents of path as a new buffer and store the length in *size. */
static char *read_whole_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    assert_int_equal(fseek(file, 0, SEEK_END), 0);
    long length = ftell(file);
    assert_true(length >= 0);
    rewind(file);

    char *data = malloc((size_t)length + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)length, file), (size_t)length);
    data[length] = '\0';
    fclose(file);
    *size = (size_t)length;
    return data;
}

/* Return whether the bytes data[0..size) contain the string needle. */
static int contains_bytes(const char *data, size_t size, const char *needle)
{
    return memmem(data, size, needle, strlen(needle)) != NULL;
}

/*
 * Run argv with env_entry ("NAME=value", or NULL) added to the environment,
 * with stdout and stderr in a file of the fixture. Return the exit status
 * (-1 if killed) and store the output, which the caller frees.
 */
static int run(const struct fixture *f, char *const argv[], const char *env_entry, char **output)
{
    char *output_path = format("%s/output", f->dir);
    posix_spawn_file_actions_t actions;
    size_t env_count = 0;

    while (environ[env_count])
        env_count++;
    char **env = calloc(env_count + 2, sizeof(*env));
    assert_non_null(env);
    memcpy(env, environ, env_count * sizeof(*env));
    env[env_count] = (char *)env_entry;

    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_path,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

    pid_t pid;
    int status;
    assert_int_equal(posix_spawn(&pid, argv[0], &actions, NULL, argv, env), 0);
    posix_spawn_file_actions_destroy(&actions);
    free(env);
    assert_int_equal(waitpid(pid, &status, 0), pid);

    size_t size;
    *output = read_whole_file(output_path, &size);
    free(output_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run `nvd-sim init root --profile profile [option value]` and return its exit status. */
static int run_init(const struct fixture *f, const char *root, const char *profile,
                    const char *option, const char *value, char **output)
{
    char *const argv[] = {
        (char *)f->nvd_sim, (char *)"init", (char *)root, (char *)"--profile", (char *)profile,
        (char *)option, (char *)value, NULL,
    };

    return run(f, argv, NULL, output);
}

/* Lay out the k80x2 root of the fixture, failing the test if nvd-sim fails. */
static void init_k80_root(const struct fixture *f, const char *driver_version)
{
    char *output;
    int status = driver_version
                     ? run_init(f, f->root, "k80x2", "--driver-version", driver_version, &output)
                     : run_init(f, f->root, "k80x2", NULL, NULL, &output);

    if (status != 0)
        print_error("nvd-sim init failed with status %d:\n%s\n", status, output);
    free(output);
    assert_int_equal(status, 0);
}

/* dlopen the root's 64-bit libnvidia-ml.so.1 and resolve every NVML function. */
static void load_nvml(const struct fixture *f, struct nvml *nvml)
{
    char *path = format("%s/" LIB64 "/libnvidia-ml.so.1", f->root);

    nvml->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!nvml->handle)
        print_error("dlopen %s: %s\n", path, dlerror());
    assert_non_null(nvml->handle);
    free(path);

#define NVML_RESOLVE(name, ret, params)                       \
    do {                                                      \
        void *symbol = dlsym(nvml->handle, #name);            \
        assert_non_null(symbol);                              \
        memcpy(&nvml->name, &symbol, sizeof(symbol));         \
    } while (0);
    NVD_NVML_FUNCTIONS(NVML_RESOLVE)
#undef NVML_RESOLVE
}

static void unload_nvml(struct nvml *nvml)
{
    assert_int_equal(dlclose(nvml->handle), 0);
}

/* Remove one entry of the temporary directory tree, for nftw. */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path);
}

static int setup_group(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *build_root = getenv("NVD_BUILD_ROOT");

    if (!f || !build_root) {
        print_error("NVD_BUILD_ROOT must name the build directory (meson test sets it)\n");
        free(f);
        return -1;
    }
    snprintf(f->nvd_sim, sizeof(f->nvd_sim), "%s/bin/nvd-sim", build_root);
    strcpy(f->dir, "/tmp/nvd-sim-test.XXXXXX");
    if (!mkdtemp(f->dir)) {
        print_error("mkdtemp: %s\n", strerror(errno));
        free(f);
        return -1;
    }
    snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
    *state = f;
    return 0;
}

static int teardown_group(void **state)
{
    struct fixture *f = *state;

    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Lay out a fresh k80x2 root with the profile's driver version (nothing unless run as root). */
static int setup_root(void **state)
{
    struct fixture *f = *state;

    if (geteuid() != 0)
        return 0;
    nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    init_k80_root(f, NULL);
    return 0;
}

#define SKIP_UNLESS_ROOT()                                                 \
    do {                                                                   \
        if (geteuid() != 0) {                                              \
            print_message("nvd-sim needs root (mknod, ldconfig -r)\n");    \
            skip();                                                        \
        }                                                                  \
    } while (0)

static void test_nvml_lists_profile_gpus(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    struct nvml nvml;
    char text[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    unsigned count = 0;
    int cuda_version = 0;

    load_nvml(f, &nvml);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);

    assert_int_equal(nvml.nvmlSystemGetDriverVersion(text, sizeof(text)), NVML_SUCCESS);
    assert_string_equal(text, "375.66");
    assert_int_equal(nvml.nvmlSystemGetCudaDriverVersion(&cuda_version), NVML_SUCCESS);
    assert_int_equal(cuda_version, 8000);
    assert_int_equal(nvml.nvmlDeviceGetCount_v2(&count), NVML_SUCCESS);
    assert_int_equal(count, 2);

    static const unsigned buses[] = { 0x05, 0x06 };
    static const char *const bus_ids[] = { "00000000:05:00.0", "00000000:06:00.0" };
    static const char *const legacy_bus_ids[] = { "0000:05:00.0", "0000:06:00.0" };
    for (unsigned i = 0; i < 2; i++) {
        nvmlDevice_t device;
        nvmlPciInfo_t pci;
        unsigned minor = 99;

        assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(i, &device), NVML_SUCCESS);
        assert_int_equal(nvml.nvmlDeviceGetUUID(device, text, sizeof(text)), NVML_SUCCESS);
        assert_string_equal(text, k80_uuids[i]);
        assert_int_equal(nvml.nvmlDeviceGetMinorNumber(device, &minor), NVML_SUCCESS);
        assert_int_equal(minor, i);
        assert_int_equal(nvml.nvmlDeviceGetName(device, text, sizeof(text)), NVML_SUCCESS);
        assert_string_equal(text, "Tesla K80");

        assert_int_equal(nvml.nvmlDeviceGetPciInfo_v3(device, &pci), NVML_SUCCESS);
        assert_string_equal(pci.busId, bus_ids[i]);
        assert_string_equal(pci.busIdLegacy, legacy_bus_ids[i]);
        assert_int_equal(pci.domain, 0);
        assert_int_equal(pci.bus, buses[i]);
        assert_int_equal(pci.device, 0);
        assert_int_equal(pci.pciDeviceId, 0x102d10de);
        assert_int_equal(pci.pciSubSystemId, 0x106c10de);
    }

    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    unload_nvml(&nvml);
}

static void test_nvml_error_codes(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    struct nvml nvml;
    char text[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    unsigned count;
    nvmlDevice_t device;

    load_nvml(f, &nvml);

    /* Every call but nvmlErrorString needs nvmlInit_v2 first. */
    assert_int_equal(nvml.nvmlDeviceGetCount_v2(&count), NVML_ERROR_UNINITIALIZED);
    assert_int_equal(nvml.nvmlSystemGetDriverVersion(text, sizeof(text)), NVML_ERROR_UNINITIALIZED);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(0, &device), NVML_ERROR_UNINITIALIZED);
    assert_int_equal(nvml.nvmlShutdown(), NVML_ERROR_UNINITIALIZED);

    /* Init calls nest: two inits need two shutdowns. */
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetCount_v2(&count), NVML_SUCCESS);

    /* Buffers one byte too small, then exactly large enough. */
    assert_int_equal(nvml.nvmlSystemGetDriverVersion(text, 6), NVML_ERROR_INSUFFICIENT_SIZE);
    assert_int_equal(nvml.nvmlSystemGetDriverVersion(text, 7), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(0, &device), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetUUID(device, text, 40), NVML_ERROR_INSUFFICIENT_SIZE);
    assert_int_equal(nvml.nvmlDeviceGetUUID(device, text, 41), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetName(device, text, 9), NVML_ERROR_INSUFFICIENT_SIZE);
    assert_int_equal(nvml.nvmlDeviceGetName(device, text, 10), NVML_SUCCESS);

    /* NULL arguments, a handle the library never gave out, an index out of range. */
    nvmlDevice_t bogus = (nvmlDevice_t)&count;
    assert_int_equal(nvml.nvmlDeviceGetCount_v2(NULL), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlSystemGetDriverVersion(NULL, 80), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlSystemGetCudaDriverVersion(NULL), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(0, NULL), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(2, &device), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetUUID(device, NULL, 80), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetUUID(NULL, text, sizeof(text)), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetUUID(bogus, text, sizeof(text)), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetMinorNumber(device, NULL), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetPciInfo_v3(device, NULL), NVML_ERROR_INVALID_ARGUMENT);
    assert_int_equal(nvml.nvmlDeviceGetName(device, NULL, 80), NVML_ERROR_INVALID_ARGUMENT);

    /* The last shutdown ends the session. */
    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetCount_v2(&count), NVML_ERROR_UNINITIALIZED);
    assert_int_equal(nvml.nvmlDeviceGetUUID(device, text, sizeof(text)), NVML_ERROR_UNINITIALIZED);

    assert_string_equal(nvml.nvmlErrorString(NVML_SUCCESS), "Success");
    assert_string_equal(nvml.nvmlErrorString(NVML_ERROR_UNINITIALIZED), "Uninitialized");
    assert_string_equal(nvml.nvmlErrorString(NVML_ERROR_INVALID_ARGUMENT), "Invalid Argument");
    assert_string_equal(nvml.nvmlErrorString(NVML_ERROR_NOT_SUPPORTED), "Not Supported");
    assert_string_equal(nvml.nvmlErrorString(NVML_ERROR_INSUFFICIENT_SIZE), "Insufficient Size");
    assert_string_equal(nvml.nvmlErrorString(NVML_ERROR_UNKNOWN), "Unknown Error");
    unload_nvml(&nvml);
}

static void test_nvml_hides_gpu_without_node(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    struct nvml nvml;
    char *node = format("%s/dev/nvidia0", f->root);
    char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
    unsigned count = 0, minor = 99;
    nvmlDevice_t device;

    assert_int_equal(unlink(node), 0);
    free(node);

    load_nvml(f, &nvml);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetCount_v2(&count), NVML_SUCCESS);
    assert_int_equal(count, 1);

    /* The second GPU of the profile is now index 0, and keeps its minor. */
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(0, &device), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlDeviceGetUUID(device, uuid, sizeof(uuid)), NVML_SUCCESS);
    assert_string_equal(uuid, k80_uuids[1]);
    assert_int_equal(nvml.nvmlDeviceGetMinorNumber(device, &minor), NVML_SUCCESS);
    assert_int_equal(minor, 1);
    assert_int_equal(nvml.nvmlDeviceGetHandleByIndex_v2(1, &device), NVML_ERROR_INVALID_ARGUMENT);

    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    unload_nvml(&nvml);
}

static void test_cuda_double_reports_version(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    char *path = format("%s/" LIB64 "/libcuda.so.1", f->root);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    int (*cu_init)(unsigned int);
    int (*cu_driver_get_version)(int *);
    int version = 0;

    assert_non_null(handle);
    free(path);
    void *symbol = dlsym(handle, "cuInit");
    assert_non_null(symbol);
    memcpy(&cu_init, &symbol, sizeof(symbol));
    symbol = dlsym(handle, "cuDriverGetVersion");
    assert_non_null(symbol);
    memcpy(&cu_driver_get_version, &symbol, sizeof(symbol));

    assert_int_equal(cu_driver_get_version(&version), 0);
    assert_int_equal(version, 8000);
    assert_int_equal(cu_driver_get_version(NULL), 1);   /* CUDA_ERROR_INVALID_VALUE */
    assert_int_equal(cu_init(0), 0);
    assert_int_equal(cu_init(1), 1);
    assert_int_equal(dlclose(handle), 0);
}

static void test_nvidia_smi_lists_gpus(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    char *smi = format("%s/usr/bin/nvidia-smi", f->root);
    char *library_path = format("LD_LIBRARY_PATH=%s/" LIB64, f->root);
    char *output;

    char *const list_argv[] = { smi, (char *)"-L", NULL };
    assert_int_equal(run(f, list_argv, library_path, &output), 0);
    assert_string_equal(output,
                        "GPU 0: Tesla K80 (UUID: GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac)\n"
                        "GPU 1: Tesla K80 (UUID: GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d)\n");
    free(output);

    char *const summary_argv[] = { smi, NULL };
    assert_int_equal(run(f, summary_argv, library_path, &output), 0);
    assert_non_null(strstr(output, "Driver Version: 375.66"));
    assert_non_null(strstr(output, "CUDA Version: 8.0"));
    assert_non_null(strstr(output, "00000000:06:00.0"));
    free(output);

    char *const bad_argv[] = { smi, (char *)"--bogus", NULL };
    assert_int_equal(run(f, bad_argv, library_path, &output), 2);
    assert_non_null(strstr(output, "--bogus"));
    free(output);

    /* Without any nvidiactl above the library or in /dev, NVML reports no driver. */
    if (!path_exists("/dev/nvidiactl")) {
        char *control = format("%s/dev/nvidiactl", f->root);
        assert_int_equal(unlink(control), 0);
        free(control);
        assert_int_equal(run(f, list_argv, library_path, &output), 9);
        assert_non_null(strstr(output, "Driver Not Loaded"));
        free(output);
    }
    free(library_path);
    free(smi);
}

static void test_root_has_nodes_and_cache(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    static const struct {
        const char *name;
        unsigned major, minor;
    } nodes[] = {
        { "nvidiactl", 195, 255 }, { "nvidia-uvm", 511, 0 }, { "nvidia-uvm-tools", 511, 1 },
        { "nvidia0", 195, 0 },     { "nvidia1", 195, 1 },
    };

    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
        char *path = format("%s/dev/%s", f->root, nodes[i].name);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
        assert_int_equal(major(st.st_rdev), nodes[i].major);
        assert_int_equal(minor(st.st_rdev), nodes[i].minor);
        free(path);
    }

    size_t size;
    char *cache_path = format("%s/etc/ld.so.cache", f->root);
    char *cache = read_whole_file(cache_path, &size);
    assert_true(contains_bytes(cache, size, "glibc-ld.so.cache1.1"));
    assert_true(contains_bytes(cache, size, "/" LIB64 "/libnvidia-ml.so.1"));
    assert_true(contains_bytes(cache, size, "/" LIB32 "/libcuda.so.1"));
    assert_true(contains_bytes(cache, size, "libnvidia-fatbinaryloader.so.375.66"));
    free(cache);
    free(cache_path);
}

static void test_reinit_replaces_old_driver(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    static const char *const directories[] = { LIB64, LIB32 };
    static const char *const libraries[] = { "libnvidia-ml.so", "libcuda.so", "libnvidia-glcore.so",
                                             "libnvidia-tls.so" };

    init_k80_root(f, "384.111");

    for (size_t d = 0; d < 2; d++) {
        for (size_t l = 0; l < sizeof(libraries) / sizeof(libraries[0]); l++) {
            char *old_file = format("%s/%s/%s.375.66", f->root, directories[d], libraries[l]);
            char *new_file = format("%s/%s/%s.384.111", f->root, directories[d], libraries[l]);
            assert_false(path_exists(old_file));
            assert_true(path_exists(new_file));
            free(old_file);
            free(new_file);
        }
    }

    char target[64];
    char *link = format("%s/" LIB64 "/libnvidia-ml.so.1", f->root);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "libnvidia-ml.so.384.111");
    free(link);

    size_t size;
    char *cache_path = format("%s/etc/ld.so.cache", f->root);
    char *cache = read_whole_file(cache_path, &size);
    assert_true(contains_bytes(cache, size, "libnvidia-glcore.so.384.111"));
    assert_true(contains_bytes(cache, size, "/" LIB32 "/libnvidia-compiler.so.384.111"));
    assert_false(contains_bytes(cache, size, "375.66"));
    free(cache);
    free(cache_path);

    char *manifest_path = format("%s/var/lib/nvd-sim/installed-files", f->root);
    char *manifest = read_whole_file(manifest_path, &size);
    assert_false(contains_bytes(manifest, size, "375.66"));
    assert_true(contains_bytes(manifest, size, LIB64 "/libcuda.so.1\n"));
    free(manifest);
    free(manifest_path);

    /* The double of the new driver reports the new version. */
    struct nvml nvml;
    char version[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
    load_nvml(f, &nvml);
    assert_int_equal(nvml.nvmlInit_v2(), NVML_SUCCESS);
    assert_int_equal(nvml.nvmlSystemGetDriverVersion(version, sizeof(version)), NVML_SUCCESS);
    assert_string_equal(version, "384.111");
    assert_int_equal(nvml.nvmlShutdown(), NVML_SUCCESS);
    unload_nvml(&nvml);
}

static void test_init_rejects_bad_version(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    char *root = format("%s/bad-version", f->dir);
    char *output;

    assert_int_equal(run_init(f, root, "k80x2", "--driver-version", "3..1", &output), 1);
    assert_non_null(strstr(output, "invalid driver version '3..1'"));
    assert_false(path_exists(root));
    free(output);
    free(root);
}

static void test_init_rejects_bad_profile(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    char *profile = format("%s/bad.json", f->dir);
    char *root = format("%s/bad-profile", f->dir);
    char *output;

    FILE *file = fopen(profile, "w");
    assert_non_null(file);
    fputs("{\"driver_version\": \"375.66\", \"cuda_version\": \"8.0\", \"gpus\": [{\"name\": 7}]}\n",
          file);
    fclose(file);

    assert_int_equal(run_init(f, root, profile, NULL, NULL, &output), 1);
    assert_non_null(strstr(output, profile));
    assert_non_null(strstr(output, "gpus[0].name"));
    assert_false(path_exists(root));
    free(output);
    free(root);
    free(profile);
}

static void test_init_rejects_foreign_directory(void **state)
{
    SKIP_UNLESS_ROOT();
    struct fixture *f = *state;
    char *root = format("%s/foreign", f->dir);
    char *file = format("%s/notes.txt", root);
    char *usr = format("%s/usr", root);
    char *output;

    assert_int_equal(mkdir(root, 0755), 0);
    FILE *notes = fopen(file, "w");
    assert_non_null(notes);
    fclose(notes);

    assert_int_equal(run_init(f, root, "k80x2", NULL, NULL, &output), 1);
    assert_non_null(strstr(output, "is not empty"));
    assert_false(path_exists(usr));
    assert_true(path_exists(file));
    free(output);
    free(usr);
    free(file);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_nvml_lists_profile_gpus, setup_root),
        cmocka_unit_test_setup(test_nvml_error_codes, setup_root),
        cmocka_unit_test_setup(test_nvml_hides_gpu_without_node, setup_root),
        cmocka_unit_test_setup(test_cuda_double_reports_version, setup_root),
        cmocka_unit_test_setup(test_nvidia_smi_lists_gpus, setup_root),
        cmocka_unit_test_setup(test_root_has_nodes_and_cache, setup_root),
        cmocka_unit_test_setup(test_reinit_replaces_old_driver, setup_root),
        cmocka_unit_test(test_init_rejects_bad_version),
        cmocka_unit_test(test_init_rejects_bad_profile),
        cmocka_unit_test(test_init_rejects_foreign_directory),
    };

    return cmocka_run_group_tests_name("sim_root", tests, setup_group, teardown_group);
}
