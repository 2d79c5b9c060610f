/*
 * select.c: the one GPU selection grammar of NV_GPU, dev= and (later) CDI
 * names. A selection is "all", "none", "void", or pieces that each name a
 * GPU by index, full UUID, unambiguous UUID prefix or PCI bus id, or a MIG
 * device by "<gpu index>:<MIG index>", MIG UUID or unambiguous prefix of
 * one, or the "MIG-GPU-<GPU UUID>/<gi>/<ci>" name of drivers before 470.
 *
 * "all" selects every GPU as a whole GPU and no MIG device, as
 * libnvidia-container does: a GPU in MIG mode then comes without the
 * capability nodes of its MIG devices, and CUDA sees none of them.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define MAX_PIECE 256

/* Parse a piece as Go's Atoi would (optional sign, decimal digits). */
static bool parse_index(const char *s, long *out)
{
    const char *p = s;
    long v = 0;

    if (*p == '+' || *p == '-')
        p++;
    if (!*p)
        return false;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        if (v > (LONG_MAX - 9) / 10)
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = s[0] == '-' ? -v : v;
    return true;
}

/* Parse a PCI bus id "[domain:]bus:device.function" into one number. */
static bool parse_busid(const char *s, unsigned long long *out)
{
    unsigned domain = 0, bus = 0, device = 0, function = 0;
    int n = 0;
    bool ok = sscanf(s, "%x:%x:%x.%x%n", &domain, &bus, &device, &function, &n) == 4 && s[n] == '\0';

    if (!ok) {
        domain = 0;
        n = 0;
        ok = sscanf(s, "%x:%x.%x%n", &bus, &device, &function, &n) == 3 && s[n] == '\0';
    }
    if (!ok || bus > 0xff || device > 0x1f || function > 7)
        return false;
    *out = ((unsigned long long)domain << 16) | (bus << 8) | (device << 3) | function;
    return true;
}

/* A device that a piece names: a GPU, or one MIG device of it. */
struct target {
    size_t gpu;     /* index into host->gpus */
    size_t mig;     /* index into its migs, or NVD_SELECT_WHOLE_GPU */
};

/* Find the position in host->gpus of the GPU with NVML index `index`, or -1. */
static long find_gpu_index(const struct nvd_host *host, long index)
{
    /* An index is NVML's, which differs from the position in host->gpus
     * when discovery left out a GPU that NVML could not describe. */
    for (size_t i = 0; index >= 0 && i < host->gpu_count; i++)
        if (host->gpus[i].index == (unsigned long)index)
            return (long)i;
    return -1;
}

/* Parse "<gpu index>:<MIG index>", both decimal, into the two numbers. */
static bool parse_mig_index(const char *piece, long *gpu, long *mig)
{
    char left[MAX_PIECE];
    const char *colon = strchr(piece, ':');

    if (!colon || (size_t)(colon - piece) >= sizeof(left))
        return false;
    memcpy(left, piece, (size_t)(colon - piece));
    left[colon - piece] = '\0';
    return isdigit((unsigned char)left[0]) && isdigit((unsigned char)colon[1]) &&
           parse_index(left, gpu) && parse_index(colon + 1, mig);
}

/* Find the MIG device "<gpu index>:<MIG index>". */
static int find_mig_by_index(const struct nvd_host *host, const char *piece, long gpu_index,
                             long mig_index, struct target *out, nvd_error **err)
{
    long g = find_gpu_index(host, gpu_index);

    for (size_t m = 0; g >= 0 && m < host->gpus[g].mig_count; m++) {
        if (host->gpus[g].migs[m].index == (unsigned long)mig_index) {
            *out = (struct target){ (size_t)g, m };
            return 0;
        }
    }
    return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %s", piece);
}

/* Find the MIG device named "MIG-GPU-<GPU UUID>/<gi>/<ci>", as drivers before 470 named them. */
static int find_mig_by_legacy_name(const struct nvd_host *host, const char *piece,
                                   struct target *out, nvd_error **err)
{
    const char *gpu_uuid = piece + 4;
    const char *slash = strchr(gpu_uuid, '/');
    unsigned gi, ci;
    int end = 0;

    if (slash && sscanf(slash, "/%u/%u%n", &gi, &ci, &end) == 2 && slash[end] == '\0') {
        size_t len = (size_t)(slash - gpu_uuid);
        for (size_t g = 0; g < host->gpu_count; g++) {
            const struct nvd_gpu *gpu = &host->gpus[g];
            if (strncasecmp(gpu->uuid, gpu_uuid, len) != 0 || gpu->uuid[len] != '\0')
                continue;
            for (size_t m = 0; m < gpu->mig_count; m++) {
                if (gpu->migs[m].gpu_instance == gi && gpu->migs[m].compute_instance == ci) {
                    *out = (struct target){ g, m };
                    return 0;
                }
            }
        }
    }
    return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %s", piece);
}

/* Write "GPU <index>" or "MIG device <gpu index>:<MIG index>" for a device. */
static void name_target(const struct nvd_host *host, struct target device, char *out, size_t size)
{
    const struct nvd_gpu *gpu = &host->gpus[device.gpu];

    if (device.mig == NVD_SELECT_WHOLE_GPU)
        snprintf(out, size, "GPU %u", gpu->index);
    else
        snprintf(out, size, "MIG device %u:%u", gpu->index, gpu->migs[device.mig].index);
}

/*
 * Find the device whose UUID is piece or starts with it (case-insensitive):
 * a GPU for "GPU-...", a MIG device for "MIG-...". A prefix that matches
 * two devices is an error.
 */
