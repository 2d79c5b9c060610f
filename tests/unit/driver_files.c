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

/* Read path, expecting a failure whose message names it and contains what. */
static void expect_elf_error(const char *path, const unsigned char *data, size_t size, const char *what)
{
    struct nvd_elf_info info;
    nvd_error *err = NULL;

    write_all(path, data, size);
    assert_int_equal(nvd_elf_read(path, &info, &err), -1);
    nvd_elf_info_clear(&info);
    assert_non_null(err);
    if (!strstr(err->msg, path) || !strstr(err->msg, what))
        fail_msg("message '%s' does not name %s and say '%s'", err->msg, path, what);
    nvd_error_free(err);
}

/* Return section header i of the 64-bit little-endian file in data. */
static Elf64_Shdr get_shdr(const unsigned char *data, size_t i)
{
    Elf64_Ehdr ehdr;
    Elf64_Shdr shdr;

    memcpy(&ehdr, data, sizeof(ehdr));
    memcpy(&shdr, data + ehdr.e_shoff + i * sizeof(Elf64_Shdr), sizeof(shdr));
    return shdr;
}

static void put_shdr(unsigned char *data, size_t i, const Elf64_Shdr *shdr)
{
    Elf64_Ehdr ehdr;

    memcpy(&ehdr, data, sizeof(ehdr));
    memcpy(data + ehdr.e_shoff + i * sizeof(Elf64_Shdr), shdr, sizeof(*shdr));
}

/* Return the index of the first section of type in data, a 64-bit little-endian file. */
static size_t find_section(const unsigned char *data, uint32_t type)
{
    Elf64_Ehdr ehdr;

    memcpy(&ehdr, data, sizeof(ehdr));
    for (size_t i = 1; i < ehdr.e_shnum; i++)
        if (get_shdr(data, i).sh_type == type)
            return i;
    fail_msg("no section of type %u", type);
    return 0;
}

/* Assert that a and b hold the same facts. */
static void assert_same_info(const struct nvd_elf_info *a, const struct nvd_elf_info *b)
{
    assert_string_equal(a->soname, b->soname);
    assert_int_equal(a->needed_count, b->needed_count);
    for (size_t i = 0; i < a->needed_count; i++)
        assert_string_equal(a->needed[i], b->needed[i]);
    assert_int_equal(a->has_abi_tag, b->has_abi_tag);
    assert_int_equal(a->abi_os, b->abi_os);
    assert_memory_equal(a->abi_version, b->abi_version, sizeof(a->abi_version));
}

/* The 32-bit libraries of the root (ELF32) read like their 64-bit twins. */
static void elf_reads_32_bit(void **state)
{
    cleanup_free char *tls32 = nvd_xasprintf("%s/" LIB32 "/libnvidia-tls.so.375.66", driver_root);
    cleanup_free char *tls64 = nvd_xasprintf("%s/" LIB64 "/libnvidia-tls.so.375.66", driver_root);
    size_t size;
    cleanup_free unsigned char *data = read_all(tls32, &size);
    struct nvd_elf_info info32, info64;
    nvd_error *err = NULL;

    assert_int_equal(data[EI_CLASS], ELFCLASS32);
    assert_int_equal(nvd_elf_read(tls32, &info32, &err), 0);
    assert_int_equal(nvd_elf_read(tls64, &info64, &err), 0);
    assert_string_equal(info32.soname, "libnvidia-tls.so.375.66");
    assert_true(info32.has_abi_tag);
    assert_same_info(&info32, &info64);
    nvd_elf_info_clear(&info32);
    nvd_elf_info_clear(&info64);
}

/* Reverse the size bytes at p. */
static void swap_bytes(void *p, size_t size)
{
    unsigned char *b = p;

    for (size_t i = 0; i < size / 2; i++) {
        unsigned char t = b[i];
        b[i] = b[size - 1 - i];
        b[size - 1 - i] = t;
    }
}
#define SWAP(x) swap_bytes(&(x), sizeof(x))

/* Swap the words of every note of the note section at data + offset. */
static void swap_notes(unsigned char *data, size_t offset, size_t size)
{
    size_t at = 0;

    while (at + 12 <= size) {
        uint32_t word[3];

        memcpy(word, data + offset + at, sizeof(word));
        for (size_t i = 0; i < 3; i++)
            swap_bytes(data + offset + at + 4 * i, 4);
        size_t desc = at + 12 + ((word[0] + 3) & ~3u);
        for (size_t i = 0; i < word[1] / 4 && desc + 4 * (i + 1) <= size; i++)
            swap_bytes(data + offset + desc + 4 * i, 4);
        at = desc + ((word[1] + 3) & ~3u);
    }
}

