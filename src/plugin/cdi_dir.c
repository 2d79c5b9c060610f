/*
 * cdi_dir.c: the CDI spec that the daemon renders for /cdi/json and keeps
 * current in <--cdi-dir>/nvidia-docker.json.
 *
 * Podman and the other CDI runtimes read the file without asking the
 * daemon, so no request may come to notice a driver upgrade. A thread
 * therefore sleeps until an inotify watch (cdi_watch.c) reports a change
 * of etc/ld.so.cache, of the nvidia* device nodes or of the driver volume,
 * or until a discovery or SIGHUP kicks it. A changed etc/ld.so.cache means
 * a new driver, so the thread discovers again once the file has stayed the
 * same for cdi_poll_ms. Otherwise it renders the spec of the current host,
 * which also picks up control nodes that appeared or went away, and
 * rewrites the file when the text changed. An idle daemon does not wake.
 *
 * When the spec cannot be made current (no driver, no GPU, a volume that
 * cannot be built, a failed write), the file is removed, so a runtime
 * never takes a stale spec for the current one. After SIGHUP the host is
 * gone until something needs it. The thread then keeps the spec while
 * etc/ld.so.cache stays the same, so that it does not open NVML again
 * while a driver upgrade needs it closed.
 *
 * NOTE: containers that a CDI runtime started bind-mount the volume
 * directory without the plugin's mount records (mounts.json), so the
 * clean-up of an older driver's directory does not wait for them.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin.h"
#include "util.h"

char *plugin_cdi_render(struct plugin *plugin, const struct nvd_host *host, nvd_error **err)
{
    const char *volumes_dir = plugin->opts.volumes_dir;
    int rc;

    pthread_mutex_lock(&plugin->volume_lock);
    rc = nvd_volume_create(host, volumes_dir, err);
    pthread_mutex_unlock(&plugin->volume_lock);
    if (rc < 0)
        return NULL;

    cleanup_free char *volume_dir = nvd_volume_path(volumes_dir, host->driver_version);
    return nvd_render_cdi_spec(host, volume_dir, err);
}

static bool cdi_enabled(const struct plugin *plugin)
{
    return plugin->opts.cdi_dir && plugin->opts.cdi_dir[0] != '\0';
}

/* Check whether the spec file exists. */
static bool spec_file_exists(const struct plugin *plugin)
{
    cleanup_free char *path = nvd_path_join(plugin->opts.cdi_dir, "/" NVD_CDI_SPEC_FILE);
    struct stat st;

    return stat(path, &st) == 0;
}

/*
 * Remove the spec after a failed refresh whose error is err, logging the
 * first failure of a run of them. Called with cdi_refresh_lock held.
 */
static void withdraw_spec(struct plugin *plugin, const nvd_error *err)
{
    cleanup_error nvd_error *remove_err = NULL;
    const char *dir = plugin->opts.cdi_dir;
    bool existed = spec_file_exists(plugin);

    free(plugin->cdi_written);
    plugin->cdi_written = NULL;
    if (nvd_cdi_remove(dir, &remove_err) < 0) {
        nvd_log_error("%s", remove_err->msg);
        return;
    }
    if (plugin->cdi_failing)
        return;
    plugin->cdi_failing = true;
    nvd_log_error("cannot make the CDI spec %s/%s current: %s", dir, NVD_CDI_SPEC_FILE, err->msg);
    if (existed)
        nvd_log("Removed %s/%s: it no longer describes the driver", dir, NVD_CDI_SPEC_FILE);
}

/*
 * Return the host the spec describes, discovering when the driver changed
 * or no spec exists. Returns NULL without an error when the spec is to
 * stay as it is for now, with *settling set when etc/ld.so.cache has just
 * changed and needs another look. Called with cdi_refresh_lock held.
 */
static struct plugin_host *spec_host(struct plugin *plugin, const struct ldcache_stamp *stamp,
                                     bool *settling, nvd_error **err)
{
    bool stable = ldcache_stamp_equal(stamp, &plugin->cdi_seen);

    plugin->cdi_seen = *stamp;
    if (plugin->cdi_written && ldcache_stamp_equal(stamp, &plugin->cdi_stamp))
        return plugin_host_peek(plugin);
    /*
     * An installer rewrites etc/ld.so.cache before it has finished (nvd-sim
     * creates the device nodes after it), so a discovery right away could
     * see half a driver. Wait until the file stayed the same for one
     * cdi_poll_ms, during which the thread also waits out node changes.
     */
    if (!stable) {
        *settling = true;
        return NULL;
    }
    return plugin_host_acquire(plugin, err);
}

