/*
 * select.c: the one GPU selection grammar of NV_GPU, dev= and (later) CDI
 * names. A selection is "all", "none", "void", or pieces that each name a
 * GPU by index, full UUID, unambiguous UUID prefix or PCI bus id.
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

/* Find the GPU a piece names; return its index into host->gpus or -1. */
static long find_gpu(const struct nvd_host *host, const char *piece, nvd_error **err)
{
    unsigned long long want_bus, bus;
    long index, found = -1;
    size_t len = strlen(piece);

    /* An index is NVML's, which differs from the position in host->gpus
     * when discovery left out a GPU that NVML could not describe. */
    if (parse_index(piece, &index)) {
        for (size_t i = 0; index >= 0 && i < host->gpu_count; i++)
            if (host->gpus[i].index == (unsigned long)index)
                return (long)i;
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %s", piece);
    }

    if (strncasecmp(piece, "GPU-", 4) == 0) {
        for (size_t i = 0; i < host->gpu_count; i++) {
            if (strncasecmp(host->gpus[i].uuid, piece, len) != 0)
                continue;
            if (host->gpus[i].uuid[len] == '\0')
                return (long)i;
            if (found >= 0)
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "invalid device: %s: the prefix matches GPU %ld and GPU %zu, give more of the UUID",
                                     piece, found, i);
            found = (long)i;
        }
        if (found >= 0)
            return found;
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %s", piece);
    }

    if (parse_busid(piece, &want_bus)) {
        for (size_t i = 0; i < host->gpu_count; i++)
            if (parse_busid(host->gpus[i].busid, &bus) && bus == want_bus)
                return (long)i;
    }
    return nvd_error_set(err, NVD_ERR_INVALID, "invalid device: %s", piece);
}

/* Append GPU index i to sel unless it is already there. */
static void add_gpu(struct nvd_selection *sel, size_t i)
{
    for (size_t k = 0; k < sel->count; k++)
        if (sel->gpus[k] == i)
            return;
    sel->gpus[sel->count++] = i;
}

/* Select every GPU of host. */
static void select_all(const struct nvd_host *host, struct nvd_selection *sel)
{
    for (size_t i = 0; i < host->gpu_count; i++)
        sel->gpus[sel->count++] = i;
}

int nvd_select(const struct nvd_host *host, const char *spec, const char *seps,
               bool star_is_all, struct nvd_selection *out, nvd_error **err)
{
    struct nvd_selection sel = { .mode = NVD_SELECT_GPUS };
    const char *p = spec ? spec : "";
    size_t pieces = 0;
    bool special = false;

    /* Every piece names at most one GPU, so this bounds the list. */
    sel.gpus = nvd_xcalloc(host->gpu_count + strlen(p) + 1, sizeof(*sel.gpus));

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
            long i = find_gpu(host, piece, err);
            if (i < 0)
                goto fail;
            add_gpu(&sel, (size_t)i);
        }
    }

    if (pieces == 0)
        select_all(host, &sel);
    *out = sel;
    return 0;

fail:
    free(sel.gpus);
    return -1;
}

void nvd_selection_clear(struct nvd_selection *sel)
{
    free(sel->gpus);
    sel->gpus = NULL;
    sel->count = 0;
}
