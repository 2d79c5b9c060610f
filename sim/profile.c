/*
 * profile.c: reads a JSON simulator profile into a struct sim_blob. Every
 * key must be present (null means "not supported" where a value allows it),
 * unknown keys are rejected so that a misspelt key cannot pass unnoticed,
 * and each error names the file and the field.
 */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include <jansson.h>

#include "cuda_abi.h"
#include "nvml_abi.h"
#include "nvml_brands.h"
#include "profile.h"
#include "util.h"

/* The file being read and where its errors go. */
struct reader {
    const char *file;
    nvd_error **err;
};

/* One numeric member of struct sim_gpu and its JSON key. */
struct number_field {
    const char *key;
    size_t offset;      /* offsetof(struct sim_gpu, member) */
    uint32_t max;
};

static const char *const link_names[] = {
    [0] = "internal", [1] = "single", [2] = "multiple",
    [3] = "hostbridge", [4] = "node", [5] = "system",
};


/* The entry points of each double, which "missing_functions" may name. */
static const char *const nvml_function_names[] = {
#define SIM_FUNCTION_NAME(name, ret, params) #name,
    NVD_NVML_FUNCTIONS(SIM_FUNCTION_NAME)
};
static const char *const cuda_function_names[] = {
    NVD_CUDA_FUNCTIONS(SIM_FUNCTION_NAME)
#undef SIM_FUNCTION_NAME
};

/* Join a field path and a key: ("gpus[1]", "pci") is "gpus[1].pci". */
static char *join_path(const char *path, const char *key)
{
    return path[0] ? nvd_xasprintf("%s.%s", path, key) : nvd_xstrdup(key);
}

/* Fail with "profile FILE: PATH.KEY: <message>" and return -1. */
__attribute__((format(printf, 4, 5)))
static int field_error(const struct reader *r, const char *path, const char *key,
                       const char *fmt, ...)
{
    va_list ap;
    cleanup_free char *message = NULL;
    cleanup_free char *field = join_path(path, key);

    va_start(ap, fmt);
    if (vasprintf(&message, fmt, ap) < 0)
        message = NULL;
    va_end(ap);
    return nvd_error_set(r->err, NVD_ERR_INVALID, "profile %s: %s: %s", r->file, field,
                         message ? message : "invalid value");
}

/* Return a short JSON text of value for messages. The caller frees it. */
static char *describe(const json_t *value)
{
    char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);

    if (!text)
        return nvd_xstrdup("?");
    if (strlen(text) > 60)
        strcpy(text + 57, "...");
    return text;
}

/* Reject keys of obj that are not in known[]. */
static int check_keys(const struct reader *r, json_t *obj, const char *path,
                      const char *const *known, size_t count)
{
    const char *key;
    json_t *value;

    json_object_foreach(obj, key, value) {
        size_t i = 0;
        while (i < count && strcmp(key, known[i]) != 0)
            i++;
        if (i < count)
            continue;

        struct nvd_buf list = { 0 };
        for (size_t j = 0; j < count; j++)
            nvd_buf_printf(&list, "%s%s", j ? ", " : "", known[j]);
        field_error(r, path, key, "unknown key (the keys here are %s)", list.data);
        nvd_buf_free(&list);
        return -1;
    }
    return 0;
}

/* Return the value of key in obj, or fail if the key is missing. */
static json_t *require_key(const struct reader *r, json_t *obj, const char *path,
                           const char *key)
{
    json_t *value = json_object_get(obj, key);

    if (!value)
        field_error(r, path, key, "missing key: give a value, or null where the value is not supported");
    return value;
}

/* Read an integer from 0 to max, or null (SIM_UNSUPPORTED) when nullable. */
static int read_u32(const struct reader *r, json_t *obj, const char *path, const char *key,
                    uint32_t max, bool nullable, uint32_t *out)
{
    json_t *value = require_key(r, obj, path, key);

    if (!value)
        return -1;
    if (nullable && json_is_null(value)) {
        *out = SIM_UNSUPPORTED;
        return 0;
    }
    if (!json_is_integer(value) || json_integer_value(value) < 0 ||
        json_integer_value(value) > (json_int_t)max) {
        cleanup_free char *text = describe(value);
        return field_error(r, path, key, "expected an integer from 0 to %u%s, got %s",
                           (unsigned)max, nullable ? " or null" : "", text);
    }
    *out = (uint32_t)json_integer_value(value);
    return 0;
}

/* Read true or false as 1 or 0, or null as SIM_UNSUPPORTED. */
static int read_bool(const struct reader *r, json_t *obj, const char *path, const char *key,
                     uint32_t *out)
{
    json_t *value = require_key(r, obj, path, key);

    if (!value)
        return -1;
    if (json_is_null(value)) {
        *out = SIM_UNSUPPORTED;
        return 0;
    }
    if (!json_is_boolean(value)) {
        cleanup_free char *text = describe(value);
        return field_error(r, path, key, "expected true, false or null, got %s", text);
    }
    *out = json_is_true(value) ? 1 : 0;
    return 0;
}

