/*
 * local_plugin.h: the plugin's REST API served in this process, for
 * local mode when no nvidia-docker-plugin listens. Discovery runs under
 * NV_DRIVER_ROOT (default "/"), and the replies are the plugin's own bytes
 * for the same requests, so nothing above the transport tells them apart.
 */
#ifndef NVD_CLI_LOCAL_PLUGIN_H
#define NVD_CLI_LOCAL_PLUGIN_H

#include "http.h"
#include "nvd.h"

/* The driver root that discovery uses: $NV_DRIVER_ROOT, or "/". */
const char *local_plugin_driver_root(void);

/* Discover the driver and the GPUs under local_plugin_driver_root(),
 * loading NVML for the time it takes. */
struct nvd_host *local_plugin_discover(nvd_error **err);

/*
 * Serve "GET target" ("/docker/cli/json?dev=1", "/v1.0/gpu/info") on host
 * as the plugin would: status, Content-Type and body in resp, 400 for bad
 * input and 404 for a path it does not serve. Fails only when the reply
 * cannot be made (a render that failed).
 */
int local_plugin_get(const struct nvd_host *host, const char *target,
                     struct http_response *resp, nvd_error **err);

#endif /* NVD_CLI_LOCAL_PLUGIN_H */
