/*
 * arch.c: tables from CUDA compute capabilities to architecture families
 * and CUDA cores per multiprocessor. nvidia-docker 1.0 knew families up to
 * Pascal and showed N/A for later GPUs; these tables go up to Blackwell.
 * The cores per multiprocessor are those of _ConvertSMVer2Cores in
 * helper_cuda.h of NVIDIA's CUDA samples.
 */
#include <stddef.h>

#include "arch.h"

/* The family of every compute capability major.minor with minor >= first_minor. */
struct arch_family {
    int major;
    int first_minor;
    const char *family;
};

/* Ordered by major, then first_minor; a later row of the same major wins. */
static const struct arch_family families[] = {
    { 1, 0, "Tesla" },          /* 1.0 to 1.3: G80, GT200 */
    { 2, 0, "Fermi" },          /* 2.0, 2.1: GF100, GF10x */
    { 3, 0, "Kepler" },         /* 3.0 to 3.7: GK10x, GK11x, GK210 (Tesla K80) */
    { 5, 0, "Maxwell" },        /* 5.0 to 5.3: GM10x, GM20x, Tegra X1 */
    { 6, 0, "Pascal" },         /* 6.0 to 6.2: GP100, GP10x, Tegra X2 */
    { 7, 0, "Volta" },          /* 7.0, 7.2: GV100, Xavier */
    { 7, 5, "Turing" },         /* 7.5: TU10x (Tesla T4) */
    { 8, 0, "Ampere" },         /* 8.0, 8.6, 8.7: GA100, GA10x, Orin */
    { 8, 9, "Ada Lovelace" },   /* 8.9: AD10x (L4, L40) */
    { 9, 0, "Hopper" },         /* 9.0: GH100 (H100, H200) */
    { 10, 0, "Blackwell" },     /* 10.0, 10.3: B200, B300 */
    { 11, 0, "Blackwell" },     /* 11.0: Thor, numbered 10.1 before CUDA 13 */
    { 12, 0, "Blackwell" },     /* 12.0, 12.1: GB20x (RTX 50, RTX PRO), GB10 */
};

/* CUDA cores per multiprocessor of one compute capability. */
struct arch_cores {
    int major;
    int minor;
    int cores_per_sm;
};

static const struct arch_cores cores[] = {
    { 1, 0, 8 },        /* Tesla G80 */
    { 1, 1, 8 },        /* Tesla G8x, G9x */
    { 1, 2, 8 },        /* Tesla GT21x */
    { 1, 3, 8 },        /* Tesla GT200 */
    { 2, 0, 32 },       /* Fermi GF100, GF110 */
    { 2, 1, 48 },       /* Fermi GF10x */
    { 3, 0, 192 },      /* Kepler GK10x */
    { 3, 2, 192 },      /* Kepler GK20A (Tegra K1) */
    { 3, 5, 192 },      /* Kepler GK11x */
    { 3, 7, 192 },      /* Kepler GK210 */
    { 5, 0, 128 },      /* Maxwell GM10x */
    { 5, 2, 128 },      /* Maxwell GM20x */
    { 5, 3, 128 },      /* Maxwell GM20B (Tegra X1) */
    { 6, 0, 64 },       /* Pascal GP100 */
    { 6, 1, 128 },      /* Pascal GP10x */
    { 6, 2, 128 },      /* Pascal GP10B (Tegra X2) */
    { 7, 0, 64 },       /* Volta GV100 */
    { 7, 2, 64 },       /* Volta GV10B (Xavier) */
    { 7, 5, 64 },       /* Turing TU10x */
    { 8, 0, 64 },       /* Ampere GA100 */
    { 8, 6, 128 },      /* Ampere GA10x */
    { 8, 7, 128 },      /* Ampere GA10B (Orin) */
    { 8, 9, 128 },      /* Ada Lovelace AD10x */
    { 9, 0, 128 },      /* Hopper GH100 */
    { 10, 0, 128 },     /* Blackwell B200 */
    { 10, 1, 128 },     /* Blackwell Thor, before CUDA 13 */
    { 10, 3, 128 },     /* Blackwell B300 */
    { 11, 0, 128 },     /* Blackwell Thor */
    { 12, 0, 128 },     /* Blackwell GB20x */
    { 12, 1, 128 },     /* Blackwell GB10 */
};

const char *nvd_arch_family(int major, int minor)
{
    const char *family = NULL;

    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        if (families[i].major == major && families[i].first_minor <= minor)
            family = families[i].family;
    }
    return minor >= 0 ? family : NULL;
}

int nvd_arch_cores_per_sm(int major, int minor)
{
    for (size_t i = 0; i < sizeof(cores) / sizeof(cores[0]); i++) {
        if (cores[i].major == major && cores[i].minor == minor)
            return cores[i].cores_per_sm;
    }
    return 0;
}
