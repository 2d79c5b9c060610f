/*
 * docker_cmd.h: the docker command that nvidia-docker runs, taken from
 * NV_DOCKER: the final execve and the helper runs (pull, inspect, volume
 * create) with their output captured.
 */
#ifndef NVD_CLI_DOCKER_CMD_H
#define NVD_CLI_DOCKER_CMD_H

#include <stddef.h>

#include "nvd.h"
#include "util.h"

/* The words of NV_DOCKER and the program that the first one names. */
struct docker_cmd {
    char **words;    /* NULL-terminated */
    size_t count;
    char *path;      /* words[0] as found in PATH */
};

/*
 * Split spec on runs of whitespace (no quoting, as 1.0 does) into a new
 * NULL-terminated array of new strings, setting *count. A NULL, empty or
 * blank spec gives the single word "docker". Free with docker_words_free().
 */
char **docker_words_split(const char *spec, size_t *count);
void docker_words_free(char **words);

/*
 * Find the program named by word in the directories of path_env, the way
 * Go's exec.LookPath does. A word with a slash is used as it is, an empty
 * PATH element is skipped, and the file must be a regular file with an
 * execute bit. Return a new path, or NULL with 1.0's message
 * `exec: "<word>": executable file not found in $PATH`.
 */
char *docker_look_path(const char *word, const char *path_env, nvd_error **err);

/* Fill d from NV_DOCKER and PATH (either may be NULL). */
int docker_cmd_init(struct docker_cmd *d, const char *nv_docker,
                    const char *path_env, nvd_error **err);
void docker_cmd_clear(struct docker_cmd *d);

/*
 * Replace this process with docker, running d's words followed by
 * args[0..nargs), in the unchanged environment. Returns -1 with the cause
 * only when execve fails.
 */
int docker_exec(const struct docker_cmd *d, char *const *args, size_t nargs,
                nvd_error **err);

/* Like docker_exec() for an argv that already starts with d's words. */
int docker_exec_argv(const struct docker_cmd *d, char *const *argv,
                     nvd_error **err);

/* Destination of a helper's standard output. */
enum docker_output {
    DOCKER_OUT_CAPTURE,   /* into the result's out buffer */
    DOCKER_OUT_STDERR,    /* onto our stderr, as 1.0 does for pull */
    DOCKER_OUT_DISCARD,   /* to /dev/null */
};

/* The outcome of a helper run. */
struct docker_result {
    int status;             /* exit status, or 128 + signal number */
    struct nvd_buf out;     /* standard output with DOCKER_OUT_CAPTURE */
    struct nvd_buf err;     /* standard error, always captured */
};

/*
 * Run d's words, then globals[0..nglobals) (docker's global options from
 * our command line), then the NULL-terminated cmd, with stdin on /dev/null.
 * Returns 0 once docker ran and exited, whatever its status, or -1 when it
 * could not be started. Release res with docker_result_clear().
 */
int docker_run(const struct docker_cmd *d, char *const *globals,
               size_t nglobals, const char *const *cmd,
               enum docker_output mode, struct docker_result *res,
               nvd_error **err);
void docker_result_clear(struct docker_result *res);

/*
 * Return a new one-line message for a failed helper: its stderr trimmed,
 * without docker's leading "Error: ", or, when stderr is empty, "docker
 * <what> exited with status <n>".
 */
char *docker_result_message(const struct docker_result *res, const char *what);

#endif /* NVD_CLI_DOCKER_CMD_H */
