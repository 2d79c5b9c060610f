/*
 * arch.h: the architecture family of a CUDA compute capability and the
 * number of CUDA cores in each of its multiprocessors.
 */
#ifndef NVD_ARCH_H
#define NVD_ARCH_H

/*
 * Return the architecture family of compute capability major.minor
 * ("Kepler", "Hopper", ...), or NULL for one that nvd does not know.
 */
const char *nvd_arch_family(int major, int minor);

/* Return the CUDA cores per multiprocessor of major.minor, or 0 when unknown. */
int nvd_arch_cores_per_sm(int major, int minor);

#endif /* NVD_ARCH_H */
