/*
 * Unit tests for driver file selection and the ELF reads behind it, on a
 * driver root made by nvd-sim (the k80x2 profile, driver 375.66). Every
 * nvd-sim root also contains Mesa's libGL, a classic-TLS libnvidia-tls and
 * leftovers of driver 340.108, which selection must skip.
 */
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

#include "driver_files.h"
#include "elf_file.h"
#include "util.h"

#define LIB64 "usr/lib/x86_64-linux-gnu"
#define LIB32 "usr/lib/i386-linux-gnu"

static char *root;
static char *driver_root;
static struct nvd_host *host;

static int setup(void **state)
{
    const char *build = getenv("NVD_BUILD_ROOT");
    nvd_error *err = NULL;

    root = make_tmpdir();
    driver_root = nvd_xasprintf("%s/root", root);
    run_ok("%s/bin/nvd-sim init %s --profile k80x2 >/dev/null", build ? build : "build", driver_root);
    host = nvd_host_discover(driver_root, NULL, &err);
    if (!host)
        fail_msg("discovery failed: %s", err->msg);
    return 0;
}

static int teardown(void **state)
{
    nvd_host_free(host);
    run_ok("rm -rf %s", root);
    free(driver_root);
    free(root);
    return 0;
}

/* Return the entry of files for the file rel (relative to the driver root), or NULL. */
static const struct nvd_driver_file *find_file(const struct nvd_driver_files *files, const char *rel)
{
    cleanup_free char *path = nvd_xasprintf("%s/%s", driver_root, rel);

    for (size_t i = 0; i < files->count; i++) {
        if (strcmp(files->files[i].path, path) == 0)
            return &files->files[i];
    }
    return NULL;
}

static void expect_file(const struct nvd_driver_files *files, const char *rel, enum nvd_volume_dir dir)
{
    const struct nvd_driver_file *file = find_file(files, rel);

    if (!file)
        fail_msg("%s is missing from the driver files", rel);
    assert_int_equal(file->dir, dir);
}

static void expect_no_file(const struct nvd_driver_files *files, const char *rel)
{
    if (find_file(files, rel))
        fail_msg("%s must not be among the driver files", rel);
}

static void find_all(unsigned caps, struct nvd_driver_files *files)
{
    nvd_error *err = NULL;

    if (nvd_driver_files_find(host, caps, files, &err) < 0)
        fail_msg("driver file lookup failed: %s", err->msg);
}

static void files_take_nvidia_gl_not_mesa(void **state)
{
    struct nvd_driver_files files;

    find_all(NVD_CAP_ALL, &files);
    expect_file(&files, LIB64 "/libGL.so.1.7.0", NVD_DIR_LIB64);
    expect_file(&files, LIB32 "/libGL.so.1.7.0", NVD_DIR_LIB);
    expect_file(&files, LIB64 "/libEGL.so.1.1.0", NVD_DIR_LIB64);
    expect_file(&files, LIB64 "/libGLX.so.0", NVD_DIR_LIB64);
    expect_file(&files, LIB64 "/libGLdispatch.so.0", NVD_DIR_LIB64);
    expect_file(&files, LIB64 "/libGLX_nvidia.so.375.66", NVD_DIR_LIB64);
    expect_no_file(&files, LIB64 "/mesa/libGL.so.1.2.0");
    expect_no_file(&files, LIB32 "/mesa/libGL.so.1.2.0");
    assert_int_equal(files.warning_count, 0);
    nvd_driver_files_clear(&files);
}

static void files_take_tls_2_3_99_only(void **state)
{
    struct nvd_driver_files files;

    find_all(NVD_CAP_ALL, &files);
    expect_file(&files, LIB64 "/libnvidia-tls.so.375.66", NVD_DIR_LIB64);
    expect_file(&files, LIB32 "/libnvidia-tls.so.375.66", NVD_DIR_LIB);
    expect_no_file(&files, LIB64 "/tls/libnvidia-tls.so.375.66");
    expect_no_file(&files, LIB32 "/tls/libnvidia-tls.so.375.66");
    nvd_driver_files_clear(&files);
}

static void files_skip_older_driver(void **state)
{
    struct nvd_driver_files files;

    find_all(NVD_CAP_ALL, &files);
    for (size_t i = 0; i < files.count; i++) {
        if (strstr(files.files[i].path, "340.108"))
            fail_msg("%s belongs to an older driver", files.files[i].path);
    }
    expect_file(&files, LIB64 "/libcuda.so.375.66", NVD_DIR_LIB64);
    expect_file(&files, LIB64 "/libnvidia-glcore.so.375.66", NVD_DIR_LIB64);
    nvd_driver_files_clear(&files);
}

