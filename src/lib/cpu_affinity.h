/*
 * cpu_affinity.h: the NUMA node that a PCI device is attached to, read
 * from sysfs as nvidia-docker 1.0 did (NVML is not asked).
 */
#ifndef NVD_CPU_AFFINITY_H
#define NVD_CPU_AFFINITY_H

#include "nvd.h"

/*
 * Read <sysfs_root>/bus/pci/devices/<busid in lower case>/numa_node into
 * *node. A missing file or -1 (no NUMA information) gives node 0, as in
 * 1.0. A value that is not a decimal integer fails with NVD_ERR_DRIVER.
 */
int nvd_cpu_affinity_read(const char *sysfs_root, const char *busid, long long *node,
                          nvd_error **err);

#endif /* NVD_CPU_AFFINITY_H */
