/*
 * docker_cmd.c: finding, running and exec'ing the docker command named by
 * NV_DOCKER. Helpers run through posix_spawn with their output read back
 * through pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "docker_cmd.h"

extern char **environ;

/* Captured helper output beyond this is read and dropped. */
#define HELPER_OUTPUT_MAX (16u << 20)

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char **docker_words_split(const char *spec, size_t *count)
{
    size_t n = 0;
    char **words;

    if (!spec)
        spec = "";
    words = nvd_xcalloc(strlen(spec) / 2 + 2, sizeof(*words));
    for (const char *p = spec; *p;) {
        while (is_space(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !is_space(*p))
            p++;
        words[n++] = nvd_xasprintf("%.*s", (int)(p - start), start);
    }
    if (n == 0)
        words[n++] = nvd_xstrdup("docker");
    words[n] = NULL;
    *count = n;
    return words;
}

void docker_words_free(char **words)
{
    if (!words)
        return;
    for (char **w = words; *w; w++)
        free(*w);
    free(words);
}

/* Return 0 when path is a regular file with an execute bit, else an errno. */
static int check_executable(const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return errno;
    if (S_ISDIR(st.st_mode))
        return EISDIR;
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
        return EACCES;
    return 0;
}

char *docker_look_path(const char *word, const char *path_env, nvd_error **err)
{
    if (strchr(word, '/')) {
        int e = check_executable(word);
        if (e != 0) {
            nvd_error_set(err, NVD_ERR_NOT_FOUND, "exec: \"%s\": %s", word, strerror(e));
            return NULL;
        }
        return nvd_xstrdup(word);
    }

    const char *dir = path_env ? path_env : "";
    for (;;) {
        const char *end = strchrnul(dir, ':');
        if (end > dir) {
            char *candidate = nvd_xasprintf("%.*s/%s", (int)(end - dir), dir, word);
            if (check_executable(candidate) == 0)
                return candidate;
            free(candidate);
        }
        if (*end == '\0')
            break;
        dir = end + 1;
    }
    nvd_error_set(err, NVD_ERR_NOT_FOUND,
                  "exec: \"%s\": executable file not found in $PATH", word);
    return NULL;
}

int docker_cmd_init(struct docker_cmd *d, const char *nv_docker,
                    const char *path_env, nvd_error **err)
{
    memset(d, 0, sizeof(*d));
    d->words = docker_words_split(nv_docker, &d->count);
    d->path = docker_look_path(d->words[0], path_env, err);
    if (!d->path) {
        docker_cmd_clear(d);
        return -1;
    }
    return 0;
}

void docker_cmd_clear(struct docker_cmd *d)
{
    docker_words_free(d->words);
    free(d->path);
    memset(d, 0, sizeof(*d));
}

int docker_exec_argv(const struct docker_cmd *d, char *const *argv, nvd_error **err)
{
    fflush(stdout);
    fflush(stderr);
    execve(d->path, argv, environ);
    return nvd_error_sys(err, errno, "running docker as %s failed", d->path);
}

int docker_exec(const struct docker_cmd *d, char *const *args, size_t nargs,
                nvd_error **err)
{
    cleanup_free char **argv = nvd_xcalloc(d->count + nargs + 1, sizeof(*argv));

    memcpy(argv, d->words, d->count * sizeof(*argv));
    if (nargs > 0)
        memcpy(argv + d->count, args, nargs * sizeof(*argv));
    argv[d->count + nargs] = NULL;
    return docker_exec_argv(d, argv, err);
}

/* Append what fd has to read to b, up to the capture limit. Return false
 * at end of file or on a read error. */
static bool drain(int fd, struct nvd_buf *b)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    if (b->len + (size_t)n <= HELPER_OUTPUT_MAX)
        nvd_buf_append(b, chunk, (size_t)n);
    return true;
}

/* Read the helper's stdout (out_fd, may be -1) and stderr pipes until both
 * reach end of file. */