/* Refresh the spec as plugin_cdi_refresh() does. Called with cdi_refresh_lock held. */
static int refresh_locked(struct plugin *plugin, bool *settling, nvd_error **err)
{
    const char *dir = plugin->opts.cdi_dir;
    struct ldcache_stamp stamp;

    ldcache_stamp_read(plugin->ldcache_path, &stamp);
    cleanup_host struct plugin_host *ref = spec_host(plugin, &stamp, settling, err);
    if (!ref)
        return *err ? -1 : 0;   /* no error: the spec stays as it is for now */

    cleanup_free char *text = plugin_cdi_render(plugin, ref->host, err);
    if (!text)
        return -1;
    if (plugin->cdi_written && strcmp(plugin->cdi_written, text) == 0 && spec_file_exists(plugin)) {
        plugin->cdi_stamp = stamp;
        return 0;
    }
    if (nvd_cdi_write(dir, text, err) < 0)
        return -1;

    nvd_log("Wrote the CDI spec %s/%s: driver %s, %zu GPUs", dir, NVD_CDI_SPEC_FILE,
            ref->host->driver_version, ref->host->gpu_count);
    free(plugin->cdi_written);
    plugin->cdi_written = steal_pointer(&text);
    plugin->cdi_stamp = stamp;
    plugin->cdi_failing = false;
    return 0;
}

/* Refresh the spec, setting *settling when it needs another look after cdi_poll_ms. */
static int refresh(struct plugin *plugin, bool *settling, nvd_error **err)
{
    cleanup_error nvd_error *local_err = NULL;
    nvd_error **errp = err ? err : &local_err;
    int rc;

    *settling = false;
    if (!cdi_enabled(plugin))
        return 0;
    pthread_mutex_lock(&plugin->cdi_refresh_lock);
    rc = refresh_locked(plugin, settling, errp);
    if (rc < 0)
        withdraw_spec(plugin, *errp);
    pthread_mutex_unlock(&plugin->cdi_refresh_lock);
    return rc;
}

int plugin_cdi_refresh(struct plugin *plugin, nvd_error **err)
{
    bool settling;

    return refresh(plugin, &settling, err);
}

void plugin_cdi_kick(struct plugin *plugin)
{
    static const uint64_t increment = 1;

    pthread_mutex_lock(&plugin->cdi_lock);
    if (plugin->cdi_wake_fd >= 0 && write(plugin->cdi_wake_fd, &increment, sizeof(increment)) < 0 &&
        errno != EAGAIN)
        nvd_log_error("failed to wake the CDI spec thread (%s): it refreshes the spec at the "
                      "next watched change", strerror(errno));
    pthread_mutex_unlock(&plugin->cdi_lock);
}

/* Maximum wait for a new driver to settle, in cdi_poll_ms periods. */
#define CDI_SETTLE_MAX_POLLS 10

/* Reason the spec thread woke up. */
enum cdi_wake {
    CDI_WAKE_NONE,      /* nothing that affects the spec */
    CDI_WAKE_TIMEOUT,
    CDI_WAKE_KICK,      /* plugin_cdi_kick() */
    CDI_WAKE_CHANGE,    /* a watched file changed */
};

