/*
 * driver_files.h: the files that nvd-sim lays out as an NVIDIA driver, one
 * entry per file, and the built templates they are copied from.
 */
#ifndef NVD_SIM_DRIVER_FILES_H
#define NVD_SIM_DRIVER_FILES_H

#include <stddef.h>

/* In names and sonames, this token stands for the driver version. */
#define SIM_VERSION_TOKEN "@VERSION@"

/*
 * The version of the leftover files of an older driver that every root
 * gets, as after an upgrade that left files behind. It is older than the
 * driver of every profile, so ldconfig keeps soname links such as
 * libcuda.so.1 on the current driver.
 */
#define SIM_LEFTOVER_VERSION "340.108"

/* The built file that an entry is copied from (see sim/meson.build). */
enum sim_template {
    SIM_TEMPLATE_STUB,       /* library with a placeholder soname */
    SIM_TEMPLATE_STUB_TLS,   /* the same with a .note.ABI-tag of 2.3.99 */
    SIM_TEMPLATE_STUB_TLS_CLASSIC, /* the same with a .note.ABI-tag of 2.2.0 */
    SIM_TEMPLATE_STUB_GLVND, /* a stub that needs libGLdispatch.so.0 */
    SIM_TEMPLATE_NVML,       /* the NVML double, soname libnvidia-ml.so.1 */
    SIM_TEMPLATE_CUDA,       /* the CUDA double, soname libcuda.so.1 */
    SIM_TEMPLATE_SMI,        /* the nvidia-smi double, 64-bit only */
    SIM_TEMPLATE_TOOL,       /* a program that exits 0, 64-bit only */
};

/* Target directories of an entry. A library can go to both library directories. */
enum sim_place {
    SIM_LIB64 = 1 << 0,      /* usr/lib/x86_64-linux-gnu */
    SIM_LIB32 = 1 << 1,      /* usr/lib/i386-linux-gnu */
    SIM_BIN = 1 << 2,        /* usr/bin */
};

/* One file of the driver. */
struct sim_driver_file {
    const char *name;            /* file name, may contain SIM_VERSION_TOKEN and a subdirectory */
    const char *soname;          /* DT_SONAME to set in a stub, or NULL */
    unsigned places;             /* enum sim_place bits */
    enum sim_template template_kind;
};

extern const struct sim_driver_file sim_driver_files[];
extern const size_t sim_driver_file_count;

#define SIM_LIB64_DIR "usr/lib/x86_64-linux-gnu"
#define SIM_LIB32_DIR "usr/lib/i386-linux-gnu"
#define SIM_BIN_DIR "usr/bin"

/* Subdirectories of both library directories that entries may name. */
#define SIM_MESA_SUBDIR "mesa"   /* Mesa's libGL, as Debian's diversions placed it; in ld.so.conf */
#define SIM_TLS_SUBDIR "tls"     /* the classic-TLS libnvidia-tls; in ld.so.conf */

/* Return the file name of the template for kind in 64 or 32 bits. */
const char *sim_template_file(enum sim_template kind, int bits);

/* Return text with every SIM_VERSION_TOKEN replaced by version. The caller frees it. */
char *sim_expand_version(const char *text, const char *version);

#endif /* NVD_SIM_DRIVER_FILES_H */
