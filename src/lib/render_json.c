/*
 * render_json.c: the REST API's docker arguments and its JSON replies
 * (/docker/cli/json, /gpu/info/json, /gpu/status/json), rendered byte for
 * byte as nvidia-docker 1.0 did. The JSON string writer escapes exactly as
 * Go's encoding/json does, so the same input gives the same bytes as 1.0.
 * A value that the driver does not report (NVD_UNKNOWN, an empty string)
 * is null.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"
#include "util.h"

/* Room for one --device argument: two copies of a path plus the prefix. */
#define DEVICE_ARG_MAX (2 * PATH_MAX + 32)
#define DEVICE_ARG_PREFIX "--device="

/* Whether Go's encoding/json writes byte c unescaped inside a string. */
static bool json_byte_is_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' &&
           c != '<' && c != '>' && c != '&';
}

/*
 * Append s to b as a JSON string literal, quotes included, escaped as Go's
 * encoding/json does with HTML escaping on: \" \\ \n \r \t, other control
 * characters and < > & as \u00XX, U+2028 and U+2029 as \u2028 and \u2029,
 * and each byte of invalid UTF-8 as \ufffd.
 */
static void json_append_string(struct nvd_buf *b, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    size_t i = 0;

    nvd_buf_append(b, "\"", 1);
    while (i < n) {
        size_t run = i;
        while (run < n && json_byte_is_plain(s[run]))
            run++;
        if (run > i) {
            nvd_buf_append(b, (const char *)s + i, run - i);
            i = run;
            continue;
        }

        unsigned char c = s[i];
        if (c < 0x80) {
            char esc[6] = {'\\', 0, 0, 0, 0, 0};
            size_t esc_len = 2;
            switch (c) {
            case '"':  esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 0xf];
                esc_len = 6;
                break;
            }
            nvd_buf_append(b, esc, esc_len);
            i++;
            continue;
        }

        size_t len = nvd_utf8_sequence_length(s + i, n - i);
        if (len == 0) {
            nvd_buf_append(b, "\\ufffd", 6);
            i++;
        } else if (len == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
            nvd_buf_append(b, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
            i += 3;
        } else {
            nvd_buf_append(b, (const char *)s + i, len);
            i += len;
        }
    }
    nvd_buf_append(b, "\"", 1);
}

char *nvd_json_quote(const char *s)
{
    struct nvd_buf b = {0};

    json_append_string(&b, s);
    return nvd_buf_steal(&b);
}

/* Append a string value, or null when s is NULL or empty. */
static void json_append_string_or_null(struct nvd_buf *b, const char *s)
{
    if (s && *s)
        json_append_string(b, s);
    else
        nvd_buf_puts(b, "null");
}

static const char *args_dev_root(const struct nvd_docker_args *args)
{
    return args->dev_root && *args->dev_root ? args->dev_root : "/";
}

/* Append "<volume>:/usr/local/nvidia:ro" for one volume name. */
static void append_volume_spec(struct nvd_buf *b, const char *volume)
{
    nvd_buf_puts(b, volume);
    nvd_buf_puts(b, ":" NVD_MOUNT_POINT ":ro");
}

char *nvd_render_docker_cli_text(const struct nvd_docker_args *args)
{
    struct nvd_buf b = {0};
    char device_arg[DEVICE_ARG_MAX];

    nvd_buf_puts(&b, "--volume-driver=" NVD_VOLUME_DRIVER);
    for (size_t i = 0; i < args->volume_count; i++) {
        nvd_buf_puts(&b, " --volume=");
        append_volume_spec(&b, args->volumes[i]);
    }
    for (size_t i = 0; i < args->device_count; i++) {
        int len = nvd_format_device_arg(args_dev_root(args), args->devices[i],
                                        device_arg, sizeof(device_arg));
        if (len < 0) {
            nvd_buf_free(&b);
            return NULL;
        }
        nvd_buf_append(&b, " ", 1);
        nvd_buf_append(&b, device_arg, (size_t)len);
    }
    return nvd_buf_steal(&b);
}

