/*
 * Unit tests for discovery and the driver volume on a simulated driver root
 * made by nvd-sim (the k80x2 profile: two Tesla K80, driver 375.66).
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "test_util.h"

#include "driver_files.h"
#include "util.h"

static char *root;

/* Lay out a fresh k80x2 root with the nvd-sim of this build. */
static int setup(void **state)
{
    const char *build = getenv("NVD_BUILD_ROOT");

    root = make_tmpdir();
    run_ok("%s/bin/nvd-sim init %s/root --profile k80x2 >/dev/null", build ? build : "build", root);
    return 0;
}

static int teardown(void **state)
{
    run_ok("umount -q %s/vols 2>/dev/null; rm -rf %s", root, root);
    free(root);
    return 0;
}

static char *root_path(const char *sub)
{
    return nvd_xasprintf("%s/%s", root, sub);
}

static void host_discovers_profile_gpus(void **state)
{
    cleanup_free char *driver_root = root_path("root");
    nvd_error *err = NULL;
    struct nvd_host *host = nvd_host_discover(driver_root, NULL, &err);

    if (!host)
        fail_msg("discovery failed: %s", err->msg);
    assert_string_equal(host->driver_version, "375.66");
    assert_string_equal(host->cuda_version, "8.0");
    assert_int_equal(host->gpu_count, 2);
    assert_string_equal(host->gpus[0].uuid, "GPU-8e8014b7-333e-7895-50c3-1922fb19e3ac");
    assert_string_equal(host->gpus[1].uuid, "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d");
    assert_string_equal(host->gpus[0].busid, "0000:05:00.0");
    assert_string_equal(host->gpus[1].busid, "0000:06:00.0");
    assert_int_equal(host->gpus[0].minor, 0);
    assert_int_equal(host->gpus[1].minor, 1);
    assert_string_equal(host->gpus[0].name, "Tesla K80");
    assert_string_equal(host->dev_root, driver_root);
    nvd_host_free(host);
}

static void host_without_nvml_names_file(void **state)
{
    cleanup_free char *empty = root_path("empty");
    nvd_error *err = NULL;

    run_ok("mkdir -p %s/etc && touch %s/etc/ld.so.conf && ldconfig -r %s", empty, empty, empty);
    assert_null(nvd_host_discover(empty, NULL, &err));
    assert_non_null(err);
    assert_non_null(strstr(err->msg, "libnvidia-ml.so.1"));
    assert_non_null(strstr(err->msg, empty));
    nvd_error_free(err);
}

static void host_hides_gpu_without_node(void **state)
{
    cleanup_free char *driver_root = root_path("root");
    nvd_error *err = NULL;

    run_ok("mv %s/dev/nvidia0 %s/nvidia0.saved", driver_root, root);
    struct nvd_host *host = nvd_host_discover(driver_root, NULL, &err);
    run_ok("mv %s/nvidia0.saved %s/dev/nvidia0", root, driver_root);
    if (!host)
        fail_msg("discovery failed: %s", err->msg);
    assert_int_equal(host->gpu_count, 1);
    assert_string_equal(host->gpus[0].uuid, "GPU-0b6a8b5b-1f9c-3d2a-8e6b-4c6a6f8f1e2d");
    nvd_host_free(host);
}

/* Check that path is a symlink to target. */
static void assert_link(const char *dir, const char *name, const char *target)
{
    cleanup_free char *path = nvd_xasprintf("%s/%s", dir, name);
    char buf[256];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);

    if (n < 0)
        fail_msg("%s is not a symlink", path);
    buf[n] = '\0';
    assert_string_equal(buf, target);
}

/* Return whether files lists a file named name for the volume directory dir. */
static bool lists_file(const struct nvd_driver_files *files, enum nvd_volume_dir dir, const char *name)
{
    for (size_t i = 0; i < files->count; i++) {
        const char *base = strrchr(files->files[i].path, '/') + 1;
        if (files->files[i].dir == dir && strcmp(base, name) == 0)
            return true;
    }
    return false;
}