/* Read a non-empty string shorter than size into out, or null as "" when nullable. */
static int read_string(const struct reader *r, json_t *obj, const char *path, const char *key,
                       size_t size, bool nullable, char *out)
{
    json_t *value = require_key(r, obj, path, key);

    if (!value)
        return -1;
    if (nullable && json_is_null(value)) {
        out[0] = '\0';
        return 0;
    }
    if (!json_is_string(value) || json_string_length(value) == 0 ||
        json_string_length(value) >= size ||
        strlen(json_string_value(value)) != json_string_length(value)) {
        cleanup_free char *text = describe(value);
        return field_error(r, path, key, "expected a non-empty string of at most %zu bytes%s, got %s",
                           size - 1, nullable ? " or null" : "", text);
    }
    memcpy(out, json_string_value(value), json_string_length(value) + 1);
    return 0;
}

/* Parse exactly len hex digits of s into *out. */
static bool parse_hex(const char *s, size_t len, uint32_t *out)
{
    uint32_t value = 0;

    if (len == 0 || len > 8)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
        value = value << 4 | (uint32_t)(isdigit((unsigned char)s[i])
                                            ? s[i] - '0'
                                            : tolower((unsigned char)s[i]) - 'a' + 10);
    }
    *out = value;
    return true;
}

/* A PCI address as NVML reports it. */
struct pci_address {
    uint32_t domain, bus, device;
};

/*
 * Parse a GPU's PCI bus id, "DDDD:BB:DD.0" or "DDDDDDDD:BB:DD.0" in hex. GPUs
 * are function 0 of their device, so any other function is rejected.
 */
static bool parse_bus_id(const char *text, struct pci_address *address)
{
    const char *colon = strchr(text, ':');
    size_t domain_len = colon ? (size_t)(colon - text) : 0;

    if (!colon || (domain_len != 4 && domain_len != 8) ||
        strlen(colon) != strlen(":BB:DD.0") || colon[3] != ':' || colon[6] != '.' ||
        colon[7] != '0')
        return false;
    return parse_hex(text, domain_len, &address->domain) &&
           parse_hex(colon + 1, 2, &address->bus) &&
           parse_hex(colon + 4, 2, &address->device) && address->device <= 0x1f;
}

/* Read a PCI bus id string into address. */
static int read_bus_id(const struct reader *r, json_t *obj, const char *path, const char *key,
                       struct pci_address *address)
{
    json_t *value = require_key(r, obj, path, key);

    if (!value)
        return -1;
    if (!json_is_string(value) || !parse_bus_id(json_string_value(value), address)) {
        cleanup_free char *text = describe(value);
        return field_error(r, path, key,
                           "expected a PCI bus id of function 0 like \"0000:05:00.0\", got %s", text);
    }
    return 0;
}

