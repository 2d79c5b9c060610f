/*
 * driver_files.c: the table of driver files. Names and sonames are those of
 * NVIDIA's Linux driver packages (the 375 to 550 series): most libraries
 * have a soname with a fixed ABI number, while the driver's internal
 * libraries carry the full driver version in their soname.
 */
#include <string.h>

#include "driver_files.h"
#include "util.h"

#define V SIM_VERSION_TOKEN
#define BOTH (SIM_LIB64 | SIM_LIB32)

const struct sim_driver_file sim_driver_files[] = {
    /* compute */
    { "libcuda.so." V, NULL, BOTH, SIM_TEMPLATE_CUDA },                       /* libcuda.so.1 */
    { "libnvidia-ml.so." V, NULL, BOTH, SIM_TEMPLATE_NVML },                  /* libnvidia-ml.so.1 */
    { "libnvidia-ptxjitcompiler.so." V, "libnvidia-ptxjitcompiler.so.1", BOTH, SIM_TEMPLATE_STUB },
    { "libnvidia-fatbinaryloader.so." V, "libnvidia-fatbinaryloader.so." V, BOTH, SIM_TEMPLATE_STUB },
    { "libnvidia-opencl.so." V, "libnvidia-opencl.so.1", BOTH, SIM_TEMPLATE_STUB },
    { "libnvidia-compiler.so." V, "libnvidia-compiler.so." V, BOTH, SIM_TEMPLATE_STUB },

    /* video */
    { "libnvidia-encode.so." V, "libnvidia-encode.so.1", BOTH, SIM_TEMPLATE_STUB },
    { "libnvcuvid.so." V, "libnvcuvid.so.1", BOTH, SIM_TEMPLATE_STUB },
    { "libvdpau_nvidia.so." V, "libvdpau_nvidia.so.1", BOTH, SIM_TEMPLATE_STUB },

    /* graphics: the GLVND vendor libraries and their internal cores */
    { "libGLX_nvidia.so." V, "libGLX_nvidia.so.0", BOTH, SIM_TEMPLATE_STUB },
    { "libEGL_nvidia.so." V, "libEGL_nvidia.so.0", BOTH, SIM_TEMPLATE_STUB },
    { "libGLESv2_nvidia.so." V, "libGLESv2_nvidia.so.2", BOTH, SIM_TEMPLATE_STUB },
    { "libGLESv1_CM_nvidia.so." V, "libGLESv1_CM_nvidia.so.1", BOTH, SIM_TEMPLATE_STUB },
    { "libnvidia-glcore.so." V, "libnvidia-glcore.so." V, BOTH, SIM_TEMPLATE_STUB },
    { "libnvidia-eglcore.so." V, "libnvidia-eglcore.so." V, BOTH, SIM_TEMPLATE_STUB },
    { "libnvidia-glsi.so." V, "libnvidia-glsi.so." V, BOTH, SIM_TEMPLATE_STUB },
    /* The variant for the 2.3.99 ABI, the one that driver volumes take. */
    { "libnvidia-tls.so." V, "libnvidia-tls.so." V, BOTH, SIM_TEMPLATE_STUB_TLS },
    /* The classic-TLS variant, with another ABI tag, in its own directory. */
    { "tls/libnvidia-tls.so." V, "libnvidia-tls.so." V, BOTH, SIM_TEMPLATE_STUB_TLS_CLASSIC },

    /* graphics: GLVND's loaders, shipped with the driver; they need libGLdispatch */
    { "libGL.so.1.7.0", "libGL.so.1", BOTH, SIM_TEMPLATE_STUB_GLVND },        /* GL and GLX loader */
    { "libEGL.so.1.1.0", "libEGL.so.1", BOTH, SIM_TEMPLATE_STUB_GLVND },      /* EGL loader */
    { "libGLX.so.0", "libGLX.so.0", BOTH, SIM_TEMPLATE_STUB_GLVND },          /* GLX loader */
    { "libGLdispatch.so.0", "libGLdispatch.so.0", BOTH, SIM_TEMPLATE_STUB },  /* the dispatch table */

    /* Mesa's non-GLVND libGL: same soname, no NVIDIA core needed, so volumes skip it. */
    { "mesa/libGL.so.1.2.0", "libGL.so.1", BOTH, SIM_TEMPLATE_STUB },

    /* Leftovers of an older driver: in the library directories and, where
       their soname is their own, in the cache. Volumes must skip them. */
    { "libcuda.so." SIM_LEFTOVER_VERSION, "libcuda.so.1", BOTH, SIM_TEMPLATE_STUB },
    { "libnvidia-glcore.so." SIM_LEFTOVER_VERSION, "libnvidia-glcore.so." SIM_LEFTOVER_VERSION, BOTH,
      SIM_TEMPLATE_STUB },
    { "libnvidia-tls.so." SIM_LEFTOVER_VERSION, "libnvidia-tls.so." SIM_LEFTOVER_VERSION, BOTH,
      SIM_TEMPLATE_STUB_TLS },

    /* binaries */
    { "nvidia-smi", NULL, SIM_BIN, SIM_TEMPLATE_SMI },
    { "nvidia-debugdump", NULL, SIM_BIN, SIM_TEMPLATE_TOOL },
    { "nvidia-persistenced", NULL, SIM_BIN, SIM_TEMPLATE_TOOL },
    { "nvidia-cuda-mps-control", NULL, SIM_BIN, SIM_TEMPLATE_TOOL },
    { "nvidia-cuda-mps-server", NULL, SIM_BIN, SIM_TEMPLATE_TOOL },
    { "nvidia-modprobe", NULL, SIM_BIN, SIM_TEMPLATE_TOOL },
};

const size_t sim_driver_file_count = sizeof(sim_driver_files) / sizeof(sim_driver_files[0]);

const char *sim_template_file(enum sim_template kind, int bits)
{
    switch (kind) {
    case SIM_TEMPLATE_STUB: return bits == 32 ? "stub-32.so" : "stub-64.so";
    case SIM_TEMPLATE_STUB_TLS: return bits == 32 ? "stub-tls-32.so" : "stub-tls-64.so";
    case SIM_TEMPLATE_STUB_TLS_CLASSIC:
        return bits == 32 ? "stub-tls-classic-32.so" : "stub-tls-classic-64.so";
    case SIM_TEMPLATE_STUB_GLVND: return bits == 32 ? "stub-glvnd-32.so" : "stub-glvnd-64.so";
    case SIM_TEMPLATE_NVML: return bits == 32 ? "libnvidia-ml-32.so" : "libnvidia-ml-64.so";
    case SIM_TEMPLATE_CUDA: return bits == 32 ? "libcuda-32.so" : "libcuda-64.so";
    case SIM_TEMPLATE_SMI: return "nvidia-smi";
    case SIM_TEMPLATE_TOOL: return "stub-tool";
    }
    return "";
}

char *sim_expand_version(const char *text, const char *version)
{
    struct nvd_buf out = { 0 };
    const char *token;

    while ((token = strstr(text, SIM_VERSION_TOKEN)) != NULL) {
        nvd_buf_append(&out, text, (size_t)(token - text));
        nvd_buf_puts(&out, version);
        text = token + strlen(SIM_VERSION_TOKEN);
    }
    nvd_buf_puts(&out, text);
    return nvd_buf_steal(&out);
}
