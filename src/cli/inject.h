/*
 * inject.h: the new docker command line of a GPU container. The GPU
 * options go after every option the user gave: right before the image, or
 * before the "--" that precedes it.
 */
#ifndef NVD_CLI_INJECT_H
#define NVD_CLI_INJECT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Return the options to insert, as new strings in a new NULL-terminated
 * array: "--device=<d>" for each device, then "--volume=<v>" for each
 * volume. It never adds --volume-driver, which would send every other
 * volume of the container to the plugin. Free with inject_free().
 */
char **inject_gpu_options(char *const *devices, size_t device_count,
                          char *const *volumes, size_t volume_count, size_t *count);
void inject_free(char **options);

/*
 * Return a new NULL-terminated argv: words[0..word_count), args[0..at),
 * options[0..option_count), then args[at..arg_count). It contains the
 * pointers it is given, not copies, so free only the array.
 */
char **inject_argv(char *const *words, size_t word_count, char *const *args,
                   size_t arg_count, size_t at, char *const *options,
                   size_t option_count);

/* Like inject_argv(), but leave out each args[i] whose drop[i] is true
 * (drop may be NULL): the --gpus options that nvidia-docker translated. */
char **inject_argv_without(char *const *words, size_t word_count, char *const *args,
                           size_t arg_count, size_t at, char *const *options,
                           size_t option_count, const bool *drop);

#endif /* NVD_CLI_INJECT_H */