/* Check that the regular files of the volume at vol are exactly the driver files of host. */
static void check_volume_files(const struct nvd_host *host, const char *vol)
{
    static const enum nvd_volume_dir dirs[] = { NVD_DIR_BIN, NVD_DIR_LIB, NVD_DIR_LIB64 };
    struct nvd_driver_files files;
    nvd_error *err = NULL;
    size_t seen = 0;

    if (nvd_driver_files_find(host, NVD_CAP_ALL, &files, &err) < 0)
        fail_msg("driver file lookup failed: %s", err->msg);
    for (size_t d = 0; d < 3; d++) {
        cleanup_free char *path = nvd_xasprintf("%s/%s", vol, nvd_volume_dir_name(dirs[d]));
        cleanup_dir DIR *dir = opendir(path);
        struct dirent *entry;

        assert_non_null(dir);
        while ((entry = readdir(dir)) != NULL) {
            struct stat st;

            assert_int_equal(fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW), 0);
            if (!S_ISREG(st.st_mode))
                continue;
            if (!lists_file(&files, dirs[d], entry->d_name))
                fail_msg("%s/%s is in the volume but not among the driver files", path, entry->d_name);
            seen++;
        }
    }
    assert_int_equal(seen, files.count);
    nvd_driver_files_clear(&files);
}

/* Build the volume into vols and check its layout; return the lib64 inode check. */
static void check_volume(const char *vols, bool want_hard_links)
{
    cleanup_free char *driver_root = root_path("root");
    nvd_error *err = NULL;
    struct nvd_host *host = nvd_host_discover(driver_root, NULL, &err);
    struct stat built, source;

    if (!host)
        fail_msg("discovery failed: %s", err->msg);
    if (nvd_volume_create(host, vols, &err) < 0)
        fail_msg("volume build failed: %s", err->msg);

    cleanup_free char *vol = nvd_volume_path(vols, "375.66");
    cleanup_free char *lib64 = nvd_xasprintf("%s/lib64", vol);
    cleanup_free char *lib = nvd_xasprintf("%s/lib", vol);
    cleanup_free char *cuda = nvd_xasprintf("%s/libcuda.so.375.66", lib64);
    cleanup_free char *cuda_src = nvd_xasprintf("%s/usr/lib/x86_64-linux-gnu/libcuda.so.375.66", driver_root);
    cleanup_free char *cuda32 = nvd_xasprintf("%s/libcuda.so.375.66", lib);
    cleanup_free char *smi = nvd_xasprintf("%s/bin/nvidia-smi", vol);

    assert_int_equal(stat(cuda, &built), 0);
    assert_int_equal(stat(cuda_src, &source), 0);
    if (want_hard_links)
        assert_true(built.st_ino == source.st_ino);
    else
        assert_true(built.st_ino != source.st_ino);
    assert_int_equal(built.st_mode, source.st_mode);
    assert_int_equal(built.st_size, source.st_size);
    assert_link(lib64, "libcuda.so.1", "libcuda.so.375.66");
    assert_link(lib64, "libcuda.so", "libcuda.so.375.66");
    assert_link(lib64, "libnvidia-ml.so.1", "libnvidia-ml.so.375.66");
    assert_int_equal(stat(cuda32, &built), 0);
    assert_int_equal(stat(smi, &built), 0);
    assert_true(built.st_mode & S_IXUSR);

    /* NVIDIA's GLVND libGL and the 2.3.99 libnvidia-tls, in both word sizes; no Mesa, no leftovers. */
    assert_link(lib64, "libGL.so.1", "libGL.so.1.7.0");
    assert_link(lib, "libGL.so.1", "libGL.so.1.7.0");
    assert_link(lib64, "libGLX_indirect.so.0", "libGLX_nvidia.so.375.66");

    /* libcuda.so, absent from the root, shares one symlink inode in lib and lib64. */
    cleanup_free char *cuda_link = nvd_xasprintf("%s/libcuda.so", lib64);
    cleanup_free char *cuda32_link = nvd_xasprintf("%s/libcuda.so", lib);
    struct stat link64, link32, cuda32_file;
    assert_link(lib, "libcuda.so", "libcuda.so.375.66");
    assert_int_equal(lstat(cuda_link, &link64), 0);
    assert_int_equal(lstat(cuda32_link, &link32), 0);
    assert_true(link64.st_ino == link32.st_ino);
    assert_int_equal(stat(cuda32_link, &link32), 0);
    assert_int_equal(stat(cuda32, &cuda32_file), 0);
    assert_true(link32.st_ino == cuda32_file.st_ino);
    run_ok("test -f %s/libnvidia-tls.so.375.66 && test -f %s/libnvidia-tls.so.375.66", lib64, lib);
    run_ok("test ! -e %s/libGL.so.1.2.0 && test ! -e %s/libGL.so.1.2.0", lib64, lib);
    run_ok("! ls -R %s | grep -q 340.108", vol);
    check_volume_files(host, vol);

    /* A second call finds the volume and leaves it alone. */
    assert_int_equal(nvd_volume_create(host, vols, &err), 0);
    run_ok("test -z \"$(ls -A %s | grep -v '^nvidia_driver$')\"", vols);
    nvd_host_free(host);
}