/* Turn the 64-bit little-endian file in data into a big-endian one, as far as the reader looks. */
static void make_big_endian(unsigned char *data)
{
    Elf64_Ehdr ehdr;

    memcpy(&ehdr, data, sizeof(ehdr));
    for (size_t i = 0; i < ehdr.e_shnum; i++) {
        Elf64_Shdr shdr = get_shdr(data, i);

        if (shdr.sh_type == SHT_DYNAMIC) {
            for (size_t j = 0; j < shdr.sh_size / sizeof(Elf64_Dyn); j++) {
                unsigned char *dyn = data + shdr.sh_offset + j * sizeof(Elf64_Dyn);
                swap_bytes(dyn, 8);
                swap_bytes(dyn + 8, 8);
            }
        } else if (shdr.sh_type == SHT_NOTE) {
            swap_notes(data, shdr.sh_offset, shdr.sh_size);
        }
        SWAP(shdr.sh_name), SWAP(shdr.sh_type), SWAP(shdr.sh_flags), SWAP(shdr.sh_addr);
        SWAP(shdr.sh_offset), SWAP(shdr.sh_size), SWAP(shdr.sh_link), SWAP(shdr.sh_info);
        SWAP(shdr.sh_addralign), SWAP(shdr.sh_entsize);
        put_shdr(data, i, &shdr);
    }
    SWAP(ehdr.e_type), SWAP(ehdr.e_machine), SWAP(ehdr.e_version), SWAP(ehdr.e_entry);
    SWAP(ehdr.e_phoff), SWAP(ehdr.e_shoff), SWAP(ehdr.e_flags), SWAP(ehdr.e_ehsize);
    SWAP(ehdr.e_phentsize), SWAP(ehdr.e_phnum), SWAP(ehdr.e_shentsize), SWAP(ehdr.e_shnum);
    SWAP(ehdr.e_shstrndx);
    ehdr.e_ident[EI_DATA] = ELFDATA2MSB;
    memcpy(data, &ehdr, sizeof(ehdr));
}

/* A big-endian file (the file's EI_DATA, not the host's order) reads the same facts. */
static void elf_reads_big_endian(void **state)
{
    cleanup_free char *tls = nvd_xasprintf("%s/" LIB64 "/libnvidia-tls.so.375.66", driver_root);
    cleanup_free char *copy = nvd_xasprintf("%s/big-endian.so", root);
    size_t size;
    cleanup_free unsigned char *data = read_all(tls, &size);
    struct nvd_elf_info little, big;
    nvd_error *err = NULL;

    make_big_endian(data);
    write_all(copy, data, size);
    assert_int_equal(nvd_elf_read(tls, &little, &err), 0);
    assert_int_equal(nvd_elf_read(copy, &big, &err), 0);
    assert_true(big.has_abi_tag);
    assert_int_equal(big.needed_count, 1);
    assert_same_info(&big, &little);
    nvd_elf_info_clear(&little);
    nvd_elf_info_clear(&big);
}

/* A section header table that starts beyond the end, or wraps around, fails. */
static void elf_section_table_outside_file(void **state)
{
    cleanup_free char *gl = nvd_xasprintf("%s/" LIB64 "/libGL.so.1.7.0", driver_root);
    cleanup_free char *copy = nvd_xasprintf("%s/table.so", root);
    size_t size;
    cleanup_free unsigned char *data = read_all(gl, &size);
    const uint64_t offsets[] = { size + 1, UINT64_MAX - 16, size - 8 };
    Elf64_Ehdr ehdr;

    memcpy(&ehdr, data, sizeof(ehdr));
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        Elf64_Ehdr bad = ehdr;

        bad.e_shoff = offsets[i];
        memcpy(data, &bad, sizeof(bad));
        expect_elf_error(copy, data, size, "do not fit");
    }
    Elf64_Ehdr bad = ehdr;
    bad.e_shentsize = 1;
    memcpy(data, &bad, sizeof(bad));
    expect_elf_error(copy, data, size, "unreadable section headers");
}

