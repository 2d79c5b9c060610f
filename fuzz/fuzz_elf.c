/*
 * libFuzzer target for the ELF reader (src/lib/elf_file.c): the input is a
 * whole shared object. It is parsed from memory, as nvd_elf_read() parses a
 * small file, and from a memfd in pread() ranges, as it reads a large one.
 * Both must give the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_file.h"
#include "util.h"

#define INPUT_NAME "fuzz-input.so"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless name is a library name the reader may hand out. */
static void check_name(const char *name)
{
    if (strlen(name) >= NVD_ELF_NAME_MAX || strchr(name, '/'))
        abort();
}

/* Abort unless a parse that returned ret left info and err as elf_file.h documents. */
static void check_result(int ret, const struct nvd_elf_info *info, const nvd_error *err)
{
    if (ret == 0) {
        if (err)
            abort();
        check_name(info->soname);
        if (info->needed_count > 0 && !info->needed)
            abort();
        for (size_t i = 0; i < info->needed_count; i++)
            check_name(info->needed[i]);
    } else if (ret != -1 || !err || !strstr(err->msg, INPUT_NAME)) {
        abort();
    }
}

/* Abort unless a and b hold the same facts. */
static void check_same(const struct nvd_elf_info *a, const struct nvd_elf_info *b)
{
    if (strcmp(a->soname, b->soname) != 0 || a->needed_count != b->needed_count ||
        a->has_abi_tag != b->has_abi_tag || a->abi_os != b->abi_os ||
        memcmp(a->abi_version, b->abi_version, sizeof(a->abi_version)) != 0)
        abort();
    for (size_t i = 0; i < a->needed_count; i++)
        if (strcmp(a->needed[i], b->needed[i]) != 0)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    struct nvd_elf_info in_memory, in_ranges;
    nvd_error *memory_err = NULL;
    nvd_error *ranges_err = NULL;

    if (fd < 0 && (fd = memfd_create("fuzz-elf", MFD_CLOEXEC)) < 0)
        abort();
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();

    int memory_ret = nvd_elf_parse(INPUT_NAME, data, size, &in_memory, &memory_err);
    int ranges_ret = nvd_elf_parse_file(fd, INPUT_NAME, size, &in_ranges, &ranges_err);
    check_result(memory_ret, &in_memory, memory_err);
    check_result(ranges_ret, &in_ranges, ranges_err);
    if (memory_ret != ranges_ret)
        abort();
    if (memory_ret == 0)
        check_same(&in_memory, &in_ranges);
    else if (strcmp(memory_err->msg, ranges_err->msg) != 0)
        abort();
    nvd_error_free(memory_err);
    nvd_error_free(ranges_err);
    nvd_elf_info_clear(&in_memory);
    nvd_elf_info_clear(&in_ranges);
    return 0;
}
