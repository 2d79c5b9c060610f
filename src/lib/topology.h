/*
 * topology.h: the GPUs each GPU can reach peer to peer, and how they are
 * linked (same board, PCIe switches, host bridge, CPU sockets).
 */
#ifndef NVD_TOPOLOGY_H
#define NVD_TOPOLOGY_H

#include "nvml.h"

/*
 * Map an NVML topology level to 1.0's link type. A level that NVML has
 * added since fails with NVD_ERR_UNSUPPORTED "unsupported P2P link type".
 */
int nvd_p2p_link_from_nvml(nvmlGpuTopologyLevel_t level, enum nvd_p2p_link *link,
                           nvd_error **err);

/*
 * Add a struct nvd_peer on both GPUs of every pair marked in can_access
 * (host->gpu_count squared, row-major), with the link type from
 * nvmlDeviceGetTopologyCommonAncestor. A driver without
 * that function, or one that does not support it, gives
 * NVD_P2P_UNKNOWN; other NVML errors are logged and give it too.
 */
void nvd_topology_read(struct nvd_nvml *nvml, struct nvd_host *host,
                       const unsigned char *can_access);

#endif /* NVD_TOPOLOGY_H */
