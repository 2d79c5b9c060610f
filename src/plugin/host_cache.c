/*
 * host_cache.c: the driver (NVML) and the GPUs that the daemon serves.
 *
 * Discovery runs at start, after SIGHUP and after a driver change, and its
 * result, the host, stays cached in between. NVML is open only while
 * requests need it, because a process with NVML open keeps /dev/nvidiactl
 * open, and that keeps a driver upgrade from unloading the kernel module.
 * A thread closes NVML once no request used it for driver_idle_ms. SIGHUP
 * closes it at once and drops the host.
 *
 * A driver installer always rewrites the root's etc/ld.so.cache, so every
 * request that needs the driver compares that file's stat() with the one
 * taken at discovery, and discovers again when it changed. ldconfig runs
 * for other packages too, and each such run costs one discovery. Requests
 * hold references, so a request that started with the old driver finishes
 * with it, and the old NVML closes when the last of them ends.
 */
#include <string.h>
#include <sys/stat.h>

#include "plugin.h"
#include "util.h"

void ldcache_stamp_read(const char *path, struct ldcache_stamp *stamp)
{
    struct stat st;

    memset(stamp, 0, sizeof(*stamp));
    if (stat(path, &st) < 0)
        return;
    stamp->exists = true;
    stamp->dev = st.st_dev;
    stamp->ino = st.st_ino;
    stamp->size = st.st_size;
    stamp->mtime = st.st_mtim;
    stamp->ctime = st.st_ctim;
}