/* Wait for a kick or a watched change, or for timeout_ms (-1: no limit). */
static enum cdi_wake wait_for_change(struct plugin *plugin, struct cdi_watch *watch,
                                     int timeout_ms)
{
    struct pollfd fds[2] = {
        {.fd = plugin->cdi_wake_fd, .events = POLLIN},
        {.fd = watch->fd, .events = POLLIN},
    };
    uint64_t kicks;
    int n = poll(fds, watch->fd >= 0 ? 2 : 1, timeout_ms);

    if (n == 0)
        return CDI_WAKE_TIMEOUT;
    if (n < 0) {
        if (errno == EINTR)
            return CDI_WAKE_NONE;
        /* Fall back to checking on the timer rather than spinning. */
        nvd_log_error("failed to wait for changes of the CDI spec's inputs: %s", strerror(errno));
        struct timespec pause = {.tv_sec = plugin->cdi_poll_ms / 1000,
                                 .tv_nsec = (plugin->cdi_poll_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
        return CDI_WAKE_TIMEOUT;
    }
    bool kicked = (fds[0].revents & POLLIN) &&
                  read(plugin->cdi_wake_fd, &kicks, sizeof(kicks)) == (ssize_t)sizeof(kicks);
    bool changed = (fds[1].revents & POLLIN) && cdi_watch_read(watch);
    if (kicked)
        return CDI_WAKE_KICK;
    return changed ? CDI_WAKE_CHANGE : CDI_WAKE_NONE;
}

static bool stop_requested(struct plugin *plugin)
{
    pthread_mutex_lock(&plugin->cdi_lock);
    bool stopping = plugin->cdi_stopping;
    pthread_mutex_unlock(&plugin->cdi_lock);
    return stopping;
}

/*
 * Refresh the spec at every kick or watched change until plugin_cdi_stop().
 * The thread also wakes every cdi_poll_ms while etc/ld.so.cache settles and
 * while a directory the spec needs cannot be watched.
 */
static void *cdi_thread_main(void *arg)
{
    struct plugin *plugin = arg;
    struct cdi_watch watch;
    bool settling = false;
    bool timed = false;
    long long settle_start_ms = 0;

    /* A change between the first refresh in plugin_cdi_start() and the watches would be lost. */
    cdi_watch_open(&watch, plugin);
    refresh(plugin, &settling, NULL);
    settle_start_ms = plugin_monotonic_ms();
    cdi_watch_add_missing(&watch);
    while (!stop_requested(plugin)) {
        bool complete = cdi_watch_complete(&watch);

        if (!complete && !timed)
            nvd_log("Checking the CDI spec every %lld ms: %s or %s cannot be watched yet",
                    plugin->cdi_poll_ms, watch.dirs[CDI_WATCH_LDCACHE], watch.dirs[CDI_WATCH_DEV]);
        if (complete && timed)
            nvd_log("Watching %s and %s: the CDI spec is no longer checked on a timer",
                    watch.dirs[CDI_WATCH_LDCACHE], watch.dirs[CDI_WATCH_DEV]);
        timed = !complete;
        int timeout_ms = settling || timed ? (int)plugin->cdi_poll_ms : -1;
        enum cdi_wake wake = wait_for_change(plugin, &watch, timeout_ms);
        if (wake == CDI_WAKE_NONE || stop_requested(plugin))
            continue;
        /*
         * While a new driver settles, each change (the installer creating
         * device nodes after etc/ld.so.cache) restarts the wait, so that
         * discovery finds the finished driver. Changes that never stop end
         * the wait after CDI_SETTLE_MAX_POLLS polls.
         */
        if (settling && wake == CDI_WAKE_CHANGE &&
            plugin_monotonic_ms() - settle_start_ms < CDI_SETTLE_MAX_POLLS * plugin->cdi_poll_ms)
            continue;
        cdi_watch_add_missing(&watch);
        bool was_settling = settling;
        refresh(plugin, &settling, NULL);
        if (settling && !was_settling)
            settle_start_ms = plugin_monotonic_ms();
        /* The refresh may have built the driver volume's directory. */
        cdi_watch_add_missing(&watch);
    }
    cdi_watch_close(&watch);
    return NULL;
}

/* Check that dir exists or can be created and takes a new file. */
static int probe_dir(const char *dir, nvd_error **err)
{
    cleanup_free char *probe = nvd_path_join(dir, "/.nvidia-docker-probe.XXXXXX");
    int fd;

    if (nvd_mkdir_parents(dir, 0755, err) < 0)
        return -1;
    fd = mkstemp(probe);
    if (fd < 0)
        return nvd_error_sys(err, errno, "cannot create a file in %s", dir);
    close(fd);
    unlink(probe);
    return 0;
}

int plugin_cdi_start(struct plugin *plugin, nvd_error **err)
{
    const char *dir = plugin->opts.cdi_dir;

    if (!cdi_enabled(plugin))
        return 0;
    if (probe_dir(dir, err) < 0)
        return nvd_error_wrap(err, "invalid --cdi-dir %s: the CDI spec cannot be written there, so "
                              "make the directory writable for the plugin's user or choose another",
                              dir);

    /* A failure here is logged and retried by the thread. */
    ldcache_stamp_read(plugin->ldcache_path, &plugin->cdi_seen);
    plugin_cdi_refresh(plugin, NULL);

    int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) {
        int saved = errno;
        plugin_cdi_stop(plugin);
        return nvd_error_sys(err, saved, "failed to create the eventfd that wakes the CDI spec "
                             "thread; check the open file limit (ulimit -n)");
    }
    pthread_mutex_lock(&plugin->cdi_lock);
    plugin->cdi_wake_fd = wake_fd;
    pthread_mutex_unlock(&plugin->cdi_lock);

    int rc = pthread_create(&plugin->cdi_thread, NULL, cdi_thread_main, plugin);
    if (rc != 0) {
        plugin_cdi_stop(plugin);
        return nvd_error_sys(err, rc, "failed to start the thread that keeps the CDI spec current");
    }
    plugin->cdi_thread_started = true;
    return 0;
}

void plugin_cdi_stop(struct plugin *plugin)
{
    cleanup_error nvd_error *err = NULL;

    if (!cdi_enabled(plugin))
        return;
    pthread_mutex_lock(&plugin->cdi_lock);
    plugin->cdi_stopping = true;
    pthread_mutex_unlock(&plugin->cdi_lock);
    plugin_cdi_kick(plugin);
    if (plugin->cdi_thread_started) {
        pthread_join(plugin->cdi_thread, NULL);
        plugin->cdi_thread_started = false;
    }
    pthread_mutex_lock(&plugin->cdi_lock);
    if (plugin->cdi_wake_fd >= 0)
        close(plugin->cdi_wake_fd);
    plugin->cdi_wake_fd = -1;
    pthread_mutex_unlock(&plugin->cdi_lock);

    /* Nothing keeps the spec current once the daemon stops. */
    pthread_mutex_lock(&plugin->cdi_refresh_lock);
    if (plugin->cdi_written) {
        free(plugin->cdi_written);
        plugin->cdi_written = NULL;
        if (nvd_cdi_remove(plugin->opts.cdi_dir, &err) < 0)
            nvd_log_error("%s", err->msg);
        else
            nvd_log("Removed the CDI spec %s/%s: nothing keeps it current once the plugin stops",
                    plugin->opts.cdi_dir, NVD_CDI_SPEC_FILE);
    }
    pthread_mutex_unlock(&plugin->cdi_refresh_lock);
}