char *nvd_render_docker_cli_json(const struct nvd_docker_args *args)
{
    struct nvd_buf b = {0};
    struct nvd_buf spec = {0};
    char device_arg[DEVICE_ARG_MAX];
    const size_t prefix_len = strlen(DEVICE_ARG_PREFIX);

    nvd_buf_puts(&b, "{\"VolumeDriver\":");
    json_append_string(&b, NVD_VOLUME_DRIVER);

    nvd_buf_puts(&b, ",\"Volumes\":[");
    for (size_t i = 0; i < args->volume_count; i++) {
        if (i > 0)
            nvd_buf_append(&b, ",", 1);
        spec.len = 0;
        append_volume_spec(&spec, args->volumes[i]);
        json_append_string(&b, spec.data);
    }
    nvd_buf_free(&spec);

    /* A Devices entry is the --device value: "/dev/X" or "<root>/dev/X:/dev/X". */
    nvd_buf_puts(&b, "],\"Devices\":[");
    for (size_t i = 0; i < args->device_count; i++) {
        int len = nvd_format_device_arg(args_dev_root(args), args->devices[i],
                                        device_arg, sizeof(device_arg));
        if (len < 0 || (size_t)len < prefix_len) {
            nvd_buf_free(&b);
            return NULL;
        }
        if (i > 0)
            nvd_buf_append(&b, ",", 1);
        json_append_string(&b, device_arg + prefix_len);
    }
    nvd_buf_puts(&b, "]}\n");
    return nvd_buf_steal(&b);
}


/* Append a number, or null for NVD_UNKNOWN. */
static void json_append_int_or_null(struct nvd_buf *b, long long value)
{
    if (value == NVD_UNKNOWN)
        nvd_buf_puts(b, "null");
    else
        nvd_buf_printf(b, "%lld", value);
}

/* Append true or false, or null when flag is negative (unknown). */
static void json_append_bool_or_null(struct nvd_buf *b, int flag)
{
    if (flag < 0)
        nvd_buf_puts(b, "null");
    else if (flag)
        nvd_buf_puts(b, "true");
    else
        nvd_buf_puts(b, "false");
}

/* Append ",\"<key>\":" before the value of a key that is not an object's first. */
static void json_key(struct nvd_buf *b, const char *key)
{
    nvd_buf_puts(b, ",\"");
    nvd_buf_puts(b, key);
    nvd_buf_puts(b, "\":");
}

/* ------------------------------------------------------- /gpu/info/json */

/* Append UUID, Path, Model, Power and CPUAffinity, opening the device object. */
static void append_info_identity(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    char path[32];

    snprintf(path, sizeof(path), "/dev/nvidia%u", gpu->minor);
    nvd_buf_puts(b, "{\"UUID\":");
    json_append_string(b, gpu->uuid);
    json_key(b, "Path");
    json_append_string(b, path);
    json_key(b, "Model");
    json_append_string_or_null(b, gpu->name);
    json_key(b, "Power");
    json_append_int_or_null(b, gpu->power_w);
    json_key(b, "CPUAffinity");
    json_append_int_or_null(b, gpu->cpu_affinity);
}

static void append_info_pci_clocks(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    json_key(b, "PCI");
    nvd_buf_puts(b, "{\"BusID\":");
    json_append_string(b, gpu->busid);
    json_key(b, "BAR1");
    json_append_int_or_null(b, gpu->bar1_mib);
    json_key(b, "Bandwidth");
    json_append_int_or_null(b, gpu->pci_bandwidth_mbs);
    nvd_buf_puts(b, "}");

    json_key(b, "Clocks");
    nvd_buf_puts(b, "{\"Cores\":");
    json_append_int_or_null(b, gpu->clock_cores_mhz);
    json_key(b, "Memory");
    json_append_int_or_null(b, gpu->clock_memory_mhz);
    nvd_buf_puts(b, "}");
}

/* Append Topology: null without peers, else each peer's bus id and link code. */
static void append_info_topology(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    json_key(b, "Topology");
    if (gpu->peer_count == 0) {
        nvd_buf_puts(b, "null");
        return;
    }
    nvd_buf_puts(b, "[");
    for (size_t i = 0; i < gpu->peer_count; i++) {
        if (i > 0)
            nvd_buf_puts(b, ",");
        nvd_buf_puts(b, "{\"BusID\":");
        json_append_string(b, gpu->peers[i].busid);
        nvd_buf_printf(b, ",\"Link\":%d}", (int)gpu->peers[i].link);
    }
    nvd_buf_puts(b, "]");
}