static void read_pipes(int out_fd, int err_fd, struct docker_result *res)
{
    struct pollfd fds[2] = {
        { .fd = out_fd, .events = POLLIN },
        { .fd = err_fd, .events = POLLIN },
    };
    struct nvd_buf *bufs[2] = { &res->out, &res->err };

    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int k = 0; k < 2; k++) {
            if (fds[k].fd >= 0 && fds[k].revents && !drain(fds[k].fd, bufs[k]))
                fds[k].fd = -1;
        }
    }
}

/* Return the argv of a helper: d's words, globals, then cmd. */
static char **helper_argv(const struct docker_cmd *d, char *const *globals,
                          size_t nglobals, const char *const *cmd)
{
    size_t ncmd = 0;
    while (cmd[ncmd])
        ncmd++;

    char **argv = nvd_xcalloc(d->count + nglobals + ncmd + 1, sizeof(*argv));
    size_t n = 0;
    for (size_t i = 0; i < d->count; i++)
        argv[n++] = d->words[i];
    for (size_t i = 0; i < nglobals; i++)
        argv[n++] = globals[i];
    for (size_t i = 0; i < ncmd; i++)
        argv[n++] = (char *)cmd[i];
    argv[n] = NULL;
    return argv;
}

int docker_run(const struct docker_cmd *d, char *const *globals,
               size_t nglobals, const char *const *cmd,
               enum docker_output mode, struct docker_result *res,
               nvd_error **err)
{
    cleanup_free char **argv = helper_argv(d, globals, nglobals, cmd);
    int out_pipe[2] = { -1, -1 };
    int err_pipe[2] = { -1, -1 };
    posix_spawn_file_actions_t actions;
    pid_t pid;
    int rc;

    memset(res, 0, sizeof(*res));
    if (pipe2(err_pipe, O_CLOEXEC) < 0)
        return nvd_error_sys(err, errno, "creating a pipe for docker %s failed", cmd[0]);
    if (mode == DOCKER_OUT_CAPTURE && pipe2(out_pipe, O_CLOEXEC) < 0) {
        int e = errno;
        close(err_pipe[0]);
        close(err_pipe[1]);
        return nvd_error_sys(err, e, "creating a pipe for docker %s failed", cmd[0]);
    }

    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (mode == DOCKER_OUT_CAPTURE)
        posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    else if (mode == DOCKER_OUT_STDERR)
        posix_spawn_file_actions_adddup2(&actions, 2, 1);
    else
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

    fflush(stdout);
    fflush(stderr);
    rc = posix_spawn(&pid, d->path, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(err_pipe[1]);
    if (out_pipe[1] >= 0)
        close(out_pipe[1]);
    if (rc != 0) {
        close(err_pipe[0]);
        if (out_pipe[0] >= 0)
            close(out_pipe[0]);
        return nvd_error_sys(err, rc, "running %s %s failed", d->path, cmd[0]);
    }

    read_pipes(out_pipe[0], err_pipe[0], res);
    close(err_pipe[0]);
    if (out_pipe[0] >= 0)
        close(out_pipe[0]);

    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0) {
        if (errno != EINTR) {
            int e = errno;
            docker_result_clear(res);
            return nvd_error_sys(err, e, "waiting for docker %s failed", cmd[0]);
        }
    }
    res->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return 0;
}

void docker_result_clear(struct docker_result *res)
{
    nvd_buf_free(&res->out);
    nvd_buf_free(&res->err);
    res->status = 0;
}

char *docker_result_message(const struct docker_result *res, const char *what)
{
    const char *s = res->err.data ? res->err.data : "";
    size_t len = res->err.len;

    while (len > 0 && is_space(s[len - 1]))
        len--;
    while (len > 0 && is_space(*s)) {
        s++;
        len--;
    }
    if (len >= 7 && strncmp(s, "Error: ", 7) == 0) {
        s += 7;
        len -= 7;
    }
    if (len == 0)
        return nvd_xasprintf("docker %s exited with status %d", what, res->status);

    /* Keep the message on one line: each line break becomes a space. */
    struct nvd_buf msg = { 0 };
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\r')
            continue;
        nvd_buf_append(&msg, s[i] == '\n' ? " " : s + i, 1);
    }
    return nvd_buf_steal(&msg);
}
