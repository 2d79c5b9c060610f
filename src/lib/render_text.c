/*
 * render_text.c: the text replies of /gpu/info and /gpu/status, byte for
 * byte as nvidia-docker 1.0's templates wrote them through Go's
 * text/tabwriter.
 *
 * Each renderer first writes the template's lines into one buffer: a
 * label and its value are two cells ("  Model:  \tTesla K80\n"), and a
 * header ("  PCI\n") is a single cell, so it ends the alignment group of
 * the rows above it. The tabwriter layout then pads each group's labels to
 * the longest one. 1.0's template also started every line with a tab,
 * which adds an empty column of width 0 and changes nothing.
 *
 * A value that the driver does not report (NVD_UNKNOWN, an empty string)
 * is "N/A". A known zero is printed, because 1.0's templates tested for a
 * missing value and not for zero.
 */
#include <string.h>

#include "tabwriter.h"
#include "util.h"

#define NOT_AVAILABLE "N/A"

/* Start a label/value row: the label cell, with 1.0's two spaces. */
static void row_label(struct nvd_buf *b, const char *label)
{
    nvd_buf_puts(b, label);
    nvd_buf_puts(b, "  \t");
}

/* Append a row whose value is text, or N/A when text is empty. */
static void row_text(struct nvd_buf *b, const char *label, const char *text)
{
    row_label(b, label);
    nvd_buf_puts(b, text[0] ? text : NOT_AVAILABLE);
    nvd_buf_puts(b, "\n");
}

/* Append a row "<value><unit>" such as "149 W", or N/A for NVD_UNKNOWN. */
static void row_quantity(struct nvd_buf *b, const char *label, long long value,
                         const char *unit)
{
    row_label(b, label);
    if (value == NVD_UNKNOWN)
        nvd_buf_puts(b, NOT_AVAILABLE);
    else
        nvd_buf_printf(b, "%lld%s", value, unit);
    nvd_buf_puts(b, "\n");
}

/* Append a row "<used> / <total><unit>", or N/A unless both are known. */
static void row_ratio(struct nvd_buf *b, const char *label, long long used,
                      long long total, const char *unit)
{
    row_label(b, label);
    if (used == NVD_UNKNOWN || total == NVD_UNKNOWN)
        nvd_buf_puts(b, NOT_AVAILABLE);
    else
        nvd_buf_printf(b, "%lld / %lld%s", used, total, unit);
    nvd_buf_puts(b, "\n");
}

/* Append a line without a tab: a header, which ends the group above it. */
static void line(struct nvd_buf *b, const char *text)
{
    nvd_buf_puts(b, text);
    nvd_buf_puts(b, "\n");
}

/* Lay out the template's lines in raw with the tabwriter and return them. */
static char *finish_layout(struct nvd_buf *raw)
{
    struct nvd_buf out = {0};

    nvd_tabwriter_format(&out, raw->data ? raw->data : "", raw->len);
    nvd_buf_free(raw);
    return nvd_buf_steal(&out);
}

/* ------------------------------------------------------------ /gpu/info */

/* Return 1.0's text for a P2P link: its Link.String(). */
static const char *p2p_link_text(enum nvd_p2p_link link)
{
    switch (link) {
    case NVD_P2P_SAME_BOARD:        return "Same board";
    case NVD_P2P_SINGLE_SWITCH:     return "Single PCI switch";
    case NVD_P2P_MULTIPLE_SWITCHES: return "Multiple PCI switches";
    case NVD_P2P_HOST_BRIDGE:       return "Host PCI bridge";
    case NVD_P2P_SAME_CPU:          return "Same CPU socket";
    case NVD_P2P_CROSS_CPU:         return "Cross CPU socket";
    case NVD_P2P_UNKNOWN:           break;
    }
    return NOT_AVAILABLE;
}

static void info_versions(struct nvd_buf *b, const struct nvd_host *host)
{
    line(b, "");
    row_text(b, "Driver version:", host->driver_version);
    row_text(b, "Supported CUDA version:", host->cuda_version);
}

/* Append the device's first group: identity, power and CPU affinity. */
static void info_identity(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    char path[32];

    snprintf(path, sizeof(path), "/dev/nvidia%u", gpu->minor);
    row_text(b, "  Model:", gpu->name);
    row_text(b, "  UUID:", gpu->uuid);
    row_text(b, "  Path:", path);
    row_text(b, "  Family:", gpu->family);
    row_text(b, "  Arch:", gpu->arch);
    row_quantity(b, "  Cores:", gpu->cores, "");
    row_quantity(b, "  Power:", gpu->power_w, " W");

    /* Discovery reports node 0 when sysfs has none, as 1.0 did, so N/A never shows there. */
    row_label(b, "  CPU Affinity:");
    if (gpu->cpu_affinity == NVD_UNKNOWN)
        nvd_buf_puts(b, NOT_AVAILABLE);
    else
        nvd_buf_printf(b, "NUMA node%lld", gpu->cpu_affinity);
    nvd_buf_puts(b, "\n");
}

