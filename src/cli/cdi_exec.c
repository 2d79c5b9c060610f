/* cdi_exec.c: hand "nvidia-docker cdi ..." to nvidia-docker-cdi. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cdi_exec.h"
#include "util.h"

extern char **environ;

int cdi_exec(const char *argv0, char *const *args, size_t nargs, nvd_error **err)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n < 0)
        return nvd_error_sys(err, errno, "cannot find the nvidia-docker executable through /proc/self/exe");
    self[n] = '\0';
    *strrchr(self, '/') = '\0';

    cleanup_free char *path = nvd_xasprintf("%s/%s", self, CDI_PROGRAM);
    cleanup_free char **argv = nvd_xcalloc(nargs + 2, sizeof(*argv));
    argv[0] = (char *)(uintptr_t)argv0;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    execve(path, argv, environ);
    return nvd_error_sys(err, errno, "cannot run %s, which nvidia-docker cdi needs: reinstall nvd",
                         path);
}