/* A dynamic entry whose string lies outside, or is not terminated inside, its table fails. */
static void elf_string_outside_table(void **state)
{
    cleanup_free char *gl = nvd_xasprintf("%s/" LIB64 "/libGL.so.1.7.0", driver_root);
    cleanup_free char *copy = nvd_xasprintf("%s/strings.so", root);
    size_t size;
    cleanup_free unsigned char *data = read_all(gl, &size);
    Elf64_Shdr dynamic = get_shdr(data, find_section(data, SHT_DYNAMIC));
    Elf64_Shdr strtab = get_shdr(data, dynamic.sh_link);
    const uint64_t indexes[] = { strtab.sh_size, strtab.sh_size + 100, UINT64_MAX };
    Elf64_Dyn *needed = NULL;

    for (size_t j = 0; j < dynamic.sh_size / sizeof(Elf64_Dyn); j++) {
        Elf64_Dyn dyn;

        memcpy(&dyn, data + dynamic.sh_offset + j * sizeof(dyn), sizeof(dyn));
        if (dyn.d_tag == DT_NEEDED) {
            needed = (Elf64_Dyn *)(data + dynamic.sh_offset + j * sizeof(dyn));
            break;
        }
    }
    assert_non_null(needed);
    for (size_t i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
        Elf64_Dyn dyn;

        memcpy(&dyn, needed, sizeof(dyn));
        dyn.d_un.d_val = indexes[i];
        memcpy(needed, &dyn, sizeof(dyn));
        expect_elf_error(copy, data, size, "outside the string table");
    }

    /* The last string of the table loses its terminator. */
    cleanup_free unsigned char *fresh = read_all(gl, &size);
    Elf64_Dyn dyn;
    memcpy(&dyn, (unsigned char *)needed - data + fresh, sizeof(dyn));
    dyn.d_un.d_val = strtab.sh_size - 2;
    memcpy((unsigned char *)needed - data + fresh, &dyn, sizeof(dyn));
    fresh[strtab.sh_offset + strtab.sh_size - 1] = 'x';
    expect_elf_error(copy, fresh, size, "outside the string table");

    /* The dynamic section's link is not a string table. */
    cleanup_free unsigned char *linked = read_all(gl, &size);
    Elf64_Shdr relinked = dynamic;
    relinked.sh_link = (uint32_t)find_section(linked, SHT_DYNAMIC);
    put_shdr(linked, relinked.sh_link, &relinked);
    expect_elf_error(copy, linked, size, "outside the string table");
}

/* Sizes and entry sizes that overflow a sum or a product fail or read nothing, never past the end. */
static void elf_entsize_overflow(void **state)
{
    cleanup_free char *gl = nvd_xasprintf("%s/" LIB64 "/libGL.so.1.7.0", driver_root);
    cleanup_free char *copy = nvd_xasprintf("%s/overflow.so", root);
    size_t size;
    cleanup_free unsigned char *data = read_all(gl, &size);
    size_t index = find_section(data, SHT_DYNAMIC);
    const Elf64_Shdr dynamic = get_shdr(data, index);
    struct nvd_elf_info info;
    nvd_error *err = NULL;
    Elf64_Shdr bad;

    bad = dynamic, bad.sh_size = UINT64_MAX - dynamic.sh_offset + 1;
    put_shdr(data, index, &bad);
    expect_elf_error(copy, data, size, "lies outside");
    bad = dynamic, bad.sh_offset = UINT64_MAX - 8;
    put_shdr(data, index, &bad);
    expect_elf_error(copy, data, size, "lies outside");

    /* An entry size of 1 or of 2^63 still reads whole entries inside the section. */
    const uint64_t entsizes[] = { 1, UINT64_C(1) << 63, UINT64_MAX };
    for (size_t i = 0; i < sizeof(entsizes) / sizeof(entsizes[0]); i++) {
        bad = dynamic, bad.sh_entsize = entsizes[i];
        put_shdr(data, index, &bad);
        write_all(copy, data, size);
        assert_int_equal(nvd_elf_read(copy, &info, &err), 0);
        assert_int_equal(info.needed_count, entsizes[i] == 1 ? 2 : 0);
        nvd_elf_info_clear(&info);
    }
}

/* e_shnum 0 with the real count in section 0's sh_size (extended numbering) reads; a false count fails. */
static void elf_extended_numbering(void **state)
{
    cleanup_free char *gl = nvd_xasprintf("%s/" LIB64 "/libGL.so.1.7.0", driver_root);
    cleanup_free char *copy = nvd_xasprintf("%s/extended.so", root);
    size_t size;
    cleanup_free unsigned char *data = read_all(gl, &size);
    struct nvd_elf_info plain, extended;
    nvd_error *err = NULL;
    Elf64_Ehdr ehdr;

    memcpy(&ehdr, data, sizeof(ehdr));
    Elf64_Shdr zero = get_shdr(data, 0);
    zero.sh_size = ehdr.e_shnum;
    zero.sh_link = ehdr.e_shstrndx;
    put_shdr(data, 0, &zero);
    ehdr.e_shnum = 0;
    ehdr.e_shstrndx = SHN_XINDEX;
    memcpy(data, &ehdr, sizeof(ehdr));
    write_all(copy, data, size);
    assert_int_equal(nvd_elf_read(gl, &plain, &err), 0);
    assert_int_equal(nvd_elf_read(copy, &extended, &err), 0);
    assert_same_info(&plain, &extended);
    nvd_elf_info_clear(&plain);
    nvd_elf_info_clear(&extended);

    zero.sh_size = UINT64_MAX;
    put_shdr(data, 0, &zero);
    expect_elf_error(copy, data, size, "do not fit");
    zero.sh_size = 0;
    put_shdr(data, 0, &zero);
    expect_elf_error(copy, data, size, "no section headers");
    ehdr.e_shoff = size - 8;
    memcpy(data, &ehdr, sizeof(ehdr));
    expect_elf_error(copy, data, size, "section header 0");
}