static void info_pci(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    line(b, "  PCI");
    row_text(b, "    Bus ID:", gpu->busid);
    row_quantity(b, "    BAR1:", gpu->bar1_mib, " MiB");
    row_quantity(b, "    Bandwidth:", gpu->pci_bandwidth_mbs, " MB/s");
}

static void info_memory(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    line(b, "  Memory");
    const char *ecc = "";
    if (gpu->ecc > 0)
        ecc = "true";
    else if (gpu->ecc == 0)
        ecc = "false";
    row_text(b, "    ECC:", ecc);
    row_quantity(b, "    Global:", gpu->memory_mib, " MiB");
    row_quantity(b, "    Constant:", gpu->constant_kib, " KiB");
    row_quantity(b, "    Shared:", gpu->shared_kib, " KiB");
    row_quantity(b, "    L2 Cache:", gpu->l2_kib, " KiB");
    row_quantity(b, "    Bandwidth:", gpu->memory_bandwidth_mbs, " MB/s");
}

static void info_clocks(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    line(b, "  Clocks");
    row_quantity(b, "    Cores:", gpu->clock_cores_mhz, " MHz");
    row_quantity(b, "    Memory:", gpu->clock_memory_mhz, " MHz");
}

/*
 * Append the peers. Without any, "P2P Available:  None" is a row, so it
 * joins the Clocks group. With peers, it is a header over one line each.
 */
static void info_peers(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    if (gpu->peer_count == 0) {
        row_text(b, "  P2P Available:", "None");
        return;
    }
    line(b, "  P2P Available");
    for (size_t i = 0; i < gpu->peer_count; i++) {
        const struct nvd_peer *peer = &gpu->peers[i];
        nvd_buf_printf(b, "    %s - %s\n", peer->busid, p2p_link_text(peer->link));
    }
}

/*
 * Start the MIG device list of a GPU in MIG mode, in the style of the
 * process list: "MIG Devices:  None" as a row, or a header over one group
 * of rows per device. Other GPUs get nothing, so 1.0's output is kept.
 * Returns whether devices follow.
 */
static bool mig_list_start(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    if (gpu->mig_mode != 1)
        return false;
    if (gpu->mig_count == 0) {
        row_text(b, "  MIG Devices:", "None");
        return false;
    }
    line(b, "  MIG Devices");
    return true;
}

/* Append the first rows of a MIG device: its "<gpu>:<mig>" id and UUID. */
static void mig_identity(struct nvd_buf *b, const struct nvd_gpu *gpu,
                         const struct nvd_mig_device *mig)
{
    row_label(b, "    - ID:");
    nvd_buf_printf(b, "%u:%u\n", gpu->index, mig->index);
    row_text(b, "      UUID:", mig->uuid);
}

/* Append the MIG devices of a GPU in MIG mode with their static properties. */
static void info_mig(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    if (!mig_list_start(b, gpu))
        return;
    for (size_t i = 0; i < gpu->mig_count; i++) {
        const struct nvd_mig_device *mig = &gpu->migs[i];
        mig_identity(b, gpu, mig);
        row_text(b, "      Profile:", mig->profile);
        row_quantity(b, "      GPU Instance:", mig->gpu_instance, "");
        row_quantity(b, "      Compute Instance:", mig->compute_instance, "");
        row_quantity(b, "      Memory:", mig->memory_mib, " MiB");
        row_label(b, "      Paths:");
        nvd_buf_printf(b, "/dev/nvidia%u /dev/nvidia-caps/nvidia-cap%u /dev/nvidia-caps/nvidia-cap%u\n",
                       gpu->minor, mig->gi_cap_minor, mig->ci_cap_minor);
    }
}

char *nvd_render_gpu_info_text(const struct nvd_host *host)
{
    struct nvd_buf raw = {0};

    info_versions(&raw, host);
    for (size_t i = 0; i < host->gpu_count; i++) {
        const struct nvd_gpu *gpu = &host->gpus[i];
        nvd_buf_printf(&raw, "\nDevice #%zu\n", i);
        info_identity(&raw, gpu);
        info_pci(&raw, gpu);
        info_memory(&raw, gpu);
        info_clocks(&raw, gpu);
        info_peers(&raw, gpu);
        info_mig(&raw, gpu);
    }
    line(&raw, "");
    return finish_layout(&raw);
}

