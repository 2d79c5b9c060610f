/* elf_file.h: the facts about a driver library that file selection and the volume builder read. */
#ifndef NVD_ELF_FILE_H
#define NVD_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvd.h"

#define NVD_ELF_NAME_MAX 256

/* The dynamic section and ABI note of a shared object. */
struct nvd_elf_info {
    char soname[NVD_ELF_NAME_MAX];   /* DT_SONAME, or "" */
    char **needed;                   /* DT_NEEDED names, in file order */
    size_t needed_count;
    bool has_abi_tag;                /* a valid GNU .note.ABI-tag section exists */
    uint32_t abi_os;                 /* its descriptor: OS (0 is Linux) */
    uint32_t abi_version[3];         /* and the ABI version, e.g. 2.3.99 */
};

/*
 * Read the soname, the needed libraries and the GNU ABI tag of the ELF file
 * at path. Every section with file contents must lie inside the file, and
 * every string inside its string table. A file that is not ELF, is
 * truncated or lies about sizes fails with NVD_ERR_DRIVER naming the file.
 * Release with nvd_elf_info_clear(), also after a failure.
 */
int nvd_elf_read(const char *path, struct nvd_elf_info *info, nvd_error **err);

/*
 * Read the same facts from the size bytes at data, the contents of the file
 * path (used in messages only). nvd_elf_read() maps the file and calls
 * this; the fuzz target calls it on its input.
 */
int nvd_elf_parse(const char *path, const void *data, size_t size, struct nvd_elf_info *info,
                  nvd_error **err);

/*
 * Read the same facts from the open file fd of size bytes in a few pread()
 * ranges: its head, its section header table and the tables the facts lie
 * in. nvd_elf_read() does this for files over 64 KiB.
 */
int nvd_elf_parse_file(int fd, const char *path, size_t size, struct nvd_elf_info *info,
                       nvd_error **err);

void nvd_elf_info_clear(struct nvd_elf_info *info);

#endif /* NVD_ELF_FILE_H */