/* Return a copy of the 64-bit file data with pad zero bytes before its section header table. */
static unsigned char *pad_before_table(const unsigned char *data, size_t *size, size_t pad)
{
    Elf64_Ehdr ehdr;
    unsigned char *padded = nvd_xmalloc(*size + pad);

    memcpy(&ehdr, data, sizeof(ehdr));
    for (size_t i = 1; i < ehdr.e_shnum; i++) {
        Elf64_Shdr shdr = get_shdr(data, i);
        assert_true(shdr.sh_type == SHT_NOBITS || shdr.sh_offset + shdr.sh_size <= ehdr.e_shoff);
    }
    memcpy(padded, data, ehdr.e_shoff);
    memset(padded + ehdr.e_shoff, 0, pad);
    memcpy(padded + ehdr.e_shoff + pad, data + ehdr.e_shoff, *size - ehdr.e_shoff);
    ehdr.e_shoff += pad;
    memcpy(padded, &ehdr, sizeof(ehdr));
    *size += pad;
    return padded;
}

/* A file over 64 KiB, read in ranges instead of whole, gives the same facts and fails the same way. */
static void elf_reads_large_file(void **state)
{
    const char *libs[] = { LIB64 "/libGL.so.1.7.0", LIB64 "/libnvidia-tls.so.375.66" };
    cleanup_free char *copy = nvd_xasprintf("%s/large.so", root);
    const size_t pads[] = { 100 * 1024, 100 * 1024 + 4000 };

    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        for (size_t j = 0; j < sizeof(pads) / sizeof(pads[0]); j++) {
            cleanup_free char *path = nvd_xasprintf("%s/%s", driver_root, libs[i]);
            size_t size;
            cleanup_free unsigned char *data = read_all(path, &size);
            cleanup_free unsigned char *large = pad_before_table(data, &size, pads[j]);
            struct nvd_elf_info small_info, large_info;
            nvd_error *err = NULL;

            write_all(copy, large, size);
            assert_int_equal(nvd_elf_read(path, &small_info, &err), 0);
            assert_int_equal(nvd_elf_read(copy, &large_info, &err), 0);
            assert_same_info(&small_info, &large_info);
            nvd_elf_info_clear(&small_info);
            nvd_elf_info_clear(&large_info);

            /* Cut inside the section header table, and before it. */
            for (size_t cut = 1; cut < 64 * 6; cut += 64)
                expect_elf_error(copy, large, size - cut, "do not fit");
            expect_elf_error(copy, large, 80 * 1024, "do not fit");
        }
    }

    /* A string index outside the dynamic string table, and a section outside the file. */
    cleanup_free char *gl = nvd_xasprintf("%s/" LIB64 "/libGL.so.1.7.0", driver_root);
    size_t size;
    cleanup_free unsigned char *data = read_all(gl, &size);
    cleanup_free unsigned char *large = pad_before_table(data, &size, pads[0]);
    size_t index = find_section(large, SHT_DYNAMIC);
    Elf64_Shdr dynamic = get_shdr(large, index);
    Elf64_Shdr strtab = get_shdr(large, dynamic.sh_link);
    Elf64_Dyn dyn;

    memcpy(&dyn, large + dynamic.sh_offset, sizeof(dyn));
    assert_int_equal(dyn.d_tag, DT_NEEDED);
    dyn.d_un.d_val = strtab.sh_size;
    memcpy(large + dynamic.sh_offset, &dyn, sizeof(dyn));
    expect_elf_error(copy, large, size, "outside the string table");

    dynamic.sh_offset = size - 8;
    put_shdr(large, index, &dynamic);
    expect_elf_error(copy, large, size, "lies outside");
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
        cmocka_unit_test(elf_reads_32_bit),
        cmocka_unit_test(elf_reads_big_endian),
        cmocka_unit_test(elf_section_table_outside_file),
        cmocka_unit_test(elf_string_outside_table),
        cmocka_unit_test(elf_entsize_overflow),
        cmocka_unit_test(elf_extended_numbering),
        cmocka_unit_test(elf_reads_large_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
