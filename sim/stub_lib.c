/*
 * stub_lib.c: the template of every driver library that nvd-sim lays out
 * without a double (libnvidia-glcore, libnvcuvid, ...). It is linked with a
 * placeholder soname that nvd-sim replaces with the real one. Built with
 * SIM_STUB_ABI_NOTE, it also carries the .note.ABI-tag section that
 * NVIDIA's libnvidia-tls has and that driver file filters read, with the
 * ABI version 2.SIM_STUB_ABI_MINOR.SIM_STUB_ABI_PATCH (default 2.3.99).
 */
#include <stdlib.h>

/* Referenced so that the stub needs libc.so.6, as every driver library does. */
__attribute__((visibility("default"))) const char *nvd_sim_stub_getenv(const char *name);

const char *nvd_sim_stub_getenv(const char *name)
{
    return getenv(name);
}

#ifdef SIM_STUB_ABI_NOTE
#ifndef SIM_STUB_ABI_MINOR
#define SIM_STUB_ABI_MINOR 3
#endif
#ifndef SIM_STUB_ABI_PATCH
#define SIM_STUB_ABI_PATCH 99
#endif
#define SIM_STRING(x) #x
#define SIM_EXPAND_STRING(x) SIM_STRING(x)

/*
 * An ELF note of type NT_GNU_ABI_TAG (1), name "GNU", whose four words give
 * the OS (0, Linux) and the ABI version.
 */
__asm__(".section .note.ABI-tag,\"a\",@note\n"
        ".balign 4\n"
        ".long 4\n"             /* name size */
        ".long 16\n"            /* descriptor size */
        ".long 1\n"             /* NT_GNU_ABI_TAG */
        ".asciz \"GNU\"\n"
        ".long 0, 2, " SIM_EXPAND_STRING(SIM_STUB_ABI_MINOR) ", "
        SIM_EXPAND_STRING(SIM_STUB_ABI_PATCH) "\n"   /* Linux, ABI 2.minor.patch */
        ".previous\n");
#endif
