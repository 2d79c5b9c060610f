/* nvml.c: loads NVML with dlopen, resolves its entry points, maps its errors. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "loader_lock.h"
#include "nvml.h"
#include "util.h"

/* One entry point: its name and where its pointer goes in the table. */
struct nvml_symbol {
    const char *name;
    size_t offset;
};

/*
 * Entry points that nvd can do without: each serves values that are "not
 * supported" when the driver lacks it (see NVD_NVML_CALL), so an older
 * driver still starts. The others give the required GPU identity.
 */
static const char *const optional_symbols[] = {
    "nvmlSystemGetCudaDriverVersion",           /* added in driver 410; else cuDriverGetVersion */
    "nvmlSystemGetProcessName",                 /* process names */
    "nvmlDeviceGetBrand",                       /* brand */
    "nvmlDeviceGetPowerManagementLimit",        /* power limit */
    "nvmlDeviceGetBAR1MemoryInfo",              /* BAR1 size and use */
    "nvmlDeviceGetMaxPcieLinkGeneration",       /* PCIe bandwidth */
    "nvmlDeviceGetMaxPcieLinkWidth",            /* PCIe bandwidth */
    "nvmlDeviceGetMaxClockInfo",                /* maximum clocks */
    "nvmlDeviceGetTopologyCommonAncestor",      /* peer link types; Linux only */
    "nvmlDeviceGetPowerUsage",                  /* power draw */
    "nvmlDeviceGetTemperature",                 /* temperature */
    "nvmlDeviceGetUtilizationRates",            /* GPU and memory utilization */
    "nvmlDeviceGetEncoderUtilization",          /* encoder utilization */
    "nvmlDeviceGetDecoderUtilization",          /* decoder utilization */
    "nvmlDeviceGetMemoryInfo",                  /* memory use */
    "nvmlDeviceGetClockInfo",                   /* current clocks */
    "nvmlDeviceGetMemoryErrorCounter",          /* ECC error counts */
    "nvmlDeviceGetPcieThroughput",              /* PCIe throughput */
    "nvmlDeviceGetComputeRunningProcesses_v3",  /* processes; newer drivers only */
    "nvmlDeviceGetComputeRunningProcesses",     /* processes on drivers without _v3 */
    /* MIG, added in driver 450: without these a driver has no MIG devices. */
    "nvmlDeviceGetMigMode",
    "nvmlDeviceGetMaxMigDeviceCount",
    "nvmlDeviceGetMigDeviceHandleByIndex",
    "nvmlDeviceIsMigDeviceHandle",
    "nvmlDeviceGetDeviceHandleFromMigDeviceHandle",
    "nvmlDeviceGetGpuInstanceId",
    "nvmlDeviceGetComputeInstanceId",
    "nvmlDeviceGetAttributes_v2",
};

static const struct nvml_symbol nvml_symbols[] = {
#define NVD_NVML_SYMBOL(name, ret, params) { #name, offsetof(struct nvd_nvml_api, name) },
    NVD_NVML_FUNCTIONS(NVD_NVML_SYMBOL)
#undef NVD_NVML_SYMBOL
};

static bool symbol_is_optional(const char *name)
{
    for (size_t i = 0; i < sizeof(optional_symbols) / sizeof(optional_symbols[0]); i++)
        if (strcmp(optional_symbols[i], name) == 0)
            return true;
    return false;
}

/* Fill api from handle; fail on the first required entry point not found. */
static int resolve_symbols(void *handle, const char *path, struct nvd_nvml_api *api, nvd_error **err)
{
    for (size_t i = 0; i < sizeof(nvml_symbols) / sizeof(nvml_symbols[0]); i++) {
        const struct nvml_symbol *s = &nvml_symbols[i];
        void *sym = dlsym(handle, s->name);

        if (!sym && !symbol_is_optional(s->name))
            return nvd_error_set(err, NVD_ERR_DRIVER,
                                 "%s lacks the NVML entry point %s: the driver is too old for nvd",
                                 path, s->name);
        /* The object-to-function pointer conversion that dlsym requires. */
        memcpy((char *)api + s->offset, &sym, sizeof(sym));
    }
    return 0;
}

struct nvd_nvml *nvd_nvml_open(const char *path, nvd_error **err)
{
    struct nvd_nvml *nvml = nvd_xcalloc(1, sizeof(*nvml));
    nvmlReturn_t ret;

    /*
     * Load the file that the soname link points to, not the link: dlopen
     * returns an already loaded object of the same path, which would be the
     * previous driver's library while a caller still has it open.
     */
    cleanup_free char *real_path = realpath(path, NULL);
    nvd_loader_lock();
    nvml->handle = dlopen(real_path ? real_path : path, RTLD_NOW | RTLD_LOCAL);
    nvd_loader_unlock();
    if (!nvml->handle) {
        nvd_error_set(err, NVD_ERR_DRIVER, "could not load NVML library %s: %s", path, dlerror());
        free(nvml);
        return NULL;
    }
    nvml->path = nvd_xstrdup(path);
    if (resolve_symbols(nvml->handle, path, &nvml->api, err) < 0)
        goto fail;

    ret = nvml->api.nvmlInit_v2();
    if (ret != NVML_SUCCESS) {
        nvd_nvml_error(nvml, ret, err, "initialise NVML from %s", path);
        goto fail;
    }
    return nvml;

fail:
    nvd_loader_lock();
    dlclose(nvml->handle);
    nvd_loader_unlock();
    free(nvml->path);
    free(nvml);
    return NULL;
}

void nvd_nvml_close(struct nvd_nvml *nvml)
{
    if (!nvml)
        return;
    nvml->api.nvmlShutdown();
    nvd_loader_lock();
    dlclose(nvml->handle);
    nvd_loader_unlock();
    free(nvml->path);
    free(nvml);
}

int nvd_nvml_error(const struct nvd_nvml *nvml, nvmlReturn_t ret, nvd_error **err,
                   const char *fmt, ...)
{
    const char *text = nvml->api.nvmlErrorString ? nvml->api.nvmlErrorString(ret) : NULL;
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return nvd_error_set(err, ret == NVML_ERROR_NOT_SUPPORTED ? NVD_ERR_UNSUPPORTED : NVD_ERR_DRIVER,
                         "%s: nvml: %s", what, text ? text : "unknown error");
}
