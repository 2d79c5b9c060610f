/*
 * host_cache.c: the driver and GPUs that the daemon serves, discovered once
 * and shared by reference. When discovery fails (no driver yet, or a driver
 * being upgraded), every request that needs the driver tries again, so the
 * daemon recovers without a restart.
 */
#include "plugin.h"
#include "util.h"

/*
 * Return the current host with a new reference, discovering it first when
 * needed. Discovery runs under host_lock, so concurrent requests wait for
 * one discovery instead of starting their own.
 */
struct plugin_host *plugin_host_acquire(struct plugin *plugin, nvd_error **err)
{
    struct plugin_host *ref;

    pthread_mutex_lock(&plugin->host_lock);
    ref = plugin->host;
    if (!ref) {
        /* TODO: also rediscover when the root's etc/ld.so.cache changes (driver upgrade). */
        struct nvd_host *host = nvd_host_discover(plugin->opts.driver_root,
                                                  flags_dev_root(&plugin->opts), err);
        if (!host) {
            pthread_mutex_unlock(&plugin->host_lock);
            return NULL;
        }
        ref = nvd_xmalloc(sizeof(*ref));
        ref->host = host;
        atomic_init(&ref->refs, 1);
        plugin->host = ref;
        nvd_log("Discovered driver %s with %zu GPUs under %s",
                host->driver_version, host->gpu_count, plugin->opts.driver_root);
    }
    atomic_fetch_add(&ref->refs, 1);
    pthread_mutex_unlock(&plugin->host_lock);
    return ref;
}

void plugin_host_release(struct plugin_host *ref)
{
    if (atomic_fetch_sub(&ref->refs, 1) == 1) {
        nvd_host_free(ref->host);
        free(ref);
    }
}

void plugin_host_forget(struct plugin *plugin)
{
    pthread_mutex_lock(&plugin->host_lock);
    struct plugin_host *ref = plugin->host;
    plugin->host = NULL;
    pthread_mutex_unlock(&plugin->host_lock);
    if (ref)
        plugin_host_release(ref);
}
