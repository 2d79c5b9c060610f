/*
 * libFuzzer target for the --env-file parser of nvidia-docker
 * (src/cli/container_env.c). The input is the text of an env file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container_env.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = nvd_xmalloc(size + 1);
    struct container_env env = { 0 };
    nvd_error *err = NULL;

    memcpy(text, data, size);
    text[size] = '\0';

    if (container_env_apply_file(&env, "fuzz.env", text, size, &err) < 0) {
        if (!err || err->kind != NVD_ERR_INVALID)
            abort();
        nvd_error_free(err);
    } else {
        /* Every variable has a name without blanks, set once, and a value
         * that container_env_get() finds. */
        for (size_t i = 0; i < env.count; i++) {
            const char *var = env.vars[i];
            size_t name_len = strcspn(var, "=");
            if (name_len == 0 || var[name_len] != '=' || strcspn(var, " \t") < name_len)
                abort();
            char *name = nvd_xasprintf("%.*s", (int)name_len, var);
            if (container_env_get(&env, name) != var + name_len + 1)
                abort();
            free(name);
        }
    }
    container_env_clear(&env);
    free(text);
    return 0;
}