static int find_by_uuid(const struct nvd_host *host, const char *piece, struct target *out,
                        nvd_error **err)
{
    bool mig = strncasecmp(piece, "MIG-", 4) == 0;
    size_t len = strlen(piece);
    bool found = false;

    for (size_t g = 0; g < host->gpu_count; g++) {
        const struct nvd_gpu *gpu = &host->gpus[g];
        size_t count = mig ? gpu->mig_count : 1;
        for (size_t m = 0; m < count; m++) {
            const char *uuid = mig ? gpu->migs[m].uuid : gpu->uuid;
            struct target here = { g, mig ? m : NVD_SELECT_WHOLE_GPU };

            if (strncasecmp(uuid, piece, len) != 0)
                continue;
            if (uuid[len] == '\0') {
                *out = here;
                return 0;
            }
            if (found) {
                /* Room for "MIG device 4294967295:4294967295". */
                char first[48], second[48];
                name_target(host, *out, first, sizeof(first));
                name_target(host, here, second, sizeof(second));
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "invalid device: %s: the prefix matches %s and %s, give more of the UUID",
                                     piece, first, second);
            }
            found = true;
            *out = here;
        }
    }
    if (found)
        return 0;
    return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %s", piece);
}

/* Find the device a piece names. */
static int find_device(const struct nvd_host *host, const char *piece, struct target *out,
                       nvd_error **err)
{
    unsigned long long want_bus, bus;
    long index, mig_index;

    if (parse_index(piece, &index)) {
        long g = find_gpu_index(host, index);
        if (g < 0)
            return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %s", piece);
        *out = (struct target){ (size_t)g, NVD_SELECT_WHOLE_GPU };
        return 0;
    }
    if (parse_mig_index(piece, &index, &mig_index))
        return find_mig_by_index(host, piece, index, mig_index, out, err);
    if (strncasecmp(piece, "MIG-GPU-", 8) == 0)
        return find_mig_by_legacy_name(host, piece, out, err);
    if (strncasecmp(piece, "GPU-", 4) == 0 || strncasecmp(piece, "MIG-", 4) == 0)
        return find_by_uuid(host, piece, out, err);

    if (parse_busid(piece, &want_bus)) {
        for (size_t i = 0; i < host->gpu_count; i++) {
            if (parse_busid(host->gpus[i].busid, &bus) && bus == want_bus) {
                *out = (struct target){ i, NVD_SELECT_WHOLE_GPU };
                return 0;
            }
        }
    }
    return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %s", piece);
}

/* Append a device to sel unless it is already there. */
static void add_device(struct nvd_selection *sel, struct target device)
{
    for (size_t k = 0; k < sel->count; k++)
        if (sel->gpus[k] == device.gpu && sel->migs[k] == device.mig)
            return;
    sel->gpus[sel->count] = device.gpu;
    sel->migs[sel->count] = device.mig;
    sel->count++;
}

/* Select every GPU of host as a whole GPU. */
static void select_all(const struct nvd_host *host, struct nvd_selection *sel)
{
    for (size_t i = 0; i < host->gpu_count; i++)
        add_device(sel, (struct target){ i, NVD_SELECT_WHOLE_GPU });
}

int nvd_select(const struct nvd_host *host, const char *spec, const char *seps,
               bool star_is_all, struct nvd_selection *out, nvd_error **err)
{
    struct nvd_selection sel = { .mode = NVD_SELECT_GPUS };
    const char *p = spec ? spec : "";
    size_t pieces = 0;
    bool special = false;

    /* Every piece names at most one device, so this bounds the list. */
    sel.gpus = nvd_xcalloc(host->gpu_count + strlen(p) + 1, sizeof(*sel.gpus));
    sel.migs = nvd_xcalloc(host->gpu_count + strlen(p) + 1, sizeof(*sel.migs));

    while (*p) {
        size_t n = strcspn(p, seps);
        char piece[MAX_PIECE];

        if (n == 0) {
            p++;
            continue;
        }
        if (n >= sizeof(piece)) {
            nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %.32s...: longer than %d characters",
                          p, MAX_PIECE - 1);
            goto fail;
        }
        memcpy(piece, p, n);
        piece[n] = '\0';
        p += n;
        pieces++;

        bool is_all = strcmp(piece, "all") == 0 || (star_is_all && strcmp(piece, "*") == 0);
        bool is_none = strcmp(piece, "none") == 0;
        bool is_void = strcmp(piece, "void") == 0;

        if ((special || is_all || is_none || is_void) && pieces > 1) {
            nvd_error_set(err, NVD_ERR_INVALID,
                          "invalid device: %s: all, none and void cannot be combined with other devices",
                          spec);
            goto fail;
        }
        special = is_all || is_none || is_void;
        if (is_all) {
            select_all(host, &sel);
        } else if (is_none) {
            sel.mode = NVD_SELECT_NONE;
        } else if (is_void) {
            sel.mode = NVD_SELECT_VOID;
        } else {
            struct target device;
            if (find_device(host, piece, &device, err) < 0)
                goto fail;
            add_device(&sel, device);
        }
    }

    if (pieces == 0)
        select_all(host, &sel);
    *out = sel;
    return 0;

fail:
    nvd_selection_clear(&sel);
    return -1;
}

void nvd_selection_clear(struct nvd_selection *sel)
{
    free(sel->gpus);
    free(sel->migs);
    sel->gpus = NULL;
    sel->migs = NULL;
    sel->count = 0;
}