static void volume_built_with_hard_links(void **state)
{
    cleanup_free char *vols = root_path("vols");
    check_volume(vols, true);
}

static void volume_copied_across_file_systems(void **state)
{
    cleanup_free char *vols = root_path("vols");

    run_ok("rm -rf %s && mkdir -p %s", vols, vols);
    if (mount("tmpfs", vols, "tmpfs", 0, "size=64m") < 0)
        skip();
    check_volume(vols, false);
    run_ok("umount %s", vols);
}

static void volume_full_file_system_fails_clean(void **state)
{
    cleanup_free char *driver_root = root_path("root");
    cleanup_free char *vols = root_path("vols");
    nvd_error *err = NULL;
    struct nvd_host *host = nvd_host_discover(driver_root, NULL, &err);

    assert_non_null(host);
    run_ok("rm -rf %s && mkdir -p %s", vols, vols);
    if (mount("tmpfs", vols, "tmpfs", 0, "size=64k") < 0) {
        nvd_host_free(host);
        skip();
    }
    assert_int_equal(nvd_volume_create(host, vols, &err), -1);
    assert_non_null(strstr(err->msg, "No space left on device"));
    cleanup_free char *hint = nvd_xasprintf("Free space on the file system of %s", vols);
    assert_non_null(strstr(err->msg, hint));
    nvd_error_free(err);
    run_ok("test \"$(ls -A %s)\" = nvidia_driver && test -z \"$(ls -A %s/nvidia_driver)\"", vols,
           vols);
    run_ok("umount %s", vols);
    nvd_host_free(host);
}

struct build_job {
    const struct nvd_host *host;
    const char *vols;
    int ret;
};

static void *build_thread(void *arg)
{
    struct build_job *job = arg;
    nvd_error *err = NULL;

    job->ret = nvd_volume_create(job->host, job->vols, &err);
    nvd_error_free(err);
    return NULL;
}

static void volume_concurrent_builds_succeed(void **state)
{
    cleanup_free char *driver_root = root_path("root");
    cleanup_free char *vols = root_path("vols-concurrent");
    nvd_error *err = NULL;
    struct nvd_host *host = nvd_host_discover(driver_root, NULL, &err);
    pthread_t threads[8];
    struct build_job jobs[8];

    assert_non_null(host);
    for (int i = 0; i < 8; i++) {
        jobs[i] = (struct build_job){ .host = host, .vols = vols, .ret = -2 };
        assert_int_equal(pthread_create(&threads[i], NULL, build_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(jobs[i].ret, 0);
    }
    run_ok("test \"$(ls -A %s)\" = nvidia_driver && test \"$(ls %s/nvidia_driver)\" = 375.66", vols, vols);
    nvd_host_free(host);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_discovers_profile_gpus),
        cmocka_unit_test(host_without_nvml_names_file),
        cmocka_unit_test(host_hides_gpu_without_node),
        cmocka_unit_test(volume_built_with_hard_links),
        cmocka_unit_test(volume_copied_across_file_systems),
        cmocka_unit_test(volume_full_file_system_fails_clean),
        cmocka_unit_test(volume_concurrent_builds_succeed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
