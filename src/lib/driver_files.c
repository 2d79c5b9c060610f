/*
 * driver_files.c: the driver's user-space files that a container needs,
 * as data tables by capability, their lookup under a driver root, and the
 * ELF checks that tell NVIDIA's files from others with the same soname.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver_files.h"
#include "elf_file.h"
#include "ldcache.h"
#include "root_resolve.h"
#include "util.h"

/* A driver binary and the capabilities that take it. */
struct binary_rule {
    const char *name;
    unsigned caps;
};

/* Binaries, looked up in the root's standard directories. */
static const struct binary_rule driver_binaries[] = {
    { "nvidia-smi", NVD_CAP_UTILITY },                /* the management CLI (1.0) */
    { "nvidia-debugdump", NVD_CAP_UTILITY },          /* GPU state dump for bug reports (1.0) */
    { "nvidia-persistenced", NVD_CAP_UTILITY },       /* keeps the driver loaded without clients (1.0) */
    { "nv-fabricmanager", NVD_CAP_UTILITY },          /* NVSwitch fabric manager (today's drivers) */
    { "nvidia-cuda-mps-control", NVD_CAP_COMPUTE },   /* multi-process service control daemon (1.0) */
    { "nvidia-cuda-mps-server", NVD_CAP_COMPUTE },    /* multi-process service server (1.0) */
    /* nvidia-modprobe, nvidia-settings and nvidia-xconfig act on the host: left out. */
};

/* Directories of a root searched for binaries, in PATH order. */
static const char *const binary_dirs[] = {
    "usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin",
};

/* The rule that matches a library's ld.so.cache entries. */
enum library_match {
    /* The key starts with name and the file is name.<driver version>. */
    MATCH_DRIVER_VERSION,
    /* The key is name exactly; the file has its own version (libGL.so.1.7.0). */
    MATCH_SONAME,
};

/* The ELF check that a library must pass to be kept. */
enum library_check {
    CHECK_NONE,
    /* A DT_NEEDED entry on NVIDIA's GL cores or GLVND: drops Mesa's loaders. */
    CHECK_NVIDIA_GL,
    /* A .note.ABI-tag of 2.3.99: drops the classic-TLS variant of libnvidia-tls. */
    CHECK_TLS_ABI,
};

/* A driver library, how it is found, and the capabilities that take it. */
struct library_rule {
    const char *name;
    enum library_match match;
    enum library_check check;
    unsigned caps;
};

#define GRAPHICS (NVD_CAP_GRAPHICS | NVD_CAP_DISPLAY)

/*
 * Libraries: nvidia-docker 1.0's list plus the files of today's drivers
 * (up to the 550 series), grouped by capability. Left out: libnvidia-gtk2/3
 * and libnvidia-wfb (X server and nvidia-settings parts), libglx (the X
 * server module), libOpenCL (the ICD loader belongs to the image) and
 * libnvidia-ngx (DLSS, a capability of its own).
 */
