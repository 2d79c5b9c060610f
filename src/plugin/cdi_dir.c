/*
 * cdi_dir.c: the CDI spec that the daemon renders for /cdi/json and keeps
 * current in <--cdi-dir>/nvidia-docker.json.
 *
 * Podman and the other CDI runtimes read the file without asking the
 * daemon, so no request may come to notice a driver upgrade. A thread
 * therefore checks every cdi_poll_ms. A changed etc/ld.so.cache means a
 * new driver, so the thread discovers again once the file has stayed the
 * same for one poll. Otherwise it renders the spec of the current host,
 * which also picks up control nodes that appeared or went away, and
 * rewrites the file when the text changed. A discovery that a request
 * started wakes it at once.
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
#include <string.h>
#include <sys/stat.h>

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
 * stay as it is for now. Called with cdi_refresh_lock held.
 */
static struct plugin_host *spec_host(struct plugin *plugin, const struct ldcache_stamp *stamp,
                                     nvd_error **err)
{
    bool stable = ldcache_stamp_equal(stamp, &plugin->cdi_seen);

    plugin->cdi_seen = *stamp;
    if (plugin->cdi_written && ldcache_stamp_equal(stamp, &plugin->cdi_stamp))
        return plugin_host_peek(plugin);
    /*
     * An installer rewrites etc/ld.so.cache before it has finished (nvd-sim
     * creates the device nodes after it), so a discovery right away could
     * see half a driver. Wait until the file stayed the same for one poll.
     */
    if (!stable)
        return NULL;
    return plugin_host_acquire(plugin, err);
}

/* Refresh the spec as plugin_cdi_refresh() does. Called with cdi_refresh_lock held. */
static int refresh_locked(struct plugin *plugin, nvd_error **err)
{
    const char *dir = plugin->opts.cdi_dir;
    struct ldcache_stamp stamp;

    ldcache_stamp_read(plugin->ldcache_path, &stamp);
    cleanup_host struct plugin_host *ref = spec_host(plugin, &stamp, err);
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

int plugin_cdi_refresh(struct plugin *plugin, nvd_error **err)
{
    cleanup_error nvd_error *local_err = NULL;
    nvd_error **errp = err ? err : &local_err;
    int rc;

    if (!cdi_enabled(plugin))
        return 0;
    pthread_mutex_lock(&plugin->cdi_refresh_lock);
    rc = refresh_locked(plugin, errp);
    if (rc < 0)
        withdraw_spec(plugin, *errp);
    pthread_mutex_unlock(&plugin->cdi_refresh_lock);
    return rc;
}

void plugin_cdi_kick(struct plugin *plugin)
{
    pthread_mutex_lock(&plugin->cdi_lock);
    plugin->cdi_kick = true;
    pthread_cond_signal(&plugin->cdi_wake);
    pthread_mutex_unlock(&plugin->cdi_lock);
}

/* Refresh the spec at every poll or kick until plugin_cdi_stop(). */
static void *cdi_thread_main(void *arg)
{
    struct plugin *plugin = arg;
    struct timespec deadline;

    pthread_mutex_lock(&plugin->cdi_lock);
    while (!plugin->cdi_stopping) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        long long ns = (long long)deadline.tv_nsec + plugin->cdi_poll_ms * 1000000LL;
        deadline.tv_sec += (time_t)(ns / 1000000000LL);
        deadline.tv_nsec = (long)(ns % 1000000000LL);
        while (!plugin->cdi_kick && !plugin->cdi_stopping &&
               pthread_cond_timedwait(&plugin->cdi_wake, &plugin->cdi_lock, &deadline) == 0)
            ;
        if (plugin->cdi_stopping)
            break;
        plugin->cdi_kick = false;
        pthread_mutex_unlock(&plugin->cdi_lock);
        plugin_cdi_refresh(plugin, NULL);
        pthread_mutex_lock(&plugin->cdi_lock);
    }
    pthread_mutex_unlock(&plugin->cdi_lock);
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
    pthread_cond_signal(&plugin->cdi_wake);
    pthread_mutex_unlock(&plugin->cdi_lock);
    if (plugin->cdi_thread_started) {
        pthread_join(plugin->cdi_thread, NULL);
        plugin->cdi_thread_started = false;
    }

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
