/* plugin.c: the daemon's shared state. */
#include <string.h>

#include "plugin.h"

void plugin_init(struct plugin *plugin, const struct plugin_options *opts)
{
    memset(plugin, 0, sizeof(*plugin));
    plugin->opts = *opts;
    pthread_mutex_init(&plugin->host_lock, NULL);
    pthread_mutex_init(&plugin->volume_lock, NULL);
}

void plugin_destroy(struct plugin *plugin)
{
    plugin_host_forget(plugin);
    pthread_mutex_destroy(&plugin->host_lock);
    pthread_mutex_destroy(&plugin->volume_lock);
}
