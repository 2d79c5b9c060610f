/*
 * cdi_exec.h: nvidia-docker's own command "cdi", which docker does not
 * have. Its work happens in the program nvidia-docker-cdi, installed next
 * to nvidia-docker, so that the wrapper itself links no ELF library and
 * commands passed to docker start no slower.
 */
#ifndef NVD_CLI_CDI_EXEC_H
#define NVD_CLI_CDI_EXEC_H

#include <stddef.h>

#include "nvd.h"

/* The program that runs "nvidia-docker cdi ...". */
#define CDI_PROGRAM "nvidia-docker-cdi"

/*
 * Replace this process with nvidia-docker-cdi from the directory of the
 * running executable, with argv0 and then args[0..nargs) (the words after
 * "cdi"). Returns -1 with the cause only when that fails.
 */
int cdi_exec(const char *argv0, char *const *args, size_t nargs, nvd_error **err);

#endif /* NVD_CLI_CDI_EXEC_H */