/* Append the CUDA properties: Family, Arch, Cores and the Memory object. */
static void append_info_cuda(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    json_key(b, "Family");
    json_append_string_or_null(b, gpu->family);
    json_key(b, "Arch");
    json_append_string_or_null(b, gpu->arch);
    json_key(b, "Cores");
    json_append_int_or_null(b, gpu->cores);

    json_key(b, "Memory");
    nvd_buf_puts(b, "{\"ECC\":");
    json_append_bool_or_null(b, gpu->ecc);
    json_key(b, "Global");
    json_append_int_or_null(b, gpu->memory_mib);
    json_key(b, "Shared");
    json_append_int_or_null(b, gpu->shared_kib);
    json_key(b, "Constant");
    json_append_int_or_null(b, gpu->constant_kib);
    json_key(b, "L2Cache");
    json_append_int_or_null(b, gpu->l2_kib);
    json_key(b, "Bandwidth");
    json_append_int_or_null(b, gpu->memory_bandwidth_mbs);
    nvd_buf_puts(b, "}");
}

/* Open the object of gpu's i-th MIG device with its "ID" ("<gpu>:<mig>") and "UUID". */
static void append_mig_identity(struct nvd_buf *b, const struct nvd_gpu *gpu, size_t i)
{
    if (i > 0)
        nvd_buf_puts(b, ",");
    nvd_buf_printf(b, "{\"ID\":\"%u:%u\"", gpu->index, gpu->migs[i].index);
    json_key(b, "UUID");
    json_append_string(b, gpu->migs[i].uuid);
}

/*
 * Append MIG, for a GPU in MIG mode only: each MIG device with its id
 * "<gpu>:<mig>", UUID, instance ids, profile, memory in MiB and the device
 * nodes a container needs for it besides the control nodes.
 */
static void append_info_mig(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    if (gpu->mig_mode != 1)
        return;
    json_key(b, "MIG");
    nvd_buf_puts(b, "[");
    for (size_t i = 0; i < gpu->mig_count; i++) {
        const struct nvd_mig_device *mig = &gpu->migs[i];
        append_mig_identity(b, gpu, i);
        nvd_buf_printf(b, ",\"GPUInstance\":%u,\"ComputeInstance\":%u", mig->gpu_instance,
                       mig->compute_instance);
        json_key(b, "Profile");
        json_append_string_or_null(b, mig->profile);
        json_key(b, "Memory");
        json_append_int_or_null(b, mig->memory_mib);
        nvd_buf_printf(b, ",\"Paths\":[\"/dev/nvidia%u\",\"/dev/nvidia-caps/nvidia-cap%u\","
                          "\"/dev/nvidia-caps/nvidia-cap%u\"]}",
                       gpu->minor, mig->gi_cap_minor, mig->ci_cap_minor);
    }
    nvd_buf_puts(b, "]");
}

/*
 * Append one device of /gpu/info/json: 1.0's keys in 1.0's order, then
 * the keys that nvd adds (Brand, and MIG for a GPU in MIG mode), last so
 * that 1.0's clients still find every key where they expect it.
 */
static void append_gpu_info(struct nvd_buf *b, const struct nvd_gpu *gpu)
{
    append_info_identity(b, gpu);
    append_info_pci_clocks(b, gpu);
    append_info_topology(b, gpu);
    append_info_cuda(b, gpu);
    json_key(b, "Brand");
    json_append_string_or_null(b, gpu->brand);
    append_info_mig(b, gpu);
    nvd_buf_puts(b, "}");
}

char *nvd_render_gpu_info_json(const struct nvd_host *host)
{
    struct nvd_buf b = {0};

    nvd_buf_puts(&b, "{\"Version\":{\"Driver\":");
    json_append_string(&b, host->driver_version);
    json_key(&b, "CUDA");
    json_append_string_or_null(&b, host->cuda_version);
    nvd_buf_puts(&b, "},\"Devices\":[");
    for (size_t i = 0; i < host->gpu_count; i++) {
        if (i > 0)
            nvd_buf_puts(&b, ",");
        append_gpu_info(&b, &host->gpus[i]);
    }
    nvd_buf_puts(&b, "]}\n");
    return nvd_buf_steal(&b);
}

/* ----------------------------------------------------- /gpu/status/json */

/* Append Power, Temperature and Utilization, opening the device object. */
static void append_status_power(struct nvd_buf *b, const struct nvd_gpu_status *st)
{
    nvd_buf_puts(b, "{\"Power\":");
    json_append_int_or_null(b, st->power_w);
    json_key(b, "Temperature");
    json_append_int_or_null(b, st->temperature_c);

    json_key(b, "Utilization");
    nvd_buf_puts(b, "{\"GPU\":");
    json_append_int_or_null(b, st->util_gpu);
    json_key(b, "Memory");
    json_append_int_or_null(b, st->util_memory);
    json_key(b, "Encoder");
    json_append_int_or_null(b, st->util_encoder);
    json_key(b, "Decoder");
    json_append_int_or_null(b, st->util_decoder);
    nvd_buf_puts(b, "}");
}

