/*
 * container_env.h: the environment a container starts with, as the docker
 * CLI and engine build it: the image's Config.Env, then the --env-file
 * entries, then the -e/--env entries, the last setting of a name winning.
 * nvidia-docker reads NVIDIA_VISIBLE_DEVICES and NVIDIA_REQUIRE_* from it.
 */
#ifndef NVD_CLI_CONTAINER_ENV_H
#define NVD_CLI_CONTAINER_ENV_H

#include <jansson.h>
#include <stddef.h>

#include "nvd.h"

/* Variables as "NAME=VALUE" strings, each name once, in the order the
 * names were first set. */
struct container_env {
    size_t count;
    char **vars;
};

/*
 * Build the environment of a container of the image whose .Config is
 * config, run with the run/create options args[start..count). As in
 * docker, "-e NAME" takes NAME's value from our environment, and unsets the
 * image's NAME when ours has none. An --env-file line "NAME" without "="
 * is used only when our environment has NAME. An --env-file that cannot
 * be read, or has a line with a blank in its name, fails as docker would.
 * Release with container_env_clear().
 */
int container_env_build(json_t *config, char *const *args, int count, int start,
                        struct container_env *out, nvd_error **err);

void container_env_clear(struct container_env *env);

/* Return the value of name in env, or NULL when it is not set. */
const char *container_env_get(const struct container_env *env, const char *name);

/* Set name=value (value NULL: unset name) in env, as an override does. */
void container_env_set(struct container_env *env, const char *name, size_t name_len,
                       const char *value);

/*
 * Parse the text of an --env-file (path for messages) as docker does and
 * apply each entry to env. Lines are trimmed of leading blanks. Empty
 * lines and lines starting with "#" are skipped. A UTF-8 byte order mark
 * is dropped, and a value is kept as it is.
 */
int container_env_apply_file(struct container_env *env, const char *path, const char *text,
                             size_t len, nvd_error **err);

#endif /* NVD_CLI_CONTAINER_ENV_H */
