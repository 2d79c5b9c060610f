/* plugin.c: the daemon's shared state. */
#include <string.h>

#include "plugin.h"
#include "util.h"

void plugin_init(struct plugin *plugin, const struct plugin_options *opts)
{
    pthread_condattr_t attr;

    memset(plugin, 0, sizeof(*plugin));
    plugin->opts = *opts;
    plugin->driver_idle_ms = PLUGIN_DRIVER_IDLE_MS;
    plugin->ldcache_path = nvd_path_join(opts->driver_root, "/etc/ld.so.cache");
    plugin->fresh_discovery = true;
    pthread_mutex_init(&plugin->driver_lock, NULL);
    /* The idle-close thread waits for deadlines on the monotonic clock. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&plugin->driver_wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&plugin->volume_lock, NULL);

    pthread_mutex_init(&plugin->cdi_lock, NULL);
    plugin->cdi_wake_fd = -1;
    pthread_mutex_init(&plugin->cdi_refresh_lock, NULL);
    plugin->cdi_poll_ms = PLUGIN_CDI_POLL_MS;
}

void plugin_destroy(struct plugin *plugin)
{
    plugin_cdi_stop(plugin);
    plugin_driver_shutdown(plugin);
    pthread_mutex_destroy(&plugin->driver_lock);
    pthread_cond_destroy(&plugin->driver_wake);
    pthread_mutex_destroy(&plugin->volume_lock);
    pthread_mutex_destroy(&plugin->cdi_lock);
    pthread_mutex_destroy(&plugin->cdi_refresh_lock);
    free(plugin->cdi_written);
    free(plugin->ldcache_path);
}

long long plugin_monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}
