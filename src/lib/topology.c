/* topology.c: peer lists from CUDA's peer access and NVML's topology levels. */
#include <string.h>

#include "topology.h"
#include "util.h"

/* NVML's topology levels and 1.0's link types. */
static const struct {
    nvmlGpuTopologyLevel_t level;
    enum nvd_p2p_link link;
} links[] = {
    { NVML_TOPOLOGY_INTERNAL, NVD_P2P_SAME_BOARD },             /* one board */
    { NVML_TOPOLOGY_SINGLE, NVD_P2P_SINGLE_SWITCH },            /* one PCIe switch */
    { NVML_TOPOLOGY_MULTIPLE, NVD_P2P_MULTIPLE_SWITCHES },      /* PCIe switches, no host bridge */
    { NVML_TOPOLOGY_HOSTBRIDGE, NVD_P2P_HOST_BRIDGE },          /* one host bridge */
    { NVML_TOPOLOGY_NODE, NVD_P2P_SAME_CPU },                   /* one NUMA node */
    { NVML_TOPOLOGY_SYSTEM, NVD_P2P_CROSS_CPU },                /* across NUMA nodes */
};

int nvd_p2p_link_from_nvml(nvmlGpuTopologyLevel_t level, enum nvd_p2p_link *link,
                           nvd_error **err)
{
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        if (links[i].level == level) {
            *link = links[i].link;
            return 0;
        }
    }
    return nvd_error_set(err, NVD_ERR_UNSUPPORTED,
                         "unsupported P2P link type: NVML topology level %d is not one of 0, 10, 20, 30, 40, 50",
                         (int)level);
}

/* Return the link between two GPUs, or NVD_P2P_UNKNOWN, logging any error but "not supported". */
static enum nvd_p2p_link read_link(struct nvd_nvml *nvml, const struct nvd_gpu *a,
                                   const struct nvd_gpu *b)
{
    nvmlDevice_t dev_a, dev_b;
    nvmlGpuTopologyLevel_t level;
    enum nvd_p2p_link link = NVD_P2P_UNKNOWN;
    cleanup_error nvd_error *error = NULL;
    nvmlReturn_t ret;

    ret = nvml->api.nvmlDeviceGetHandleByIndex_v2(a->index, &dev_a);
    if (ret == NVML_SUCCESS)
        ret = nvml->api.nvmlDeviceGetHandleByIndex_v2(b->index, &dev_b);
    if (ret == NVML_SUCCESS)
        ret = NVD_NVML_CALL(nvml, nvmlDeviceGetTopologyCommonAncestor, dev_a, dev_b, &level);
    if (ret == NVML_ERROR_NOT_SUPPORTED)
        return NVD_P2P_UNKNOWN;
    if (ret != NVML_SUCCESS)
        nvd_nvml_error(nvml, ret, &error, "cannot read the topology of GPUs %s and %s", a->busid,
                       b->busid);
    else if (nvd_p2p_link_from_nvml(level, &link, &error) < 0)
        nvd_error_wrap(&error, "GPUs %s and %s", a->busid, b->busid);
    if (error)
        nvd_log_error("%s; their link is reported as N/A", error->msg);
    return link;
}

/* Append a peer at busid with link to gpu. */
static void add_peer(struct nvd_gpu *gpu, const char *busid, enum nvd_p2p_link link)
{
    gpu->peers = nvd_xrealloc(gpu->peers, (gpu->peer_count + 1) * sizeof(*gpu->peers));
    struct nvd_peer *peer = &gpu->peers[gpu->peer_count++];
    snprintf(peer->busid, sizeof(peer->busid), "%s", busid);
    peer->link = link;
}

void nvd_topology_read(struct nvd_nvml *nvml, struct nvd_host *host,
                       const unsigned char *can_access)
{
    size_t count = host->gpu_count;

    for (size_t i = 0; i < count; i++) {
        for (size_t j = i + 1; j < count; j++) {
            if (!can_access[i * count + j])
                continue;
            struct nvd_gpu *a = &host->gpus[i];
            struct nvd_gpu *b = &host->gpus[j];
            enum nvd_p2p_link link = read_link(nvml, a, b);
            add_peer(a, b->busid, link);
            add_peer(b, a->busid, link);
        }
    }
}
