/* elf_file.h: the facts about a driver library that the volume builder reads. */
#ifndef NVD_ELF_FILE_H
#define NVD_ELF_FILE_H

#include <stddef.h>

#include "nvd.h"

/*
 * Read the DT_SONAME of the shared object at path into buf. A file without
 * one gives an empty string. A file that is not a readable ELF object fails
 * with NVD_ERR_DRIVER naming the file.
 */
int nvd_elf_soname(const char *path, char *buf, size_t size, nvd_error **err);

#endif /* NVD_ELF_FILE_H */
