/*
 * modprobe.c: loads the nvidia-uvm kernel module, which CUDA needs and
 * which no driver component loads at boot. nvidia-docker 1.0 ran
 * "nvidia-modprobe -u -c=0" at start; this daemon runs it before a
 * discovery when the device node is missing.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "plugin.h"
#include "util.h"

extern char **environ;

/* How long nvidia-modprobe may run before it is killed, in ms. It normally takes far less. */
#define MODPROBE_TIMEOUT_MS 10000
#define MODPROBE_POLL_MS 10

/* Where a driver root keeps its programs, in lookup order. */
static const char *const binary_dirs[] = {
    "usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin",
};

/* Return a new path to the executable nvidia-modprobe under root, or NULL. */
static char *find_modprobe(const char *root)
{
    for (size_t i = 0; i < sizeof(binary_dirs) / sizeof(binary_dirs[0]); i++) {
        char *dir = nvd_path_join(root, binary_dirs[i]);
        char *path = nvd_path_join(dir, "nvidia-modprobe");
        struct stat st;

        free(dir);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
            return path;
        free(path);
    }
    return NULL;
}

/*
 * Wait up to MODPROBE_TIMEOUT_MS for the child pid, killing it after that.
 * Returns its wait status, or -1 when it was killed or could not be waited for.
 */
static int wait_bounded(pid_t pid, const char *path)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = MODPROBE_POLL_MS * 1000000L};
    int status;

    for (int waited = 0; waited < MODPROBE_TIMEOUT_MS; waited += MODPROBE_POLL_MS) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            return status;
        if (done < 0 && errno != EINTR) {
            nvd_log_error("failed to wait for %s (pid %d): %s", path, (int)pid, strerror(errno));
            return -1;
        }
        nanosleep(&pause, NULL);
    }
    nvd_log_error("%s -u -c=0 (pid %d) still runs after %d s: killing it",
                  path, (int)pid, MODPROBE_TIMEOUT_MS / 1000);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* Start path -u -c=0 with the default signal dispositions and an empty signal mask. */
static int spawn_modprobe(const char *path, pid_t *pid)
{
    char *const argv[] = {(char *)path, (char *)"-u", (char *)"-c=0", NULL};
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    int rc;

    /* The daemon blocks SIGINT, SIGTERM and SIGHUP and ignores SIGPIPE; the child must not inherit that. */
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    rc = posix_spawn(pid, path, NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    return rc;
}

void plugin_load_uvm(const struct plugin_options *opts)
{
    cleanup_free char *node = nvd_path_join(flags_dev_root(opts), "/dev/nvidia-uvm");
    struct stat st;

    if (stat(node, &st) == 0)
        return;

    cleanup_free char *path = find_modprobe(opts->driver_root);
    if (!path) {
        nvd_log("%s is missing and no nvidia-modprobe was found under %s: "
                "CUDA in containers needs it; load the nvidia-uvm kernel module",
                node, opts->driver_root);
        return;
    }

    nvd_log("Loading NVIDIA unified memory");
    pid_t pid;
    int rc = spawn_modprobe(path, &pid);
    if (rc != 0) {
        nvd_log_error("failed to run %s -u -c=0: %s", path, strerror(rc));
        return;
    }
    int status = wait_bounded(pid, path);
    if (status < 0)
        return;
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        nvd_log_error("%s -u -c=0 failed with exit status %d: containers get no "
                      "/dev/nvidia-uvm until the nvidia-uvm kernel module is loaded",
                      path, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        nvd_log_error("%s -u -c=0 was killed by signal %d: containers get no "
                      "/dev/nvidia-uvm until the nvidia-uvm kernel module is loaded",
                      path, WTERMSIG(status));
}
