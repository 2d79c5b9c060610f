/*
 * libFuzzer target for the ELF reader (src/lib/elf_file.c): the input is a
 * whole shared object, parsed from memory as nvd_elf_read() parses a mapped
 * file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nvd_elf_info info;
    nvd_error *err = NULL;

    /* A parse either succeeds without an error or fails with one that names the file. */
    if (nvd_elf_parse(INPUT_NAME, data, size, &info, &err) == 0) {
        if (err)
            abort();
        check_name(info.soname);
        if (info.needed_count > 0 && !info.needed)
            abort();
        for (size_t i = 0; i < info.needed_count; i++)
            check_name(info.needed[i]);
    } else {
        if (!err || !strstr(err->msg, INPUT_NAME))
            abort();
        nvd_error_free(err);
    }
    nvd_elf_info_clear(&info);
    return 0;
}
