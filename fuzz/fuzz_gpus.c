/*
 * libFuzzer target for the translation of docker's --gpus option
 * (src/cli/gpus_flag.c): the input is the option's value; its first byte,
 * when there is one, is also the number of GPUs the host has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpus_flag.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = nvd_xmalloc(size + 1);
    size_t gpu_count = size > 0 ? data[0] : 0;
    struct gpus_flag flag;
    nvd_error *err = NULL;

    memcpy(value, data, size);
    value[size] = '\0';

    if (gpus_flag_parse(value, &flag, &err) < 0) {
        /* A failure sets a one-line message and leaves nothing allocated. */
        if (!err || err->kind != NVD_ERR_INVALID || flag.devices)
            abort();
        if (strchr(err->msg, '\n') && !strchr(value, '\n'))
            abort();
        nvd_error_free(err);
        free(value);
        return 0;
    }
    if (err || (flag.kind == GPUS_DEVICES) != (flag.devices != NULL))
        abort();
    if (flag.kind == GPUS_DEVICES && (flag.devices[0] == '\0' || strlen(flag.devices) > size))
        abort();

    char *selection = gpus_flag_selection(&flag, value, gpu_count, &err);
    if ((selection == NULL) != (err != NULL))
        abort();
    /* Only a count above the host's GPUs fails. */
    if (!selection && !(flag.kind == GPUS_COUNT && (size_t)flag.count > gpu_count))
        abort();
    free(selection);
    nvd_error_free(err);
    gpus_flag_clear(&flag);
    free(value);
    return 0;
}