/* ---------------------------------------------------------- /gpu/status */

/*
 * Append power and temperature. The power row shows "<used> / <limit> W"
 * and, as 1.0's template required both values, N/A when either one is
 * unknown, even if the other is known.
 */
static void status_power(struct nvd_buf *b, const struct nvd_gpu *gpu,
                         const struct nvd_gpu_status *st)
{
    row_ratio(b, "  Power:", st->power_w, gpu->power_w, " W");
    row_quantity(b, "  Temperature:", st->temperature_c, " \xc2\xb0" "C"); /* "°C" in UTF-8 */
}

static void status_utilization(struct nvd_buf *b, const struct nvd_gpu_status *st)
{
    line(b, "  Utilization");
    row_quantity(b, "    GPU:", st->util_gpu, " %");
    row_quantity(b, "    Memory:", st->util_memory, " %");
    row_quantity(b, "    Encoder:", st->util_encoder, " %");
    row_quantity(b, "    Decoder:", st->util_decoder, " %");
}

/* Append used memory over the total that CUDA reported, and the ECC counters. */
static void status_memory(struct nvd_buf *b, const struct nvd_gpu *gpu,
                          const struct nvd_gpu_status *st)
{
    line(b, "  Memory");
    row_ratio(b, "    Global:", st->memory_used_mib, gpu->memory_mib, " MiB");
    line(b, "    ECC Errors");
    row_quantity(b, "      L1 Cache:", st->ecc_l1, "");
    row_quantity(b, "      L2 Cache:", st->ecc_l2, "");
    row_quantity(b, "      Global:", st->ecc_global, "");
}

static void status_pci(struct nvd_buf *b, const struct nvd_gpu *gpu,
                       const struct nvd_gpu_status *st)
{
    line(b, "  PCI");
    row_ratio(b, "    BAR1:", st->bar1_used_mib, gpu->bar1_mib, " MiB");
    line(b, "    Throughput");
    row_quantity(b, "      RX:", st->pcie_rx_mbs, " MB/s");
    row_quantity(b, "      TX:", st->pcie_tx_mbs, " MB/s");
}

static void status_clocks(struct nvd_buf *b, const struct nvd_gpu_status *st)
{
    line(b, "  Clocks");
    row_quantity(b, "    Cores:", st->clock_cores_mhz, " MHz");
    row_quantity(b, "    Memory:", st->clock_memory_mhz, " MHz");
}

/*
 * Append the processes. Without any, "Processes:  None" is a row that
 * joins the Clocks group. Otherwise the rows of all processes form one group.
 */
static void status_processes(struct nvd_buf *b, const struct nvd_gpu_status *st)
{
    if (st->process_count == 0) {
        row_text(b, "  Processes:", "None");
        return;
    }
    line(b, "  Processes");
    for (size_t i = 0; i < st->process_count; i++) {
        const struct nvd_process *p = &st->processes[i];
        row_quantity(b, "    - PID:", p->pid, "");
        /* 1.0's name is a plain string, printed even when empty. */
        row_label(b, "      Name:");
        nvd_buf_puts(b, p->name);
        nvd_buf_puts(b, "\n");
        row_quantity(b, "      Memory:", p->memory_mib, " MiB");
    }
}

/* Append the memory use of each MIG device of a GPU in MIG mode, as info_mig lists them. */
static void status_mig(struct nvd_buf *b, const struct nvd_gpu *gpu,
                       const struct nvd_gpu_status *st)
{
    if (!mig_list_start(b, gpu))
        return;
    for (size_t i = 0; i < gpu->mig_count; i++) {
        const struct nvd_mig_device *mig = &gpu->migs[i];
        mig_identity(b, gpu, mig);
        row_ratio(b, "      Memory:", i < st->mig_count ? st->mig_memory_used_mib[i] : NVD_UNKNOWN,
                  mig->memory_mib, " MiB");
    }
}

char *nvd_render_gpu_status_text(const struct nvd_host *host,
                                 const struct nvd_gpu_status *status)
{
    struct nvd_buf raw = {0};

    for (size_t i = 0; i < host->gpu_count; i++) {
        const struct nvd_gpu *gpu = &host->gpus[i];
        const struct nvd_gpu_status *st = &status[i];
        nvd_buf_printf(&raw, "\nDevice #%zu\n", i);
        status_power(&raw, gpu, st);
        status_utilization(&raw, st);
        status_memory(&raw, gpu, st);
        status_pci(&raw, gpu, st);
        status_clocks(&raw, st);
        status_processes(&raw, st);
        status_mig(&raw, gpu, st);
    }
    line(&raw, "");
    return finish_layout(&raw);
}