static const struct library_rule driver_libraries[] = {
    /* utility */
    { "libnvidia-ml.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_UTILITY },        /* NVML, the management library (1.0) */
    { "libnvidia-cfg.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_UTILITY },       /* GPU configuration queries */
    { "libnvidia-nscq.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_UTILITY },      /* NVSwitch configuration and query */

    /* compute */
    { "libcuda.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE },             /* the CUDA driver API (1.0) */
    { "libcudadebugger.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE },     /* CUDA debugger back end */
    { "libnvidia-opencl.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE },    /* the OpenCL ICD (1.0) */
    { "libnvidia-gpucomp.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE },   /* shader and kernel compiler */
    { "libnvidia-ptxjitcompiler.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE }, /* PTX JIT compiler (1.0) */
    { "libnvidia-fatbinaryloader.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE }, /* fat binary loader, drivers before 400 (1.0) */
    { "libnvidia-allocator.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE }, /* buffer allocation for GBM and CUDA */
    { "libnvidia-compiler.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE },  /* OpenCL compiler, drivers before 440 (1.0) */
    { "libnvidia-pkcs11.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE },    /* PKCS#11 for confidential computing, OpenSSL 1.1 */
    { "libnvidia-pkcs11-openssl3.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE }, /* the same for OpenSSL 3 */
    { "libnvidia-nvvm.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_COMPUTE },      /* NVVM IR compiler used by libcuda */

    /* video */
    { "libvdpau_nvidia.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_VIDEO },       /* VDPAU decoding back end (1.0) */
    { "libnvidia-encode.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_VIDEO },      /* NVENC encoding (1.0) */
    { "libnvidia-opticalflow.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_VIDEO }, /* optical flow SDK back end */
    { "libnvcuvid.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_VIDEO },            /* NVDEC decoding (1.0) */
    { "libnvidia-fbc.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_VIDEO | GRAPHICS }, /* frame buffer capture (1.0: video) */
    { "libnvidia-ifr.so", MATCH_DRIVER_VERSION, CHECK_NONE, NVD_CAP_VIDEO | GRAPHICS }, /* in-band frame readback, old drivers (1.0: video) */

    /* graphics and display: NVIDIA's GLVND vendor libraries and their cores */
    { "libGLX_nvidia.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },              /* GLX vendor library (1.0) */
    { "libEGL_nvidia.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },              /* EGL vendor library (1.0) */
    { "libGLESv2_nvidia.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },           /* OpenGL ES 2 and 3 vendor library (1.0) */
    { "libGLESv1_CM_nvidia.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },        /* OpenGL ES 1 vendor library (1.0) */
    { "libnvidia-eglcore.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },          /* EGL core (1.0) */
    { "libnvidia-glcore.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },           /* OpenGL core (1.0) */
    { "libnvidia-tls.so", MATCH_DRIVER_VERSION, CHECK_TLS_ABI, GRAPHICS },           /* thread-local storage support (1.0) */
    { "libnvidia-glsi.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },             /* OpenGL system interaction (1.0) */
    { "libnvidia-rtcore.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },           /* ray tracing core used by OptiX */
    { "libnvoptix.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },                 /* OptiX ray tracing */
    { "libnvidia-glvkspirv.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },        /* SPIR-V compiler for Vulkan and GL */
    { "libnvidia-cbl.so", MATCH_DRIVER_VERSION, CHECK_NONE, GRAPHICS },              /* Vulkan ray tracing helper */

    /*
     * graphics and display: loaders with their own version (1.0).
     * NOTE: a legacy NVIDIA libGL.so.<older version> left in another cache
     * directory passes these rules, because only the ELF check applies.
     */
    { "libGL.so.1", MATCH_SONAME, CHECK_NVIDIA_GL, GRAPHICS },          /* GLVND's or NVIDIA's legacy libGL, not Mesa's */
    { "libEGL.so.1", MATCH_SONAME, CHECK_NVIDIA_GL, GRAPHICS },         /* GLVND's or NVIDIA's legacy libEGL */
    { "libGLESv1_CM.so.1", MATCH_SONAME, CHECK_NVIDIA_GL, GRAPHICS },   /* GLVND's or NVIDIA's legacy OpenGL ES 1 */
    { "libGLESv2.so.2", MATCH_SONAME, CHECK_NVIDIA_GL, GRAPHICS },      /* GLVND's or NVIDIA's legacy OpenGL ES 2 */
    { "libGLX.so.0", MATCH_SONAME, CHECK_NONE, GRAPHICS },              /* GLVND's GLX loader */
    { "libOpenGL.so.0", MATCH_SONAME, CHECK_NONE, GRAPHICS },           /* GLVND's OpenGL loader without GLX */
    { "libGLdispatch.so.0", MATCH_SONAME, CHECK_NONE, GRAPHICS },       /* GLVND's dispatch table */
    { "libnvidia-egl-wayland.so.1", MATCH_SONAME, CHECK_NONE, GRAPHICS }, /* EGL Wayland platform, versioned apart from the driver */
};

/* DT_NEEDED prefixes that mark a GL loader as NVIDIA's (1.0's rule). */
static const char *const nvidia_gl_needed[] = {
    "libnvidia-glcore.so",   /* NVIDIA's legacy libGL */
    "libnvidia-eglcore.so",  /* NVIDIA's legacy libEGL and libGLES */
    "libGLdispatch.so",      /* every GLVND loader */
};

/* The ABI of the libnvidia-tls built for glibc's TLS model since 2.3.99. */
static const uint32_t tls_abi_version[3] = { 2, 3, 99 };

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

/* Add path and soname (taking both) to files unless a file with the same resolved path is there. */
static void add_file(struct nvd_driver_files *files, size_t *cap, char *path, enum nvd_volume_dir dir,
                     char *soname)
{
    for (size_t i = 0; i < files->count; i++) {
        if (strcmp(files->files[i].path, path) == 0) {
            free(path);
            free(soname);
            return;
        }
    }
    if (files->count == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        files->files = nvd_xrealloc(files->files, *cap * sizeof(*files->files));
    }
    files->files[files->count++] = (struct nvd_driver_file){ .path = path, .dir = dir, .soname = soname };
}

/* Add the first match of each driver binary of caps in the root's directories. */
static void find_binaries(struct nvd_root_dir *root, unsigned caps, struct nvd_driver_files *files,
                          size_t *cap)
{
    for (size_t b = 0; b < COUNT(driver_binaries); b++) {
        if (!(driver_binaries[b].caps & caps))
            continue;
        for (size_t d = 0; d < COUNT(binary_dirs); d++) {
            cleanup_free char *path = nvd_path_join(binary_dirs[d], driver_binaries[b].name);
            char *real = nvd_root_resolve_file(root, path);

            if (real) {
                add_file(files, cap, real, NVD_DIR_BIN, NULL);
                break;
            }
        }
    }
}

struct library_walk {
    const struct nvd_host *host;
    struct nvd_root_dir *root;
    unsigned caps;
    struct nvd_driver_files *files;
    size_t *cap;
    nvd_error **err;
    int status;                 /* -1 once an error is set in *err */
};

/* Return the rule of caps that takes the cache key soname, or NULL. */
static const struct library_rule *find_rule(const char *soname, unsigned caps)
{
    for (size_t i = 0; i < COUNT(driver_libraries); i++) {
        const struct library_rule *rule = &driver_libraries[i];
        size_t n = strlen(rule->name);

        if (!(rule->caps & caps))
            continue;
        if (rule->match == MATCH_SONAME && strcmp(soname, rule->name) == 0)
            return rule;
        if (rule->match == MATCH_DRIVER_VERSION && strncmp(soname, rule->name, n) == 0 &&
            (soname[n] == '\0' || soname[n] == '.'))
            return rule;
    }
    return NULL;
}

/* Return whether the file name of path is exactly <name>.<version>. */
static bool has_driver_version(const char *path, const char *name, const char *version)
{
    const char *base = strrchr(path, '/');
    size_t n = strlen(name);

    base = base ? base + 1 : path;
    return strncmp(base, name, n) == 0 && base[n] == '.' && strcmp(base + n + 1, version) == 0;
}

/* Return whether a DT_NEEDED entry of info starts with one of nvidia_gl_needed. */
static bool needs_nvidia_gl(const struct nvd_elf_info *info)
{
    for (size_t i = 0; i < info->needed_count; i++) {
        for (size_t j = 0; j < COUNT(nvidia_gl_needed); j++) {
            if (strncmp(info->needed[i], nvidia_gl_needed[j], strlen(nvidia_gl_needed[j])) == 0)
                return true;
        }
    }
    return false;
}

/* Record that path was skipped, and why, for the caller to log. */
static void add_warning(struct nvd_driver_files *files, char *message)
{
    files->warnings = nvd_xrealloc(files->warnings, (files->warning_count + 1) * sizeof(*files->warnings));
    files->warnings[files->warning_count++] = message;
}

/*
 * Read the ELF file at path and apply rule's check. Return 1 to keep it,
 * with its soname in *soname (NULL when it has none), 0 to skip it, -1
 * with *err set when it is not a readable ELF file. The volume builder
 * takes the soname from here, so each library is read once.
 */
static int check_library(const struct library_rule *rule, const char *path,
                         struct nvd_driver_files *files, char **soname, nvd_error **err)
{
    struct nvd_elf_info info;
    int keep = 1;

    if (nvd_elf_read(path, &info, err) < 0) {
        nvd_elf_info_clear(&info);
        return -1;
    }
    if (rule->check == CHECK_NVIDIA_GL) {
        keep = needs_nvidia_gl(&info);
    } else if (rule->check == CHECK_TLS_ABI && !info.has_abi_tag) {
        add_warning(files, nvd_xasprintf("skipping %s: it has no .note.ABI-tag section, so it may be the classic-TLS variant; "
                                         "reinstall the driver if containers need it", path));
        keep = 0;
    } else if (rule->check == CHECK_TLS_ABI) {
        keep = memcmp(info.abi_version, tls_abi_version, sizeof(tls_abi_version)) == 0;
    }
    *soname = keep && info.soname[0] ? nvd_xstrdup(info.soname) : NULL;
    nvd_elf_info_clear(&info);
    return keep;
}

/* Return whether files already lists path. */
static bool has_file(const struct nvd_driver_files *files, const char *path)
{
    for (size_t i = 0; i < files->count; i++) {
        if (strcmp(files->files[i].path, path) == 0)
            return true;
    }
    return false;
}

/* Take one ld.so.cache entry if it is a driver library of the requested capabilities. */
static int take_library(const char *soname, const char *path, enum nvd_ldcache_arch arch, void *ctx)
{
    struct library_walk *w = ctx;
    enum nvd_volume_dir dir;

    if (arch == nvd_ldcache_host_arch())
        dir = NVD_DIR_LIB64;
    else if (arch == NVD_ARCH_I386 && nvd_ldcache_host_arch() == NVD_ARCH_X86_64 &&
             (w->caps & NVD_CAP_COMPAT32))
        dir = NVD_DIR_LIB;
    else
        return 0;

    const struct library_rule *rule = find_rule(soname, w->caps);
    if (!rule)
        return 0;

    cleanup_free char *real = nvd_root_resolve_file(w->root, path);
    if (!real || has_file(w->files, real))
        return 0;
    if (rule->match == MATCH_DRIVER_VERSION &&
        !has_driver_version(real, rule->name, w->host->driver_version))
        return 0;   /* another driver's leftover, or not a driver file */

    char *file_soname = NULL;
    int keep = check_library(rule, real, w->files, &file_soname, w->err);
    if (keep < 0) {
        w->status = -1;
        return 1;
    }
    if (keep)
        add_file(w->files, w->cap, steal_pointer(&real), dir, file_soname);
    return 0;
}

int nvd_driver_files_find(const struct nvd_host *host, unsigned caps, struct nvd_driver_files *out,
                          nvd_error **err)
{
    struct nvd_driver_files files = { 0 };
    size_t cap = 0;
    cleanup_free void *cache = NULL;
    size_t size = 0;
    struct nvd_root_dir root;
    int ret = -1;

    nvd_root_dir_open(&root, host->driver_root);
    find_binaries(&root, caps, &files, &cap);

    struct library_walk walk = { .host = host, .root = &root, .caps = caps, .files = &files, .cap = &cap,
                                 .err = err };
    if (nvd_ldcache_load(host->driver_root, &cache, &size, err) < 0 ||
        nvd_ldcache_parse(cache, size, take_library, &walk, NULL, err) < 0 || walk.status < 0) {
        nvd_driver_files_clear(&files);
    } else {
        *out = files;
        ret = 0;
    }
    nvd_root_dir_close(&root);
    return ret;
}

void nvd_driver_files_clear(struct nvd_driver_files *files)
{
    for (size_t i = 0; i < files->count; i++) {
        free(files->files[i].path);
        free(files->files[i].soname);
    }
    free(files->files);
    for (size_t i = 0; i < files->warning_count; i++)
        free(files->warnings[i]);
    free(files->warnings);
    *files = (struct nvd_driver_files){ 0 };
}