static void files_sorted_by_machine(void **state)
{
    struct nvd_driver_files files;
    size_t lib = 0, lib64 = 0, bin = 0;
    cleanup_free char *dir64 = nvd_xasprintf("%s/" LIB64 "/", driver_root);
    cleanup_free char *dir32 = nvd_xasprintf("%s/" LIB32 "/", driver_root);
    cleanup_free char *dirbin = nvd_xasprintf("%s/usr/bin/", driver_root);

    find_all(NVD_CAP_ALL, &files);
    for (size_t i = 0; i < files.count; i++) {
        const struct nvd_driver_file *f = &files.files[i];
        switch (f->dir) {
        case NVD_DIR_LIB64:
            assert_memory_equal(f->path, dir64, strlen(dir64));
            lib64++;
            break;
        case NVD_DIR_LIB:
            assert_memory_equal(f->path, dir32, strlen(dir32));
            lib++;
            break;
        case NVD_DIR_BIN:
            assert_memory_equal(f->path, dirbin, strlen(dirbin));
            bin++;
            break;
        }
    }
    /* nvd-sim lays out every library in both word sizes, and five 1.0 binaries. */
    assert_int_equal(lib, lib64);
    assert_int_equal(bin, 5);
    expect_no_file(&files, "usr/bin/nvidia-modprobe");
    nvd_driver_files_clear(&files);
}

static void files_filtered_by_capability(void **state)
{
    struct nvd_driver_files files;

    find_all(NVD_CAP_COMPUTE, &files);
    expect_file(&files, LIB64 "/libcuda.so.375.66", NVD_DIR_LIB64);
    expect_file(&files, "usr/bin/nvidia-cuda-mps-control", NVD_DIR_BIN);
    expect_no_file(&files, LIB32 "/libcuda.so.375.66");
    expect_no_file(&files, LIB64 "/libnvidia-ml.so.375.66");
    expect_no_file(&files, LIB64 "/libGL.so.1.7.0");
    expect_no_file(&files, "usr/bin/nvidia-smi");
    nvd_driver_files_clear(&files);

    find_all(NVD_CAP_UTILITY | NVD_CAP_COMPAT32, &files);
    expect_file(&files, LIB64 "/libnvidia-ml.so.375.66", NVD_DIR_LIB64);
    expect_file(&files, LIB32 "/libnvidia-ml.so.375.66", NVD_DIR_LIB);
    expect_file(&files, "usr/bin/nvidia-smi", NVD_DIR_BIN);
    expect_no_file(&files, LIB64 "/libcuda.so.375.66");
    nvd_driver_files_clear(&files);

    find_all(NVD_CAP_DISPLAY, &files);
    expect_file(&files, LIB64 "/libnvidia-glcore.so.375.66", NVD_DIR_LIB64);
    expect_no_file(&files, LIB64 "/libcuda.so.375.66");
    nvd_driver_files_clear(&files);
}

/* Put back the copy of rel that a test saved in <root>/saved. */
static void restore_file(const char *rel)
{
    run_ok("cp -p %s/saved %s/%s", root, driver_root, rel);
}

static void files_warn_tls_without_note(void **state)
{
    struct nvd_driver_files files;
    const char *rel = LIB64 "/libnvidia-tls.so.375.66";

    /* libnvidia-glsi is a stub without any ABI note. */
    run_ok("cp -p %s/%s %s/saved && cp %s/" LIB64 "/libnvidia-glsi.so.375.66 %s/%s",
           driver_root, rel, root, driver_root, driver_root, rel);
    find_all(NVD_CAP_ALL, &files);
    restore_file(rel);

    expect_no_file(&files, rel);
    assert_int_equal(files.warning_count, 1);
    assert_non_null(strstr(files.warnings[0], rel));
    assert_non_null(strstr(files.warnings[0], "no .note.ABI-tag"));
    expect_file(&files, LIB32 "/libnvidia-tls.so.375.66", NVD_DIR_LIB);
    nvd_driver_files_clear(&files);
}

/* Expect lookup to fail cleanly with a message naming rel. */
static void expect_lookup_error(const char *rel)
{
    struct nvd_driver_files files = { 0 };
    nvd_error *err = NULL;

    assert_int_equal(nvd_driver_files_find(host, NVD_CAP_ALL, &files, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_DRIVER);
    if (!strstr(err->msg, rel))
        fail_msg("message '%s' does not name %s", err->msg, rel);
    assert_int_equal(files.count, 0);
    nvd_error_free(err);
}

static void files_reject_truncated_library(void **state)
{
    const char *rel = LIB64 "/libnvidia-glcore.so.375.66";

    run_ok("cp -p %s/%s %s/saved && truncate -s 2000 %s/%s", driver_root, rel, root, driver_root, rel);
    expect_lookup_error(rel);
    restore_file(rel);

    run_ok("truncate -s 0 %s/%s", driver_root, rel);
    expect_lookup_error(rel);
    restore_file(rel);
}

/* Read path into a new buffer. */
static unsigned char *read_all(const char *path, size_t *size)
{
    struct stat st;
    cleanup_close int fd = open(path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    unsigned char *data = nvd_xmalloc((size_t)st.st_size);
    assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
    *size = (size_t)st.st_size;
    return data;
}

static void write_all(const char *path, const unsigned char *data, size_t size)
{
    cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, size), (ssize_t)size);
}