static void append_status_memory(struct nvd_buf *b, const struct nvd_gpu_status *st)
{
    json_key(b, "Memory");
    nvd_buf_puts(b, "{\"GlobalUsed\":");
    json_append_int_or_null(b, st->memory_used_mib);
    json_key(b, "ECCErrors");
    nvd_buf_puts(b, "{\"L1Cache\":");
    json_append_int_or_null(b, st->ecc_l1);
    json_key(b, "L2Cache");
    json_append_int_or_null(b, st->ecc_l2);
    json_key(b, "Global");
    json_append_int_or_null(b, st->ecc_global);
    nvd_buf_puts(b, "}}");
}

static void append_status_clocks_pci(struct nvd_buf *b, const struct nvd_gpu_status *st)
{
    json_key(b, "Clocks");
    nvd_buf_puts(b, "{\"Cores\":");
    json_append_int_or_null(b, st->clock_cores_mhz);
    json_key(b, "Memory");
    json_append_int_or_null(b, st->clock_memory_mhz);
    nvd_buf_puts(b, "}");

    json_key(b, "PCI");
    nvd_buf_puts(b, "{\"BAR1Used\":");
    json_append_int_or_null(b, st->bar1_used_mib);
    json_key(b, "Throughput");
    nvd_buf_puts(b, "{\"RX\":");
    json_append_int_or_null(b, st->pcie_rx_mbs);
    json_key(b, "TX");
    json_append_int_or_null(b, st->pcie_tx_mbs);
    nvd_buf_puts(b, "}}");
}

/* Append Processes, which is null when the GPU runs none, as in 1.0. */
static void append_status_processes(struct nvd_buf *b, const struct nvd_gpu_status *st)
{
    json_key(b, "Processes");
    if (st->process_count == 0) {
        nvd_buf_puts(b, "null");
        return;
    }
    nvd_buf_puts(b, "[");
    for (size_t i = 0; i < st->process_count; i++) {
        const struct nvd_process *p = &st->processes[i];
        if (i > 0)
            nvd_buf_puts(b, ",");
        nvd_buf_printf(b, "{\"PID\":%u", p->pid);
        /* 1.0's name is a plain string, so an empty one is "", not null. */
        json_key(b, "Name");
        json_append_string(b, p->name);
        json_key(b, "MemoryUsed");
        json_append_int_or_null(b, p->memory_mib);
        nvd_buf_puts(b, "}");
    }
    nvd_buf_puts(b, "]");
}

/* Append MIG, for a GPU in MIG mode only: each MIG device's id, UUID and memory use. */
static void append_status_mig(struct nvd_buf *b, const struct nvd_gpu *gpu,
                              const struct nvd_gpu_status *st)
{
    if (gpu->mig_mode != 1)
        return;
    json_key(b, "MIG");
    nvd_buf_puts(b, "[");
    for (size_t i = 0; i < gpu->mig_count; i++) {
        append_mig_identity(b, gpu, i);
        nvd_buf_puts(b, ",\"Memory\":{\"GlobalUsed\":");
        json_append_int_or_null(b, i < st->mig_count ? st->mig_memory_used_mib[i] : NVD_UNKNOWN);
        nvd_buf_puts(b, "}}");
    }
    nvd_buf_puts(b, "]");
}

char *nvd_render_gpu_status_json(const struct nvd_host *host,
                                 const struct nvd_gpu_status *status)
{
    struct nvd_buf b = {0};

    nvd_buf_puts(&b, "{\"Devices\":[");
    for (size_t i = 0; i < host->gpu_count; i++) {
        const struct nvd_gpu_status *st = &status[i];
        if (i > 0)
            nvd_buf_puts(&b, ",");
        append_status_power(&b, st);
        append_status_memory(&b, st);
        append_status_clocks_pci(&b, st);
        append_status_processes(&b, st);
        append_status_mig(&b, &host->gpus[i], st);
        nvd_buf_puts(&b, "}");
    }
    nvd_buf_puts(&b, "]}\n");
    return nvd_buf_steal(&b);
}
