/*
 * gpus_flag.h: docker's --gpus option (Docker 19.03 and later). Engines
 * without NVIDIA's hook reject it, so nvidia-docker translates it into a
 * GPU selection of its own and removes it from the command line.
 */
#ifndef NVD_CLI_GPUS_FLAG_H
#define NVD_CLI_GPUS_FLAG_H

#include <stdbool.h>

#include "nvd.h"

/* What one --gpus value requests. */
struct gpus_flag {
    enum {
        GPUS_ALL,       /* "all", "count=all" */
        GPUS_COUNT,     /* "2", "count=2": the GPUs with indexes 0 to count-1 */
        GPUS_DEVICES,   /* "device=0,2": the listed GPUs */
    } kind;
    long count;         /* for GPUS_COUNT; 0 requests no GPU */
    char *devices;      /* for GPUS_DEVICES: the IDs joined by commas */
};

/*
 * Parse a --gpus value as docker's CLI does: one line of comma-separated
 * fields in CSV syntax, so '"device=0,2"' keeps its comma. A field is
 * "all", a count, or key=value with the keys count, device, capabilities,
 * driver (nvidia only) and options (ignored). Unlike docker, which reads
 * the "2" of an unquoted device=0,2 as a count, a field without "=" that
 * follows an unquoted device= or capabilities= continues that list.
 * Without count and device, one GPU is requested, as in docker. Errors
 * name the value and show a valid form. Release with gpus_flag_clear().
 */
int gpus_flag_parse(const char *value, struct gpus_flag *out, nvd_error **err);

void gpus_flag_clear(struct gpus_flag *flag);

/*
 * Return the selection a parsed flag makes in NV_GPU's grammar, as a new
 * string: "all", "void" for a count of 0, the indexes 0 to count-1 joined
 * by commas, or the device IDs. A count above gpu_count fails, naming
 * both numbers.
 */
char *gpus_flag_selection(const struct gpus_flag *flag, const char *value, size_t gpu_count,
                          nvd_error **err);

/*
 * Find the --gpus option among the run/create options args[start..count),
 * set *value to its value (NULL when there is none) and mark in drop (an
 * array of count entries) the arguments that carry it. Fails when --gpus
 * is given more than once or without a value.
 */
int gpus_flag_find(char *const *args, int count, int start, bool *drop, const char **value,
                   nvd_error **err);

#endif /* NVD_CLI_GPUS_FLAG_H */
