/* inject.c: building the docker command line of a GPU container. */
#include <string.h>

#include "inject.h"
#include "util.h"

char **inject_gpu_options(char *const *devices, size_t device_count,
                          char *const *volumes, size_t volume_count, size_t *count)
{
    char **options = nvd_xcalloc(device_count + volume_count + 1, sizeof(*options));
    size_t n = 0;

    for (size_t i = 0; i < device_count; i++)
        options[n++] = nvd_xasprintf("--device=%s", devices[i]);
    for (size_t i = 0; i < volume_count; i++)
        options[n++] = nvd_xasprintf("--volume=%s", volumes[i]);
    options[n] = NULL;
    *count = n;
    return options;
}

void inject_free(char **options)
{
    if (!options)
        return;
    for (char **o = options; *o; o++)
        free(*o);
    free(options);
}

char **inject_argv(char *const *words, size_t word_count, char *const *args,
                   size_t arg_count, size_t at, char *const *options,
                   size_t option_count)
{
    return inject_argv_without(words, word_count, args, arg_count, at, options, option_count,
                               NULL);
}

char **inject_argv_without(char *const *words, size_t word_count, char *const *args,
                           size_t arg_count, size_t at, char *const *options,
                           size_t option_count, const bool *drop)
{
    char **argv = nvd_xcalloc(word_count + arg_count + option_count + 1, sizeof(*argv));
    size_t n = 0;

    if (at > arg_count)
        at = arg_count;
    for (size_t i = 0; i < word_count; i++)
        argv[n++] = words[i];
    for (size_t i = 0; i < at; i++)
        if (!drop || !drop[i])
            argv[n++] = args[i];
    for (size_t i = 0; i < option_count; i++)
        argv[n++] = options[i];
    for (size_t i = at; i < arg_count; i++)
        if (!drop || !drop[i])
            argv[n++] = args[i];
    argv[n] = NULL;
    return argv;
}
