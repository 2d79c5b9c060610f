/*
 * driver_files.c: the driver's user-space files that a container needs,
 * as data tables, and their lookup under a driver root.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "driver_files.h"
#include "ldcache.h"
#include "util.h"

/* Binaries, looked up in the root's standard directories. */
static const char *const driver_binaries[] = {
    "nvidia-cuda-mps-control",  /* multi-process service control daemon */
    "nvidia-cuda-mps-server",   /* multi-process service server */
    "nvidia-debugdump",         /* GPU state dump for bug reports */
    "nvidia-persistenced",      /* keeps the driver loaded without clients */
    "nvidia-smi",               /* the management CLI */
    /* nvidia-modprobe, nvidia-settings and nvidia-xconfig act on the host: left out. */
};

/* Directories of a root searched for binaries, in PATH order. */
static const char *const binary_dirs[] = {
    "usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin",
};

/*
 * Library sonames, matched as prefixes of ld.so.cache keys.
 * TODO: take libraries by exact driver version and by capability, and apply
 * the ELF checks for GLVND loaders and libnvidia-tls.
 */
static const char *const driver_libraries[] = {
    /* compute */
    "libnvidia-ml.so",              /* NVML, the management library */
    "libcuda.so",                   /* the CUDA driver API */
    "libnvidia-ptxjitcompiler.so",  /* PTX JIT compiler used by libcuda */
    "libnvidia-fatbinaryloader.so", /* fat binary loader (drivers < 400) */
    "libnvidia-opencl.so",          /* the OpenCL ICD */
    "libnvidia-compiler.so",        /* OpenCL compiler (drivers < 440) */
    /* video */
    "libvdpau_nvidia.so",           /* VDPAU video decoding */
    "libnvidia-encode.so",          /* NVENC video encoding */
    "libnvcuvid.so",                /* NVDEC video decoding */
    "libnvidia-fbc.so",             /* frame buffer capture */
    "libnvidia-ifr.so",             /* in-band frame readback (old drivers) */
    /* graphics */
    "libGL.so",                     /* legacy GL or the GLVND loader */
    "libGLX.so",                    /* GLVND GLX loader */
    "libOpenGL.so",                 /* GLVND OpenGL loader */
    "libGLESv1_CM.so",              /* OpenGL ES 1 loader */
    "libGLESv2.so",                 /* OpenGL ES 2 loader */
    "libEGL.so",                    /* EGL loader */
    "libGLdispatch.so",             /* GLVND dispatch */
    "libGLX_nvidia.so",             /* NVIDIA's GLX vendor library */
    "libEGL_nvidia.so",             /* NVIDIA's EGL vendor library */
    "libGLESv2_nvidia.so",          /* NVIDIA's OpenGL ES 2 vendor library */
    "libGLESv1_CM_nvidia.so",       /* NVIDIA's OpenGL ES 1 vendor library */
    "libnvidia-eglcore.so",         /* EGL core */
    "libnvidia-egl-wayland.so",     /* EGL Wayland platform */
    "libnvidia-glcore.so",          /* OpenGL core */
    "libnvidia-tls.so",             /* thread-local storage support */
    "libnvidia-glsi.so",            /* OpenGL system interaction */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *nvd_volume_dir_name(enum nvd_volume_dir dir)
{
    switch (dir) {
    case NVD_DIR_BIN: return "bin";
    case NVD_DIR_LIB: return "lib";
    case NVD_DIR_LIB64: return "lib64";
    }
    return "?";
}

/* Add path to files unless a file with the same resolved path is there. */
static void add_file(struct nvd_driver_files *files, size_t *cap, char *path, enum nvd_volume_dir dir)
{
    for (size_t i = 0; i < files->count; i++) {
        if (strcmp(files->files[i].path, path) == 0) {
            free(path);
            return;
        }
    }
    if (files->count == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        files->files = nvd_xrealloc(files->files, *cap * sizeof(*files->files));
    }
    files->files[files->count++] = (struct nvd_driver_file){ .path = path, .dir = dir };
}

/* Resolve path through symlinks to a regular file; return NULL otherwise. */
static char *resolve_file(const char *path)
{
    /* TODO: resolve absolute symlinks inside the driver root, not the host. */
    char *real = realpath(path, NULL);
    struct stat st;

    if (!real)
        return NULL;
    if (stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
        free(real);
        return NULL;
    }
    return real;
}

/* Add the first match of each driver binary in the root's directories. */
static void find_binaries(const struct nvd_host *host, struct nvd_driver_files *files, size_t *cap)
{
    for (size_t b = 0; b < COUNT(driver_binaries); b++) {
        for (size_t d = 0; d < COUNT(binary_dirs); d++) {
            cleanup_free char *dir = nvd_path_join(host->driver_root, binary_dirs[d]);
            cleanup_free char *path = nvd_path_join(dir, driver_binaries[b]);
            char *real = resolve_file(path);

            if (real) {
                add_file(files, cap, real, NVD_DIR_BIN);
                break;
            }
        }
    }
}

struct library_walk {
    const struct nvd_host *host;
    struct nvd_driver_files *files;
    size_t *cap;
};

/* Take one ld.so.cache entry if its soname is a driver library. */
static int take_library(const char *soname, const char *path, enum nvd_ldcache_arch arch, void *ctx)
{
    struct library_walk *w = ctx;
    enum nvd_volume_dir dir;
    bool listed = false;

    if (arch == nvd_ldcache_host_arch())
        dir = NVD_DIR_LIB64;
    else if (arch == NVD_ARCH_I386 && nvd_ldcache_host_arch() == NVD_ARCH_X86_64)
        dir = NVD_DIR_LIB;
    else
        return 0;

    for (size_t i = 0; i < COUNT(driver_libraries) && !listed; i++)
        listed = strncmp(soname, driver_libraries[i], strlen(driver_libraries[i])) == 0;
    if (!listed)
        return 0;

    cleanup_free char *full = nvd_path_join(w->host->driver_root, path);
    char *real = resolve_file(full);
    if (real)
        add_file(w->files, w->cap, real, dir);
    return 0;
}

int nvd_driver_files_find(const struct nvd_host *host, struct nvd_driver_files *out, nvd_error **err)
{
    struct nvd_driver_files files = { 0 };
    size_t cap = 0;
    cleanup_free void *cache = NULL;
    size_t size = 0;

    find_binaries(host, &files, &cap);

    struct library_walk walk = { .host = host, .files = &files, .cap = &cap };
    if (nvd_ldcache_load(host->driver_root, &cache, &size, err) < 0 ||
        nvd_ldcache_parse(cache, size, take_library, &walk, err) < 0) {
        nvd_driver_files_clear(&files);
        return -1;
    }
    *out = files;
    return 0;
}

void nvd_driver_files_clear(struct nvd_driver_files *files)
{
    for (size_t i = 0; i < files->count; i++)
        free(files->files[i].path);
    free(files->files);
    files->files = NULL;
    files->count = 0;
}