/* Read a 32-bit PCI id written as a hex string ("0x102d10de"), or null. */
static int read_pci_id(const struct reader *r, json_t *obj, const char *path, const char *key,
                       uint32_t *out)
{
    json_t *value = require_key(r, obj, path, key);

    if (!value)
        return -1;
    if (json_is_null(value)) {
        *out = SIM_UNSUPPORTED;
        return 0;
    }

    const char *text = json_is_string(value) ? json_string_value(value) : "";
    if (strncmp(text, "0x", 2) != 0 || !parse_hex(text + 2, strlen(text + 2), out) ||
        *out == SIM_UNSUPPORTED) {
        cleanup_free char *value_text = describe(value);
        return field_error(r, path, key,
                           "expected a hex string like \"0x102d10de\" (device << 16 | vendor) or null, got %s",
                           value_text);
    }
    return 0;
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Return the index of name in names[count], or -1. */
static int find_name(const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++) {
        if (names[i] && strcmp(names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

enum sim_library sim_function_library(const char *name)
{
    if (find_name(nvml_function_names, COUNT(nvml_function_names), name) >= 0)
        return SIM_LIBRARY_NVML;
    if (find_name(cuda_function_names, COUNT(cuda_function_names), name) >= 0)
        return SIM_LIBRARY_CUDA;
    return SIM_LIBRARY_NONE;
}

/* Read a brand name of nvml_brand_names[] as its NVML value, or null as SIM_UNSUPPORTED. */
static int read_brand(const struct reader *r, json_t *obj, const char *path, uint32_t *out)
{
    char brand[48];
    int value;

    if (read_string(r, obj, path, "brand", sizeof(brand), true, brand) != 0)
        return -1;
    if (!brand[0]) {
        *out = SIM_UNSUPPORTED;
        return 0;
    }
    value = find_name(nvml_brand_names, COUNT(nvml_brand_names), brand);
    if (value < 0)
        return field_error(r, path, "brand",
                           "expected an NVML brand such as \"Tesla\", \"GeForce\" or \"NVIDIA\", or null, got \"%s\"",
                           brand);
    *out = (uint32_t)value;
    return 0;
}

/*
 * Read gpus[i].nvml_error: null, or the NVML device function that fails
 * on this GPU and the nvmlReturn_t value it returns.
 */
static int read_nvml_error(const struct reader *r, json_t *obj, const char *path,
                           struct sim_gpu *gpu)
{
    static const char *const known[] = { "function", "return" };
    json_t *fault = require_key(r, obj, path, "nvml_error");

    if (!fault)
        return -1;
    if (json_is_null(fault))
        return 0;
    if (!json_is_object(fault))
        return field_error(r, path, "nvml_error", "expected an object or null");

    cleanup_free char *fault_path = join_path(path, "nvml_error");
    if (check_keys(r, fault, fault_path, known, COUNT(known)) != 0 ||
        read_string(r, fault, fault_path, "function", sizeof(gpu->nvml_error_function), false,
                    gpu->nvml_error_function) != 0 ||
        read_u32(r, fault, fault_path, "return", NVML_ERROR_UNKNOWN, false,
                 &gpu->nvml_error_return) != 0)
        return -1;
    if (strncmp(gpu->nvml_error_function, "nvmlDevice", 10) != 0 ||
        sim_function_library(gpu->nvml_error_function) != SIM_LIBRARY_NVML)
        return field_error(r, fault_path, "function",
                           "expected an NVML function of nvml_abi.h that takes a device, like \"nvmlDeviceGetPowerUsage\", got \"%s\"",
                           gpu->nvml_error_function);
    if (gpu->nvml_error_return == NVML_SUCCESS)
        return field_error(r, fault_path, "return", "expected an NVML error code, not 0 (NVML_SUCCESS)");
    return 0;
}

/* Store value in the uint32_t member of gpu at offset. */
static void set_member(struct sim_gpu *gpu, size_t offset, uint32_t value)
{
    memcpy((char *)gpu + offset, &value, sizeof(value));
}

/*
 * Read the object at obj[key] whose keys are exactly fields[], each an
 * integer or null. A null object sets every member to SIM_UNSUPPORTED.
 */
static int read_number_group(const struct reader *r, json_t *obj, const char *path,
                             const char *key, const struct number_field *fields, size_t count,
                             bool nullable, struct sim_gpu *gpu)
{
    json_t *group = require_key(r, obj, path, key);

    if (!group)
        return -1;
    if (nullable && json_is_null(group)) {
        for (size_t i = 0; i < count; i++)
            set_member(gpu, fields[i].offset, SIM_UNSUPPORTED);
        return 0;
    }
    if (!json_is_object(group)) {
        cleanup_free char *text = describe(group);
        return field_error(r, path, key, "expected an object%s, got %s",
                           nullable ? " or null" : "", text);
    }

    cleanup_free char *group_path = join_path(path, key);
    const char *known[16];
    for (size_t i = 0; i < count; i++)
        known[i] = fields[i].key;
    if (check_keys(r, group, group_path, known, count) != 0)
        return -1;

    for (size_t i = 0; i < count; i++) {
        uint32_t value;
        if (read_u32(r, group, group_path, fields[i].key, fields[i].max, true, &value) != 0)
            return -1;
        set_member(gpu, fields[i].offset, value);
    }
    return 0;
}

#define FIELD(key, member, max) { key, offsetof(struct sim_gpu, member), max }

/* Values below SIM_UNSUPPORTED, which marks "not supported". */
#define ANY_U32 (UINT32_MAX - 1)

static const struct number_field max_clock_fields[] = {
    FIELD("sm", max_clock_sm_mhz, ANY_U32),
    FIELD("memory", max_clock_memory_mhz, ANY_U32),
};

static const struct number_field utilization_fields[] = {
    FIELD("gpu", utilization_gpu_percent, 100),
    FIELD("memory", utilization_memory_percent, 100),
    FIELD("encoder", utilization_encoder_percent, 100),
    FIELD("decoder", utilization_decoder_percent, 100),
};

static const struct number_field ecc_error_fields[] = {
    FIELD("l1_cache", ecc_errors_l1_cache, ANY_U32),
    FIELD("l2_cache", ecc_errors_l2_cache, ANY_U32),
    FIELD("device_memory", ecc_errors_device_memory, ANY_U32),
};

static const struct number_field clock_fields[] = {
    FIELD("sm", clock_sm_mhz, ANY_U32),
    FIELD("memory", clock_memory_mhz, ANY_U32),
};

static const struct number_field throughput_fields[] = {
    FIELD("rx", pcie_rx_kb_per_s, ANY_U32),
    FIELD("tx", pcie_tx_kb_per_s, ANY_U32),
};

/* Read gpus[i].pci. */
static int read_pci(const struct reader *r, json_t *obj, const char *path, struct sim_gpu *gpu)
{
    static const char *const known[] = {
        "bus_id", "device_id", "subsystem_id", "max_link_generation", "max_link_width",
        "bar1_total_mib",
    };
    json_t *pci = require_key(r, obj, path, "pci");

    if (!pci)
        return -1;
    if (!json_is_object(pci))
        return field_error(r, path, "pci", "expected an object");

    cleanup_free char *pci_path = join_path(path, "pci");
    struct pci_address address;
    if (check_keys(r, pci, pci_path, known, COUNT(known)) != 0 ||
        read_bus_id(r, pci, pci_path, "bus_id", &address) != 0 ||
        read_pci_id(r, pci, pci_path, "device_id", &gpu->pci_device_id) != 0 ||
        read_pci_id(r, pci, pci_path, "subsystem_id", &gpu->pci_subsystem_id) != 0 ||
        read_u32(r, pci, pci_path, "max_link_generation", 6, true,
                 &gpu->pcie_max_link_generation) != 0 ||
        read_u32(r, pci, pci_path, "max_link_width", 32, true, &gpu->pcie_max_link_width) != 0 ||
        read_u32(r, pci, pci_path, "bar1_total_mib", ANY_U32, true, &gpu->bar1_total_mib) != 0)
        return -1;

    gpu->pci_domain = address.domain;
    gpu->pci_bus = address.bus;
    gpu->pci_device = address.device;
    return 0;
}

/* Read gpus[i].cuda, the CUDA device properties. A null object makes all unsupported. */
static int read_cuda(const struct reader *r, json_t *obj, const char *path, struct sim_gpu *gpu)
{
    static const char *const known[] = {
        "compute_capability", "multiprocessor_count", "shared_memory_per_multiprocessor_kib",
        "constant_memory_kib", "l2_cache_kib", "memory_clock_mhz", "memory_bus_width_bits",
    };
    static const struct number_field fields[] = {
        FIELD("multiprocessor_count", multiprocessor_count, ANY_U32),
        FIELD("shared_memory_per_multiprocessor_kib", shared_memory_per_multiprocessor_kib, ANY_U32),
        FIELD("constant_memory_kib", constant_memory_kib, ANY_U32),
        FIELD("l2_cache_kib", l2_cache_kib, ANY_U32),
        FIELD("memory_clock_mhz", memory_clock_mhz, ANY_U32),
        FIELD("memory_bus_width_bits", memory_bus_width_bits, ANY_U32),
    };
    json_t *cuda = require_key(r, obj, path, "cuda");

    if (!cuda)
        return -1;
    if (json_is_null(cuda)) {
        gpu->compute_capability_major = SIM_UNSUPPORTED;
        gpu->compute_capability_minor = SIM_UNSUPPORTED;
        for (size_t i = 0; i < COUNT(fields); i++)
            set_member(gpu, fields[i].offset, SIM_UNSUPPORTED);
        return 0;
    }
    if (!json_is_object(cuda))
        return field_error(r, path, "cuda", "expected an object or null");

    cleanup_free char *cuda_path = join_path(path, "cuda");
    if (check_keys(r, cuda, cuda_path, known, COUNT(known)) != 0)
        return -1;

    char capability[16];
    unsigned major, minor;
    int end = 0;
    if (read_string(r, cuda, cuda_path, "compute_capability", sizeof(capability), true,
                    capability) != 0)
        return -1;
    if (!capability[0]) {
        gpu->compute_capability_major = SIM_UNSUPPORTED;
        gpu->compute_capability_minor = SIM_UNSUPPORTED;
    } else if (!isdigit((unsigned char)capability[0]) ||
               sscanf(capability, "%2u.%1u%n", &major, &minor, &end) != 2 ||
               capability[end] != '\0') {
        return field_error(r, cuda_path, "compute_capability",
                           "expected \"<major>.<minor>\" like \"3.7\", got \"%s\"", capability);
    } else {
        gpu->compute_capability_major = major;
        gpu->compute_capability_minor = minor;
    }

    for (size_t i = 0; i < COUNT(fields); i++) {
        uint32_t value;
        if (read_u32(r, cuda, cuda_path, fields[i].key, fields[i].max, true, &value) != 0)
            return -1;
        set_member(gpu, fields[i].offset, value);
    }
    return 0;
}

/* Read gpus[i].status.processes: an array, or null for "not supported". */
static int read_processes(const struct reader *r, json_t *status, const char *path,
                          struct sim_gpu *gpu)
{
    static const char *const known[] = { "pid", "name", "used_memory_mib" };
    json_t *processes = require_key(r, status, path, "processes");

    if (!processes)
        return -1;
    if (json_is_null(processes)) {
        gpu->process_count = SIM_UNSUPPORTED;
        return 0;
    }
    if (!json_is_array(processes) || json_array_size(processes) > SIM_MAX_PROCESSES)
        return field_error(r, path, "processes", "expected an array of at most %d processes or null",
                           SIM_MAX_PROCESSES);

    size_t i;
    json_t *entry;
    json_array_foreach(processes, i, entry) {
        cleanup_free char *entry_path = nvd_xasprintf("%s.processes[%zu]", path, i);
        struct sim_process *process = &gpu->processes[i];

        if (!json_is_object(entry))
            return field_error(r, path, "processes", "entry %zu is not an object", i);
        if (check_keys(r, entry, entry_path, known, COUNT(known)) != 0 ||
            read_u32(r, entry, entry_path, "pid", INT32_MAX, false, &process->pid) != 0 ||
            read_string(r, entry, entry_path, "name", sizeof(process->name), true,
                        process->name) != 0 ||
            read_u32(r, entry, entry_path, "used_memory_mib", ANY_U32, true,
                     &process->used_memory_mib) != 0)
            return -1;
        if (process->pid == 0)
            return field_error(r, entry_path, "pid", "expected a process id above 0");
    }
    gpu->process_count = (uint32_t)json_array_size(processes);
    return 0;
}

/* Read gpus[i].status, the values that change while the GPU runs. */
static int read_status(const struct reader *r, json_t *obj, const char *path, struct sim_gpu *gpu)
{
    static const char *const known[] = {
        "power_usage_mw", "temperature_c", "utilization_percent", "memory_used_mib",
        "ecc_errors", "clocks_mhz", "bar1_used_mib", "pcie_throughput_kb_per_s", "processes",
    };
    json_t *status = require_key(r, obj, path, "status");

    if (!status)
        return -1;
    if (!json_is_object(status))
        return field_error(r, path, "status", "expected an object");

    cleanup_free char *status_path = join_path(path, "status");
    if (check_keys(r, status, status_path, known, COUNT(known)) != 0 ||
        read_u32(r, status, status_path, "power_usage_mw", ANY_U32, true, &gpu->power_usage_mw) != 0 ||
        read_u32(r, status, status_path, "temperature_c", 200, true, &gpu->temperature_c) != 0 ||
        read_number_group(r, status, status_path, "utilization_percent", utilization_fields,
                          COUNT(utilization_fields), true, gpu) != 0 ||
        read_u32(r, status, status_path, "memory_used_mib", ANY_U32, true, &gpu->memory_used_mib) != 0 ||
        read_number_group(r, status, status_path, "ecc_errors", ecc_error_fields,
                          COUNT(ecc_error_fields), true, gpu) != 0 ||
        read_number_group(r, status, status_path, "clocks_mhz", clock_fields,
                          COUNT(clock_fields), true, gpu) != 0 ||
        read_u32(r, status, status_path, "bar1_used_mib", ANY_U32, true, &gpu->bar1_used_mib) != 0 ||
        read_number_group(r, status, status_path, "pcie_throughput_kb_per_s", throughput_fields,
                          COUNT(throughput_fields), true, gpu) != 0 ||
        read_processes(r, status, status_path, gpu) != 0)
        return -1;
    return 0;
}

/* Read one entry of gpus[i].mig.devices. */
static int read_mig_device(const struct reader *r, json_t *obj, const char *path,
                           struct sim_mig_device *mig)
{
    static const char *const known[] = {
        "uuid", "profile", "gpu_instance_id", "compute_instance_id", "gpu_instance_slices",
        "compute_instance_slices", "multiprocessor_count", "memory_mib", "memory_used_mib",
    };

    if (!json_is_object(obj))
        return nvd_error_set(r->err, NVD_ERR_INVALID, "profile %s: %s: expected an object",
                             r->file, path);
    /* GPU instance ids go up to 14 and compute instance ids up to 7 on an A100. */
    if (check_keys(r, obj, path, known, COUNT(known)) != 0 ||
        read_string(r, obj, path, "uuid", sizeof(mig->uuid), false, mig->uuid) != 0 ||
        read_string(r, obj, path, "profile", sizeof(mig->profile), false, mig->profile) != 0 ||
        read_u32(r, obj, path, "gpu_instance_id", 14, false, &mig->gpu_instance_id) != 0 ||
        read_u32(r, obj, path, "compute_instance_id", 7, false, &mig->compute_instance_id) != 0 ||
        read_u32(r, obj, path, "gpu_instance_slices", 8, false, &mig->gpu_instance_slices) != 0 ||
        read_u32(r, obj, path, "compute_instance_slices", 8, false,
                 &mig->compute_instance_slices) != 0 ||
        read_u32(r, obj, path, "multiprocessor_count", ANY_U32, false,
                 &mig->multiprocessor_count) != 0 ||
        read_u32(r, obj, path, "memory_mib", ANY_U32, false, &mig->memory_mib) != 0 ||
        read_u32(r, obj, path, "memory_used_mib", ANY_U32, false, &mig->memory_used_mib) != 0)
        return -1;
    if (strncmp(mig->uuid, "MIG-", 4) != 0)
        return field_error(r, path, "uuid", "expected a UUID starting with \"MIG-\", got \"%s\"",
                           mig->uuid);
    if (mig->compute_instance_slices == 0 || mig->gpu_instance_slices == 0 ||
        mig->compute_instance_slices > mig->gpu_instance_slices)
        return field_error(r, path, "compute_instance_slices",
                           "expected from 1 to gpu_instance_slices (%u)",
                           (unsigned)mig->gpu_instance_slices);

    /* The name that nvidia-smi gives these slices and this memory, rounded up to GiB. */
    char expected[SIM_MIG_PROFILE_SIZE + 32];
    unsigned gb = (unsigned)((mig->memory_mib + 1023ull) / 1024);
    if (mig->compute_instance_slices < mig->gpu_instance_slices)
        snprintf(expected, sizeof(expected), "%uc.%ug.%ugb", (unsigned)mig->compute_instance_slices,
                 (unsigned)mig->gpu_instance_slices, gb);
    else
        snprintf(expected, sizeof(expected), "%ug.%ugb", (unsigned)mig->gpu_instance_slices, gb);
    if (strcmp(expected, mig->profile) != 0)
        return field_error(r, path, "profile", "expected \"%s\" for these slices and memory, got \"%s\"",
                           expected, mig->profile);
    return 0;
}

/*
 * Read gpus[i].mig, the one optional key of a GPU: missing or null for a
 * GPU that is not MIG capable, else its mode and MIG devices in NVML order.
 */
static int read_mig(const struct reader *r, json_t *obj, const char *path, struct sim_gpu *gpu)
{
    static const char *const known[] = { "mode", "devices" };
    json_t *mig = json_object_get(obj, "mig");

    gpu->mig_mode = SIM_UNSUPPORTED;
    if (!mig || json_is_null(mig))
        return 0;
    if (!json_is_object(mig))
        return field_error(r, path, "mig", "expected an object or null");

    cleanup_free char *mig_path = join_path(path, "mig");
    json_t *mode = require_key(r, mig, mig_path, "mode");
    json_t *devices = require_key(r, mig, mig_path, "devices");
    if (check_keys(r, mig, mig_path, known, COUNT(known)) != 0 || !mode || !devices)
        return -1;
    if (json_is_string(mode) && strcmp(json_string_value(mode), "enabled") == 0)
        gpu->mig_mode = SIM_MIG_ENABLED;
    else if (json_is_string(mode) && strcmp(json_string_value(mode), "disabled") == 0)
        gpu->mig_mode = SIM_MIG_DISABLED;
    else
        return field_error(r, mig_path, "mode", "expected \"enabled\" or \"disabled\"");

    size_t max = gpu->mig_mode == SIM_MIG_ENABLED ? SIM_MAX_MIG_DEVICES : 0;
    if (!json_is_array(devices) || json_array_size(devices) > max)
        return field_error(r, mig_path, "devices",
                           "expected an array of at most %zu MIG devices (none while MIG is disabled)",
                           max);

    size_t i;
    json_t *entry;
    json_array_foreach(devices, i, entry) {
        cleanup_free char *entry_path = nvd_xasprintf("%s.devices[%zu]", mig_path, i);
        struct sim_mig_device *device = &gpu->mig_devices[i];

        if (read_mig_device(r, entry, entry_path, device) != 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            const struct sim_mig_device *other = &gpu->mig_devices[j];
            if (other->gpu_instance_id == device->gpu_instance_id &&
                other->compute_instance_id == device->compute_instance_id)
                return field_error(r, entry_path, "compute_instance_id",
                                   "same GPU and compute instance as devices[%zu]", j);
        }
        gpu->mig_device_count = (uint32_t)i + 1;
    }
    return 0;
}

/* Read one entry of "gpus", all but its peers. */
static int read_gpu(const struct reader *r, json_t *obj, const char *path, struct sim_gpu *gpu)
{
    static const char *const known[] = {
        "name", "brand", "uuid", "minor", "pci", "memory_total_mib", "power_limit_mw",
        "max_clocks_mhz", "ecc_enabled", "cuda", "peers", "status", "nvml_error", "mig",
    };

    if (!json_is_object(obj))
        return nvd_error_set(r->err, NVD_ERR_INVALID, "profile %s: %s: expected an object",
                             r->file, path);
    if (check_keys(r, obj, path, known, COUNT(known)) != 0 ||
        read_string(r, obj, path, "name", sizeof(gpu->name), true, gpu->name) != 0 ||
        read_brand(r, obj, path, &gpu->brand) != 0 ||
        read_string(r, obj, path, "uuid", sizeof(gpu->uuid), false, gpu->uuid) != 0 ||
        read_u32(r, obj, path, "minor", 254, false, &gpu->minor) != 0 ||
        read_pci(r, obj, path, gpu) != 0 ||
        read_u32(r, obj, path, "memory_total_mib", ANY_U32, true, &gpu->memory_total_mib) != 0 ||
        read_u32(r, obj, path, "power_limit_mw", ANY_U32, true, &gpu->power_limit_mw) != 0 ||
        read_number_group(r, obj, path, "max_clocks_mhz", max_clock_fields,
                          COUNT(max_clock_fields), true, gpu) != 0 ||
        read_bool(r, obj, path, "ecc_enabled", &gpu->ecc_enabled) != 0 ||
        read_cuda(r, obj, path, gpu) != 0 ||
        read_status(r, obj, path, gpu) != 0 ||
        read_nvml_error(r, obj, path, gpu) != 0 ||
        read_mig(r, obj, path, gpu) != 0)
        return -1;

    if (strncmp(gpu->uuid, "GPU-", 4) != 0)
        return field_error(r, path, "uuid", "expected a UUID starting with \"GPU-\", got \"%s\"",
                           gpu->uuid);
    return 0;
}

/* Return the index of the GPU at address, or -1. */
static int find_gpu(const struct sim_blob *blob, const struct pci_address *address)
{
    for (uint32_t i = 0; i < blob->gpu_count; i++) {
        const struct sim_gpu *gpu = &blob->gpus[i];
        if (gpu->pci_domain == address->domain && gpu->pci_bus == address->bus &&
            gpu->pci_device == address->device)
            return (int)i;
    }
    return -1;
}

/* Read gpus[index].peers once every GPU's bus id is known. */
static int read_peers(const struct reader *r, json_t *obj, const char *path,
                      struct sim_blob *blob, uint32_t index)
{
    static const char *const known[] = { "bus_id", "link" };
    struct sim_gpu *gpu = &blob->gpus[index];
    json_t *peers = require_key(r, obj, path, "peers");

    if (!peers)
        return -1;
    if (json_is_null(peers)) {
        gpu->peer_count = SIM_UNSUPPORTED;
        return 0;
    }
    if (!json_is_array(peers))
        return field_error(r, path, "peers", "expected an array or null");

    size_t i;
    json_t *entry;
    json_array_foreach(peers, i, entry) {
        cleanup_free char *entry_path = nvd_xasprintf("%s.peers[%zu]", path, i);
        struct pci_address address;
        char link[16];

        if (!json_is_object(entry))
            return field_error(r, path, "peers", "entry %zu is not an object", i);
        if (check_keys(r, entry, entry_path, known, COUNT(known)) != 0 ||
            read_bus_id(r, entry, entry_path, "bus_id", &address) != 0 ||
            read_string(r, entry, entry_path, "link", sizeof(link), true, link) != 0)
            return -1;

        int peer = find_gpu(blob, &address);
        if (peer < 0 || (uint32_t)peer == index)
            return field_error(r, entry_path, "bus_id", "expected the bus id of another GPU of this profile");
        for (uint32_t j = 0; j < gpu->peer_count; j++) {
            if (gpu->peers[j].gpu == (uint32_t)peer)
                return field_error(r, entry_path, "bus_id", "this GPU is already listed as a peer");
        }

        /* null: the GPUs are peers, but NVML has no topology level for them. */
        int level = link[0] ? find_name(link_names, COUNT(link_names), link) : -1;
        if (link[0] && level < 0)
            return field_error(r, entry_path, "link",
                               "expected internal, single, multiple, hostbridge, node, system or null, got \"%s\"",
                               link);

        gpu->peers[gpu->peer_count].gpu = (uint32_t)peer;
        gpu->peers[gpu->peer_count].link = level < 0 ? SIM_UNSUPPORTED : (uint32_t)(level * 10);
        gpu->peer_count++;
    }
    return 0;
}

/* Return the link from gpu a to gpu b, or SIM_UNSUPPORTED if b is not a peer of a. */
static uint32_t peer_link(const struct sim_blob *blob, uint32_t a, uint32_t b)
{
    const struct sim_gpu *gpu = &blob->gpus[a];

    if (gpu->peer_count == SIM_UNSUPPORTED)
        return SIM_UNSUPPORTED;
    for (uint32_t i = 0; i < gpu->peer_count; i++) {
        if (gpu->peers[i].gpu == b)
            return gpu->peers[i].link;
    }
    return SIM_UNSUPPORTED;
}

/* Check that the MIG device UUIDs of GPU g differ from those of every GPU up to g. */
static int check_mig_uuids(const struct reader *r, const struct sim_blob *blob, uint32_t g)
{
    const struct sim_gpu *gpu = &blob->gpus[g];

    for (uint32_t m = 0; m < gpu->mig_device_count; m++) {
        const char *uuid = gpu->mig_devices[m].uuid;
        for (uint32_t h = 0; h <= g; h++) {
            const struct sim_gpu *other = &blob->gpus[h];
            uint32_t end = h == g ? m : other->mig_device_count;
            for (uint32_t n = 0; n < end; n++) {
                if (strcmp(uuid, other->mig_devices[n].uuid) != 0)
                    continue;
                cleanup_free char *path = nvd_xasprintf("gpus[%u].mig.devices[%u]",
                                                        (unsigned)g, (unsigned)m);
                return field_error(r, path, "uuid", "same UUID as gpus[%u].mig.devices[%u]",
                                   (unsigned)h, (unsigned)n);
            }
        }
    }
    return 0;
}

/* Check that GPUs are unique and that every peer link is listed on both ends alike. */
static int check_gpus(const struct reader *r, const struct sim_blob *blob)
{
    for (uint32_t i = 0; i < blob->gpu_count; i++) {
        const struct sim_gpu *gpu = &blob->gpus[i];
        cleanup_free char *path = nvd_xasprintf("gpus[%u]", (unsigned)i);

        for (uint32_t j = 0; j < i; j++) {
            const struct sim_gpu *other = &blob->gpus[j];
            if (strcmp(gpu->uuid, other->uuid) == 0)
                return field_error(r, path, "uuid", "same UUID as gpus[%u]", (unsigned)j);
            if (gpu->minor == other->minor)
                return field_error(r, path, "minor", "same minor number as gpus[%u]", (unsigned)j);
            if (gpu->pci_domain == other->pci_domain && gpu->pci_bus == other->pci_bus &&
                gpu->pci_device == other->pci_device)
                return field_error(r, path, "pci.bus_id", "same bus id as gpus[%u]", (unsigned)j);
        }
        if (check_mig_uuids(r, blob, i) != 0)
            return -1;
        if (gpu->peer_count == SIM_UNSUPPORTED)
            continue;
        for (uint32_t k = 0; k < gpu->peer_count; k++) {
            uint32_t peer = gpu->peers[k].gpu;
            if (peer_link(blob, peer, i) != gpu->peers[k].link)
                return field_error(r, path, "peers",
                                   "gpus[%u] must list this GPU as a peer with the same link",
                                   (unsigned)peer);
        }
    }
    return 0;
}

/* Convert "M.m" to CUDA's integer form M * 1000 + m * 10. */
static int read_cuda_version(const struct reader *r, json_t *root, uint32_t *out)
{
    char text[16];
    unsigned major, minor;
    int end = 0;

    if (read_string(r, root, "", "cuda_version", sizeof(text), false, text) != 0)
        return -1;
    if (!isdigit((unsigned char)text[0]) || sscanf(text, "%3u.%1u%n", &major, &minor, &end) != 2 ||
        text[end] != '\0' || major == 0)
        return field_error(r, "", "cuda_version",
                           "expected \"<major>.<minor>\" with a one-digit minor, like \"12.4\", got \"%s\"",
                           text);
    *out = major * 1000 + minor * 10;
    return 0;
}

int sim_validate_driver_version(const char *version, nvd_error **err)
{
    size_t len = strlen(version);
    bool valid = len > 0 && version[0] != '.' && version[len - 1] != '.' && !strstr(version, "..");

    for (size_t i = 0; valid && i < len; i++)
        valid = isdigit((unsigned char)version[i]) || version[i] == '.';
    if (!valid)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid driver version '%s': use digits and dots, e.g. 550.54.15", version);
    if (len >= SIM_VERSION_SIZE)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "invalid driver version '%s': use at most %d characters", version,
                             SIM_VERSION_SIZE - 1);
    return 0;
}

/* Read "missing_functions", the entry points that the simulated driver lacks. */
static int read_missing_functions(const struct reader *r, json_t *root, struct sim_blob *blob)
{
    json_t *names = require_key(r, root, "", "missing_functions");

    if (!names)
        return -1;
    if (!json_is_array(names) || json_array_size(names) > SIM_MAX_MISSING_FUNCTIONS)
        return field_error(r, "", "missing_functions",
                           "expected an array of at most %d NVML or CUDA function names",
                           SIM_MAX_MISSING_FUNCTIONS);

    size_t i;
    json_t *entry;
    json_array_foreach(names, i, entry) {
        const char *name = json_is_string(entry) ? json_string_value(entry) : "";

        if (sim_function_library(name) == SIM_LIBRARY_NONE) {
            cleanup_free char *text = describe(entry);
            return field_error(r, "", "missing_functions",
                               "entry %zu: expected the name of an entry point of nvml_abi.h or cuda_abi.h, got %s",
                               i, text);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(blob->missing_functions[j], name) == 0)
                return field_error(r, "", "missing_functions", "entry %zu: %s is listed twice", i, name);
        }
        snprintf(blob->missing_functions[i], sizeof(blob->missing_functions[i]), "%s", name);
    }
    blob->missing_function_count = (uint32_t)json_array_size(names);
    return 0;
}

/* Read the whole document root into blob. */
static int read_profile(const struct reader *r, json_t *root, struct sim_blob *blob)
{
    static const char *const known[] = {
        "description", "driver_version", "cuda_version", "missing_functions", "gpus",
    };

    if (!json_is_object(root))
        return nvd_error_set(r->err, NVD_ERR_INVALID, "profile %s: expected a JSON object", r->file);
    if (check_keys(r, root, "", known, COUNT(known)) != 0)
        return -1;

    json_t *description = json_object_get(root, "description");
    if (description && !json_is_string(description))
        return field_error(r, "", "description", "expected a string");

    if (read_string(r, root, "", "driver_version", sizeof(blob->driver_version), false,
                    blob->driver_version) != 0)
        return -1;
    nvd_error *version_error = NULL;
    if (sim_validate_driver_version(blob->driver_version, &version_error) != 0) {
        field_error(r, "", "driver_version", "%s", version_error->msg);
        nvd_error_free(version_error);
        return -1;
    }
    if (read_cuda_version(r, root, &blob->cuda_version) != 0)
        return -1;

    json_t *gpus = require_key(r, root, "", "gpus");
    if (!gpus)
        return -1;
    if (!json_is_array(gpus) || json_array_size(gpus) > SIM_MAX_GPUS)
        return field_error(r, "", "gpus", "expected an array of at most %d GPUs", SIM_MAX_GPUS);

    size_t i;
    json_t *entry;
    json_array_foreach(gpus, i, entry) {
        cleanup_free char *path = nvd_xasprintf("gpus[%zu]", i);
        if (read_gpu(r, entry, path, &blob->gpus[i]) != 0)
            return -1;
        blob->gpu_count = (uint32_t)i + 1;
    }
    json_array_foreach(gpus, i, entry) {
        cleanup_free char *path = nvd_xasprintf("gpus[%zu]", i);
        if (read_peers(r, entry, path, blob, (uint32_t)i) != 0)
            return -1;
    }
    if (read_missing_functions(r, root, blob) != 0)
        return -1;
    return check_gpus(r, blob);
}

int sim_profile_load(const char *path, struct sim_blob *blob, nvd_error **err)
{
    struct reader reader = { .file = path, .err = err };
    json_error_t json_error;

    memset(blob, 0, sizeof(*blob));
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        if (json_error.line < 0)
            return nvd_error_set(err, NVD_ERR_INVALID, "profile %s: %s", path, json_error.text);
        return nvd_error_set(err, NVD_ERR_INVALID, "profile %s: invalid JSON at line %d, column %d: %s",
                             path, json_error.line, json_error.column, json_error.text);
    }

    int result = read_profile(&reader, root, blob);
    json_decref(root);
    if (result != 0)
        return -1;

    memcpy(blob->magic, SIM_BLOB_MAGIC, sizeof(SIM_BLOB_MAGIC));
    blob->format = SIM_BLOB_FORMAT;
    blob->size = sizeof(*blob);
    blob->configured = 1;
    return 0;
}