static bool timespec_equal(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool ldcache_stamp_equal(const struct ldcache_stamp *a, const struct ldcache_stamp *b)
{
    if (a->exists != b->exists)
        return false;
    if (!a->exists)
        return true;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           timespec_equal(a->mtime, b->mtime) && timespec_equal(a->ctime, b->ctime);
}

struct plugin_host *plugin_host_new(struct nvd_host *host)
{
    struct plugin_host *ref = nvd_xcalloc(1, sizeof(*ref));

    ref->host = host;
    atomic_init(&ref->refs, 1);
    pthread_mutex_init(&ref->render_lock, NULL);
    pthread_mutex_init(&ref->cuda_lock, NULL);
    atomic_init(&ref->cuda_done, host->cuda_read);
    return ref;
}

void plugin_host_release(struct plugin_host *ref)
{
    if (atomic_fetch_sub(&ref->refs, 1) == 1) {
        for (size_t i = 0; i < sizeof(ref->rendered) / sizeof(ref->rendered[0]); i++)
            free(ref->rendered[i]);
        pthread_mutex_destroy(&ref->render_lock);
        pthread_mutex_destroy(&ref->cuda_lock);
        nvd_host_free(ref->host);
        free(ref);
    }
}

char *plugin_host_rendered(struct plugin_host *ref, enum plugin_rendered which,
                           char *(*render)(const void *ctx), const void *ctx)
{
    char *copy = NULL;

    pthread_mutex_lock(&ref->render_lock);
    if (!ref->rendered[which])
        ref->rendered[which] = render(ctx);
    if (ref->rendered[which])
        copy = nvd_xstrdup(ref->rendered[which]);
    pthread_mutex_unlock(&ref->render_lock);
    return copy;
}

/* Shut down NVML of a driver whose last reference is gone, and free it. */
static void driver_free(struct plugin_driver *driver)
{
    if (!driver)
        return;
    nvd_driver_close(driver->driver);
    plugin_host_release(driver->host_ref);
    free(driver);
}

/*
 * Make a driver of the open NVML handle for the current host and make it
 * current, with the plugin's reference. Called with driver_lock held.
 */
static void install_driver_locked(struct plugin *plugin, nvd_driver *handle)
{
    struct plugin_driver *driver = nvd_xcalloc(1, sizeof(*driver));

    atomic_fetch_add(&plugin->host->refs, 1);
    driver->driver = handle;
    driver->host_ref = plugin->host;
    driver->host = plugin->host->host;
    driver->plugin = plugin;
    driver->refs = 1;
    plugin->driver = driver;
    plugin->driver_used_ms = plugin_monotonic_ms();
    pthread_cond_signal(&plugin->driver_wake);
}

/*
 * Drop the plugin's references to the current driver and host. Returns the
 * driver when that was its last reference, for the caller to free after
 * releasing driver_lock, or NULL. Called with driver_lock held.
 */
static struct plugin_driver *detach_locked(struct plugin *plugin)
{
    struct plugin_driver *driver = plugin->driver;

    plugin->driver = NULL;
    if (plugin->host) {
        plugin_host_release(plugin->host);
        plugin->host = NULL;
    }
    if (driver && --driver->refs == 0)
        return driver;
    return NULL;
}

/*
 * Discover the driver and its GPUs and make the result current, with NVML
 * left open. stamp is etc/ld.so.cache as it was before discovery started,
 * so a change during discovery triggers another one. Called with
 * driver_lock held and no current host.
 */
static int discover_locked(struct plugin *plugin, const struct ldcache_stamp *stamp,
                           nvd_error **err)
{
    const struct plugin_options *opts = &plugin->opts;
    bool fresh = plugin->fresh_discovery;

    /* Retries after a failure stay quiet: each failed request logs its own error. */
    plugin->fresh_discovery = false;
    if (fresh) {
        plugin_load_uvm(opts);
        nvd_log("Loading NVIDIA management library");
    }
    nvd_driver *handle = nvd_driver_open(opts->driver_root, err);
    if (!handle)
        return -1;
    if (fresh)
        nvd_log("Discovering GPU devices");
    struct nvd_host *host = nvd_host_discover_nvml(handle, opts->driver_root,
                                                   flags_dev_root(opts), err);
    if (!host) {
        nvd_driver_close(handle);
        return -1;
    }

    struct plugin_host *ref = plugin_host_new(host);
    plugin->host = ref;
    plugin->ldcache = *stamp;
    install_driver_locked(plugin, handle);

    if (plugin->known_version[0] && strcmp(plugin->known_version, host->driver_version) != 0)
        nvd_log("Driver changed: %s -> %s", plugin->known_version, host->driver_version);
    nvd_log("Discovered driver %s with %zu GPUs under %s",
            host->driver_version, host->gpu_count, opts->driver_root);
    snprintf(plugin->known_version, sizeof(plugin->known_version), "%s", host->driver_version);
    /* The driver or the GPUs may have changed: the CDI spec follows them. */
    plugin_cdi_kick(plugin);
    return 0;
}

/*
 * Make sure a current host exists, and NVML is open when need_nvml: drop
 * the host when etc/ld.so.cache changed, discover when there is no host,
 * open NVML when it was closed. Called with driver_lock held. *stale
 * receives a replaced driver for the caller to free after unlocking.
 */
static int refresh_locked(struct plugin *plugin, const struct ldcache_stamp *stamp,
                          bool need_nvml, struct plugin_driver **stale, nvd_error **err)
{
    if (plugin->host && !ldcache_stamp_equal(stamp, &plugin->ldcache)) {
        nvd_log("%s changed: discovering the driver again", plugin->ldcache_path);
        *stale = detach_locked(plugin);
        plugin->fresh_discovery = true;
    }
    if (!plugin->host)
        return discover_locked(plugin, stamp, err);
    if (need_nvml && !plugin->driver) {
        nvd_driver *handle = nvd_driver_open(plugin->opts.driver_root, err);
        if (!handle)
            return -1;
        install_driver_locked(plugin, handle);
    }
    return 0;
}

struct plugin_host *plugin_host_acquire(struct plugin *plugin, nvd_error **err)
{
    struct plugin_driver *stale = NULL;
    struct plugin_host *ref = NULL;
    struct ldcache_stamp stamp;

    ldcache_stamp_read(plugin->ldcache_path, &stamp);
    pthread_mutex_lock(&plugin->driver_lock);
    if (refresh_locked(plugin, &stamp, false, &stale, err) == 0) {
        ref = plugin->host;
        atomic_fetch_add(&ref->refs, 1);
    }
    pthread_mutex_unlock(&plugin->driver_lock);
    driver_free(stale);
    return ref;
}

struct plugin_host *plugin_host_peek(struct plugin *plugin)
{
    struct plugin_host *ref;

    pthread_mutex_lock(&plugin->driver_lock);
    ref = plugin->host;
    if (ref)
        atomic_fetch_add(&ref->refs, 1);
    pthread_mutex_unlock(&plugin->driver_lock);
    return ref;
}

struct plugin_driver *plugin_driver_acquire(struct plugin *plugin, nvd_error **err)
{
    struct plugin_driver *stale = NULL;
    struct plugin_driver *ref = NULL;
    struct ldcache_stamp stamp;

    ldcache_stamp_read(plugin->ldcache_path, &stamp);
    pthread_mutex_lock(&plugin->driver_lock);
    if (refresh_locked(plugin, &stamp, true, &stale, err) == 0) {
        ref = plugin->driver;
        ref->refs++;
    }
    pthread_mutex_unlock(&plugin->driver_lock);
    driver_free(stale);
    return ref;
}

void plugin_driver_read_cuda(struct plugin_driver *driver)
{
    struct plugin_host *ref = driver->host_ref;

    if (atomic_load(&ref->cuda_done))
        return;
    pthread_mutex_lock(&ref->cuda_lock);
    if (!atomic_load(&ref->cuda_done)) {
        nvd_host_read_cuda(driver->driver, ref->host);
        atomic_store(&ref->cuda_done, true);
    }
    pthread_mutex_unlock(&ref->cuda_lock);
}

struct plugin_host *plugin_host_acquire_cuda(struct plugin *plugin, nvd_error **err)
{
    struct plugin_host *ref = plugin_host_acquire(plugin, err);

    if (!ref || atomic_load(&ref->cuda_done))
        return ref;
    plugin_host_release(ref);

    /* The driver's host is the current one, discovered again if need be. */
    struct plugin_driver *driver = plugin_driver_acquire(plugin, err);
    if (!driver)
        return NULL;
    plugin_driver_read_cuda(driver);
    ref = driver->host_ref;
    atomic_fetch_add(&ref->refs, 1);
    plugin_driver_release(driver);
    return ref;
}

void plugin_driver_release(struct plugin_driver *ref)
{
    struct plugin *plugin = ref->plugin;
    bool last;

    pthread_mutex_lock(&plugin->driver_lock);
    plugin->driver_used_ms = plugin_monotonic_ms();
    last = --ref->refs == 0;
    pthread_mutex_unlock(&plugin->driver_lock);
    if (last)
        driver_free(ref);
}

void plugin_driver_reset(struct plugin *plugin)
{
    pthread_mutex_lock(&plugin->driver_lock);
    struct plugin_driver *stale = detach_locked(plugin);
    plugin->fresh_discovery = true;
    pthread_mutex_unlock(&plugin->driver_lock);
    driver_free(stale);
}

/*
 * Run the idle-close thread: read the CUDA values of a newly discovered
 * host, wait until the current driver has been unused for driver_idle_ms,
 * then close it unless a request uses it.
 */
static void *idle_close_main(void *arg)
{
    struct plugin *plugin = arg;

    pthread_mutex_lock(&plugin->driver_lock);
    while (!plugin->stopping) {
        struct plugin_driver *driver = plugin->driver;
        if (!driver) {
            pthread_cond_wait(&plugin->driver_wake, &plugin->driver_lock);
            continue;
        }
        long long now = plugin_monotonic_ms();
        long long due;
        if (!atomic_load(&driver->host_ref->cuda_done)) {
            /* Read the CUDA values while NVML is open after discovery, once
             * no request used the driver for a moment, so that neither
             * start-up nor the first request that shows them waits. */
            due = plugin->driver_used_ms + PLUGIN_CUDA_READ_DELAY_MS;
            if (now >= due) {
                driver->refs++;
                pthread_mutex_unlock(&plugin->driver_lock);
                plugin_driver_read_cuda(driver);
                plugin_driver_release(driver);
                pthread_mutex_lock(&plugin->driver_lock);
                continue;
            }
        } else {
            due = plugin->driver_used_ms + plugin->driver_idle_ms;
            if (driver->refs > 1) {
                /* In use: its release sets driver_used_ms, so look again later. */
                due = now + plugin->driver_idle_ms;
            } else if (now >= due) {
                plugin->driver = NULL;
                pthread_mutex_unlock(&plugin->driver_lock);
                driver_free(driver);
                pthread_mutex_lock(&plugin->driver_lock);
                continue;
            }
        }

        struct timespec deadline = {
            .tv_sec = (time_t)(due / 1000),
            .tv_nsec = (long)(due % 1000) * 1000000L,
        };
        pthread_cond_timedwait(&plugin->driver_wake, &plugin->driver_lock, &deadline);
    }
    pthread_mutex_unlock(&plugin->driver_lock);
    return NULL;
}

int plugin_driver_start_idle_close(struct plugin *plugin, nvd_error **err)
{
    int rc = pthread_create(&plugin->idle_thread, NULL, idle_close_main, plugin);

    if (rc != 0)
        return nvd_error_sys(err, rc, "failed to start the thread that closes the idle driver");
    plugin->idle_thread_started = true;
    return 0;
}

/* Stop the idle-close thread and close the driver. plugin_destroy() calls it. */
void plugin_driver_shutdown(struct plugin *plugin)
{
    pthread_mutex_lock(&plugin->driver_lock);
    plugin->stopping = true;
    pthread_cond_signal(&plugin->driver_wake);
    pthread_mutex_unlock(&plugin->driver_lock);
    if (plugin->idle_thread_started) {
        pthread_join(plugin->idle_thread, NULL);
        plugin->idle_thread_started = false;
    }
    plugin_driver_reset(plugin);
}