static void elf_reads_needed_and_note(void **state)
{
    cleanup_free char *gl = nvd_xasprintf("%s/" LIB64 "/libGL.so.1.7.0", driver_root);
    cleanup_free char *tls = nvd_xasprintf("%s/" LIB32 "/libnvidia-tls.so.375.66", driver_root);
    cleanup_free char *classic = nvd_xasprintf("%s/" LIB64 "/tls/libnvidia-tls.so.375.66", driver_root);
    struct nvd_elf_info info;
    nvd_error *err = NULL;

    assert_int_equal(nvd_elf_read(gl, &info, &err), 0);
    assert_string_equal(info.soname, "libGL.so.1");
    assert_int_equal(info.needed_count, 2);
    assert_string_equal(info.needed[0], "libGLdispatch.so.0");
    assert_string_equal(info.needed[1], "libc.so.6");
    assert_false(info.has_abi_tag);
    nvd_elf_info_clear(&info);

    assert_int_equal(nvd_elf_read(tls, &info, &err), 0);
    assert_true(info.has_abi_tag);
    assert_int_equal(info.abi_os, 0);
    assert_int_equal(info.abi_version[0], 2);
    assert_int_equal(info.abi_version[1], 3);
    assert_int_equal(info.abi_version[2], 99);
    nvd_elf_info_clear(&info);

    assert_int_equal(nvd_elf_read(classic, &info, &err), 0);
    assert_true(info.has_abi_tag);
    assert_int_equal(info.abi_version[1], 2);
    assert_int_equal(info.abi_version[2], 0);
    nvd_elf_info_clear(&info);
}

/* Every prefix of a real library either reads or fails with its name, never crashes. */
static void elf_truncations_fail_cleanly(void **state)
{
    cleanup_free char *tls = nvd_xasprintf("%s/" LIB64 "/libnvidia-tls.so.375.66", driver_root);
    cleanup_free char *copy = nvd_xasprintf("%s/truncated.so", root);
    size_t size;
    cleanup_free unsigned char *data = read_all(tls, &size);
    size_t failures = 0;

    for (size_t n = 0; n < size; n += (n < 128 ? 1 : 61)) {
        struct nvd_elf_info info;
        nvd_error *err = NULL;

        write_all(copy, data, n);
        if (nvd_elf_read(copy, &info, &err) < 0) {
            assert_non_null(err);
            if (!strstr(err->msg, copy))
                fail_msg("message '%s' for %zu bytes does not name the file", err->msg, n);
            nvd_error_free(err);
            failures++;
        }
        nvd_elf_info_clear(&info);
    }
    assert_true(failures > 0);
}

static void elf_section_size_lies(void **state)
{
    cleanup_free char *gl = nvd_xasprintf("%s/" LIB64 "/libGL.so.1.7.0", driver_root);
    cleanup_free char *copy = nvd_xasprintf("%s/lying.so", root);
    size_t size;
    cleanup_free unsigned char *data = read_all(gl, &size);
    Elf64_Ehdr ehdr;
    struct nvd_elf_info info;
    nvd_error *err = NULL;

    memcpy(&ehdr, data, sizeof(ehdr));
    assert_true(ehdr.e_shoff + (size_t)ehdr.e_shnum * sizeof(Elf64_Shdr) <= size);
    for (size_t i = 1; i < ehdr.e_shnum; i++) {
        Elf64_Shdr shdr;
        unsigned char *p = data + ehdr.e_shoff + i * sizeof(Elf64_Shdr);

        memcpy(&shdr, p, sizeof(shdr));
        if (shdr.sh_type != SHT_DYNAMIC)
            continue;
        shdr.sh_size = 0x7fffffff;
        memcpy(p, &shdr, sizeof(shdr));
    }
    write_all(copy, data, size);
    assert_int_equal(nvd_elf_read(copy, &info, &err), -1);
    nvd_elf_info_clear(&info);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, copy));
    assert_non_null(strstr(err->msg, "lies outside"));
    nvd_error_free(err);

    /* Section headers beyond the end of the file. */
    cleanup_free unsigned char *fresh = read_all(gl, &size);
    ehdr.e_shoff = size + 4096;
    memcpy(fresh, &ehdr, sizeof(ehdr));
    write_all(copy, fresh, size);
    err = NULL;
    assert_int_equal(nvd_elf_read(copy, &info, &err), -1);
    nvd_elf_info_clear(&info);
    assert_non_null(err);
    assert_non_null(strstr(err->msg, copy));
    nvd_error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(files_take_nvidia_gl_not_mesa),
        cmocka_unit_test(files_take_tls_2_3_99_only),
        cmocka_unit_test(files_skip_older_driver),
        cmocka_unit_test(files_sorted_by_machine),
        cmocka_unit_test(files_filtered_by_capability),
        cmocka_unit_test(files_warn_tls_without_note),
        cmocka_unit_test(files_reject_truncated_library),
        cmocka_unit_test(elf_reads_needed_and_note),
        cmocka_unit_test(elf_truncations_fail_cleanly),
        cmocka_unit_test(elf_section_size_lies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
